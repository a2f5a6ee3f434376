/* Free a stack address. */
#include "misuse.h"

int main(void)
{
	char buf[64];
	void *volatile p = buf;

	free(misuse_announce(p));
	return misuse_survived();
}
