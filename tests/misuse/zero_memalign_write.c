/* Write the byte memalign(4096, 0) returned. */
#include <malloc.h>

#include "misuse.h"

int main(void)
{
	volatile char *p = misuse_announce(memalign(4096, 0));

	*p = 1;
	return misuse_survived();
}
