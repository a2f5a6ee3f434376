/* Realloc a malloc(0) pointer after freeing it. */
#include "misuse.h"

int main(void)
{
	void *p = malloc(0);

	free(p);
	sink = realloc(misuse_announce(p), 100);
	return misuse_survived();
}
