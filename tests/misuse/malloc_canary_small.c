/* Write one byte past a 13-byte object (a string's missing NUL), then free it. */
#include <string.h>

#include "misuse.h"

int main(void)
{
	char *p = malloc(13);

	memcpy(p, "hello, world!", 14);
	misuse_announce(p);
	free(p);
	return misuse_survived();
}
