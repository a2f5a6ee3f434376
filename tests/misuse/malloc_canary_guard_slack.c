/* A byte past a 200,000-byte block, in its last page's slack. */
#include "misuse.h"

int main(void)
{
	char *p = malloc(200000);

	p[200000] = 'x';
	misuse_announce(p);
	free(p);
	return misuse_survived();
}
