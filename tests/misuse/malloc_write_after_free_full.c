/* Write the last byte of a 200-byte object after freeing it; the next malloc(200) finds it. */
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
