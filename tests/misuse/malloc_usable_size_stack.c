/* Ask the usable size of a stack address. */
#include "misuse.h"
#include <malloc.h>

int main(void)
{
	char buf[64];
	void *volatile p = buf;

	sink_size = malloc_usable_size(misuse_announce(p));
	return misuse_survived();
}
