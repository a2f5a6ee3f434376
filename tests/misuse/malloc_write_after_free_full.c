/* With KZMALLOC_CHECK=full: a write at the end of a freed object. */
#include "misuse.h"

int main(void)
{
	char *p = malloc(200);

	free(p);
	p[199] = 'x';
	misuse_announce(p);
	sink = malloc(200);
	return misuse_survived();
}
