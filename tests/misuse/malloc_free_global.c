/* Free a global. */
#include "misuse.h"

int main(void)
{
	static char global[64];
	void *volatile p = global;

	free(misuse_announce(p));
	return misuse_survived();
}
