/* With KZMALLOC_CHECK=canary: an overflow found by realloc, before it copies anything. */
#include "misuse.h"

int main(void)
{
	char *p = malloc(100);

	p[101] = 'x';
	misuse_announce(p);
	sink = realloc(p, 5000);
	return misuse_survived();
}
