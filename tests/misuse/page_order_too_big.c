/* Free a block with an order above KZ_MAX_ORDER. */
#include "misuse.h"

int main(void)
{
	void *p = kz_alloc_pages(KZ_MAX_ORDER);

	kz_free_pages(misuse_announce(p), KZ_MAX_ORDER + 1);
	return misuse_survived();
}
