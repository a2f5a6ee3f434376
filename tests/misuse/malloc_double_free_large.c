/* Free a 256 KiB block (a page run) twice. */
#include "misuse.h"

int main(void)
{
	void *p = malloc(256 << 10);

	free(p);
	free(misuse_announce(p));
	return misuse_survived();
}
