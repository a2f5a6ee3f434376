/* Write the second byte past a 100-byte object, then realloc it to 5000 bytes. */
#include "misuse.h"

int main(void)
{
	char *p = malloc(100);

	p[101] = 'x';
	misuse_announce(p);
	sink = realloc(p, 5000);
	return misuse_survived();
}
