/* Realloc an object after freeing it. */
#include "misuse.h"

int main(void)
{
	void *p = malloc(100);

	free(p);
	sink = realloc(misuse_announce(p), 200);
	return misuse_survived();
}
