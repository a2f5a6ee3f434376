/*
 * large.c - objects from 128 KiB to 4 MiB, and smaller ones with a large
 * alignment: a run of pages from the pool (KIND_LARGE), its head recording
 * how many pages it has.
 *
 * With KZMALLOC_INIT=free a run is cleared when it is freed and goes back
 * to the pool as zeroed pages, so it is not cleared again when reused;
 * otherwise the pool clears it when it is handed out. Under memcheck a run
 * is a malloc-like block of its usable size, always defined (pool pages are
 * zero), and a run at the start of a chunk hides the chunk's base from the
 * leak checker while it lives (vg.h). No locks of its own.
 */
#include "large.h"

#include <string.h>

#include "buddy.h"
#include "options.h"
#include "vg.h"

void *large_alloc(size_t size, size_t align)
{
	size_t nr_pages = (size + KZ_PAGE_SIZE - 1) >> KZ_PAGE_SHIFT;
	unsigned align_order = align > KZ_PAGE_SIZE ? kz_get_order(align) : 0;
	struct kz_page *page;
	void *addr;

	page = buddy_alloc(nr_pages ? nr_pages : 1, align_order, KIND_LARGE);
	if (!page)
		return NULL;
	addr = page_address(page);
	vg_alloc(addr, large_usable(page), true);
	vg_hide_ptr(&page_chunk(page)->base, addr);
	return addr;
}

void large_free(struct kz_page *head)
{
	bool zero = kz_opt.init == KZ_INIT_FREE;
	void *addr = page_address(head);

	if (zero)
		memset(addr, 0, large_usable(head));
	vg_free(addr);
	vg_show_ptr(&page_chunk(head)->base, addr);
	buddy_free(head, head->nr_pages, KIND_LARGE, zero);
}
