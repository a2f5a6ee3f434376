/* Write to a 32-byte object after freeing it; the next malloc(32) finds it. */
#include "misuse.h"

int main(void)
{
	char *p = malloc(32);

	free(p);
	p[3] = 'x';
	misuse_announce(p);
	sink = malloc(32);
	return misuse_survived();
}
