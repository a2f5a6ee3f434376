/* free_aligned_sized with an alignment the object does not have. */
#include "misuse.h"

/* Not in glibc 2.36: weak, so that the program also runs (and says so) without kzmalloc. */
void free_aligned_sized(void *ptr, size_t alignment, size_t size) __attribute__((weak));

int main(void)
{
	if (!free_aligned_sized)
		return misuse_unavailable("free_aligned_sized");
	void *p = aligned_alloc(64, 128);

	free_aligned_sized(misuse_announce(p), 4096, 128);
	return misuse_survived();
}
