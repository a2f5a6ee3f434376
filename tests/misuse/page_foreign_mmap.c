/* Free a page of somebody else's mapping, next to the pool's own memory. */
#include <sys/mman.h>

#include "misuse.h"

int main(void)
{
	void *mine = kz_alloc_pages(10);
	void *other =
		mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void) mine;
	kz_free_pages(misuse_announce(other), 0);
	return misuse_survived();
}
