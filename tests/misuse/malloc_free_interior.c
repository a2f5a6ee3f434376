/* Free a pointer 16 bytes into a 64-byte object. */
#include "misuse.h"

int main(void)
{
	char *p = malloc(64);

	free(misuse_announce(p + 16));
	return misuse_survived();
}
