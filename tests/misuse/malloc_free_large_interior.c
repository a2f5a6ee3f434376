/* Free the second page of a 256 KiB block. */
#include "misuse.h"

int main(void)
{
	char *p = malloc(256 << 10);

	free(misuse_announce(p + 4096));
	return misuse_survived();
}
