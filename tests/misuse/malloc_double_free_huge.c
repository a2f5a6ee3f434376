/* Free an 8 MiB block (a mapping of its own) twice. */
#include "misuse.h"

int main(void)
{
	void *p = malloc(8 << 20);

	free(p);
	free(misuse_announce(p));
	return misuse_survived();
}
