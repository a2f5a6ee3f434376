/* Free the same block twice. */
#include "misuse.h"

int main(void)
{
	void *p = kz_alloc_pages(2);

	kz_free_pages(p, 2);
	kz_free_pages(misuse_announce(p), 2);
	return misuse_survived();
}
