/* Free a pointer one byte into an object. */
#include "misuse.h"

int main(void)
{
	char *p = malloc(64);

	free(misuse_announce(p + 1));
	return misuse_survived();
}
