/* Free a 32-byte object twice. */
#include "misuse.h"

int main(void)
{
	void *p = malloc(32);

	free(p);
	free(misuse_announce(p));
	return misuse_survived();
}
