/* Read the byte malloc(0) returned. */
#include "misuse.h"

int main(void)
{
	volatile char *p = misuse_announce(malloc(0));

	sink_size = *p;
	return misuse_survived();
}
