/* Write the 8 bytes past a 24-byte object, then free it. */
#include <string.h>

#include "misuse.h"

int main(void)
{
	unsigned char *p = malloc(24);

	memset(p + 24, p[23] ^ 1, 8); /* anything at all: the word is keyed */
	misuse_announce(p);
	free(p);
	return misuse_survived();
}
