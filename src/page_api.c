/*
 * page_api.c - the kernel-style page API (kzmalloc.h): argument checks,
 * errno, and the misuse messages, and the pool's counters assembled from
 * their owners (buddy.c, huge.c). The pool itself is buddy.c.
 *
 * A freed address is checked before the pool touches anything: the page
 * map says whether the pool owns it at all (without reading the address),
 * then the pool checks, under its lock, that it is the head of an
 * allocated block of that order.
 */
#include <errno.h>

#include "buddy.h"
#include "fatal.h"
#include "huge.h"
#include "init.h"
#include "kzmalloc.h"
#include "pagemap.h"
#include "purge.h"
#include "quarantine.h"

unsigned kz_get_order(size_t size)
{
	return page_order(size);
}

void *kz_alloc_pages(unsigned order)
{
	struct kz_page *page;

	if (order > KZ_MAX_ORDER) {
		errno = EINVAL;
		return NULL;
	}
	kz_init();
	purge_start_wanted();
	page = buddy_alloc((size_t) 1 << order, 0, KIND_PAGES);
	return page ? page_address(page) : NULL;
}

void *kz_get_zeroed_page(void)
{
	return kz_alloc_pages(0);
}

void kz_free_pages(void *addr, unsigned order)
{
	static const char *const what[] = {
		[BUDDY_DOUBLE_FREE] = "double free",
		[BUDDY_INTERIOR] = "interior pointer",
		[BUDDY_WRONG_SIZE] = "wrong order for block",
		[BUDDY_WRONG_KIND] = "pointer not from kz_alloc_pages",
	};
	struct kz_page *page;
	enum buddy_err err;

	if (!addr)
		return;
	if (order > KZ_MAX_ORDER)
		kz_fatal(__func__, "order above KZ_MAX_ORDER for", addr);
	page = pagemap_page(addr);
	if (!page)
		kz_fatal(__func__, "pointer not from kzmalloc", addr);
	if (!IS_ALIGNED(addr, KZ_PAGE_SIZE))
		kz_fatal(__func__, "unaligned pointer", addr);
	err = buddy_free(page, (size_t) 1 << order, KIND_PAGES, BUDDY_DIRTY);
	if (err != BUDDY_OK)
		kz_fatal(__func__, what[err], addr);
	purge_notify((size_t) 1 << order);
}

void kz_free_page(void *addr)
{
	kz_free_pages(addr, 0);
}

size_t kz_trim(void)
{
	kz_init();
	/* What the quarantine holds first: its objects leave their slabs empty for the purge. */
	quarantine_trim();
	return purge_all();
}

void kz_get_pool_stats(struct kz_pool_stats *stats)
{
	kz_init();
	buddy_stats(stats);
	huge_stats(stats);
}
