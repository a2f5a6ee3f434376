/* Write one byte past a 13-byte object (a 14th character, not a NUL), then free it. */
#include <string.h>

#include "misuse.h"

int main(void)
{
	char *p = malloc(13);

	memcpy(p, "hello, world!\n", 14); /* not the NUL: the canary's first byte is one */
	misuse_announce(p);
	free(p);
	return misuse_survived();
}
