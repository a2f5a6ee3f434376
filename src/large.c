/*
 * large.c - objects from 128 KiB to 4 MiB, and smaller ones with a large
 * alignment: a run of pages from the pool (KIND_LARGE), its head recording
 * how many pages it has.
 *
 * With KZMALLOC_INIT=free a run is cleared when it is freed and goes back
 * to the pool as zeroed pages, so it is not cleared again when reused;
 * otherwise the pool clears it when it is handed out. No locks of its own.
 */
#include "large.h"

#include <string.h>

#include "buddy.h"
#include "options.h"

void *large_alloc(size_t size, size_t align)
{
	size_t nr_pages = (size + KZ_PAGE_SIZE - 1) >> KZ_PAGE_SHIFT;
	unsigned align_order = align > KZ_PAGE_SIZE ? kz_get_order(align) : 0;
	struct kz_page *page;

	page = buddy_alloc(nr_pages ? nr_pages : 1, align_order, KIND_LARGE);
	return page ? page_address(page) : NULL;
}

void large_free(struct kz_page *head)
{
	bool zero = kz_opt.init == KZ_INIT_FREE;

	if (zero)
		memset(page_address(head), 0, large_usable(head));
	buddy_free(head, head->nr_pages, KIND_LARGE, zero);
}
