/* Free the 4 MiB boundary below what malloc(0) returned. */
/* With KZMALLOC_CHECK=zero-size that is the no-access region's first slot, never handed out. */
#include <stdint.h>

#include "misuse.h"

int main(void)
{
	char *p = malloc(0);

	free(misuse_announce((void *) ((uintptr_t) p & ~(((uintptr_t) 4 << 20) - 1))));
	return misuse_survived();
}
