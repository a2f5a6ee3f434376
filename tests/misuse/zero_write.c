/* Write the byte malloc(0) returned. */
#include "misuse.h"

int main(void)
{
	volatile char *p = misuse_announce(malloc(0));

	*p = 1;
	return misuse_survived();
}
