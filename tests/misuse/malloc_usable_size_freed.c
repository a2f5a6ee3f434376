/* Ask the usable size of a freed object. */
#include "misuse.h"
#include <malloc.h>

int main(void)
{
	void *p = malloc(100);

	free(p);
	sink_size = malloc_usable_size(misuse_announce(p));
	return misuse_survived();
}
