/* Free a wild pointer nothing is mapped at. */
#include "misuse.h"

int main(void)
{
	void *volatile p = (void *) 0x5a5a5a5a5000;

	free(misuse_announce(p));
	return misuse_survived();
}
