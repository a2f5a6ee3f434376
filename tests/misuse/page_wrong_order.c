/* Free an order-3 block as order 2. */
#include "misuse.h"

int main(void)
{
	void *p = kz_alloc_pages(3);

	kz_free_pages(misuse_announce(p), 2);
	return misuse_survived();
}
