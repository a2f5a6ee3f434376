/* Ask the usable size of a freed malloc(0) pointer. */
#include "misuse.h"
#include <malloc.h>

int main(void)
{
	void *p = malloc(0);

	free(p);
	sink_size = malloc_usable_size(misuse_announce(p));
	return misuse_survived();
}
