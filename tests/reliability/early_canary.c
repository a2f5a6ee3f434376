/*
 * early_canary.c - With KZMALLOC_CHECK=canary: allocations of 131,065 to
 * 131,072 bytes made before kzmalloc has started (from a constructor that
 * runs before the static library's own), which no longer fit the largest
 * class once the canary's room is added. Each must be usable whole, report
 * its exact size, and free cleanly; so must the same sizes afterwards.
 */
#include "kzmalloc.h"
#include "rel.h"

static int early_result = -1;

static int sizes_work(void)
{
	for (size_t size = 131065; size <= 131072 + 8; size++) {
		unsigned char *p = kz_malloc(size);

		if (!p || kz_malloc_usable_size(p) != size)
			return 0;
		rel_fill(p, size, size);
		if (!rel_intact(p, size, size))
			return 0;
		kz_free(p);
	}
	return 1;
}

__attribute__((constructor(101))) static void early(void)
{
	early_result = sizes_work();
}

int main(void)
{
	rel_check(early_result == 1);
	rel_check(sizes_work());
	return 0;
}
