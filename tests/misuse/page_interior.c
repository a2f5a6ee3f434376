/* Free the second page of an order-2 block. */
#include "misuse.h"

int main(void)
{
	char *p = kz_alloc_pages(2);

	kz_free_pages(misuse_announce(p + KZ_PAGE_SIZE), 0);
	return misuse_survived();
}
