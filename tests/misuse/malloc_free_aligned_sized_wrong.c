/* free_aligned_sized with an alignment the object does not have. */
#include <stdint.h>

#include "misuse.h"

/* Not in glibc 2.36: weak, so that the program also runs (and says so) without kzmalloc. */
void free_aligned_sized(void *ptr, size_t alignment, size_t size) __attribute__((weak));

int main(void)
{
	if (!free_aligned_sized)
		return misuse_unavailable("free_aligned_sized");
	void *p = aligned_alloc(64, 128);
	/* Twice the largest power of two dividing p: an alignment p lacks, wherever it lands. */
	size_t wrong = 2 * ((uintptr_t) p & -(uintptr_t) p);

	free_aligned_sized(misuse_announce(p), wrong, 128);
	return misuse_survived();
}
