/* Free the last slot of a 32-byte object's slab, which was never handed out. */
#include "misuse.h"
#include <stdint.h>

int main(void)
{
	char *p = malloc(32);
	char *last = (char *) ((uintptr_t) p & ~(uintptr_t) 4095) + 4096 - 32;

	free(misuse_announce(last));
	return misuse_survived();
}
