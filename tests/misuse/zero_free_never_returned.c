/* With KZMALLOC_CHECK=zero-size: free an address of the no-access region never handed out. */
/* The region's first slot, which is never handed out (its 4 MiB-aligned base). */
#include <stdint.h>

#include "misuse.h"

int main(void)
{
	char *p = malloc(0);

	free(misuse_announce((void *) ((uintptr_t) p & ~(((uintptr_t) 4 << 20) - 1))));
	return misuse_survived();
}
