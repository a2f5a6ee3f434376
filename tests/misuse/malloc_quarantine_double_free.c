/* Free a 64-byte object twice while it waits in the quarantine. */
#include "misuse.h"

int main(void)
{
	void *p = malloc(64);

	free(p);
	for (unsigned i = 0; i < 100; i++)
		free(malloc(64));
	free(misuse_announce(p));
	return misuse_survived();
}
