/* Free an address inside the pool that is not on a page boundary. */
#include "misuse.h"

int main(void)
{
	char *p = kz_get_zeroed_page();

	kz_free_page(misuse_announce(p + 16));
	return misuse_survived();
}
