/*
 * buddy.h - the buddy page pool: blocks of 2^order pages, orders 0 to
 * KZ_MAX_ORDER, split and coalesced as the kernel's page allocator does,
 * handed out zeroed, purged back to the OS when they stay unused.
 */
#ifndef KZ_BUDDY_H
#define KZ_BUDDY_H

#include <stdbool.h>

#include "kzmalloc.h"
#include "page.h"

/* What buddy_free() found wrong; the API layer words the message. */
enum buddy_err {
	BUDDY_OK,
	BUDDY_DOUBLE_FREE, /* the page is already free */
	BUDDY_INTERIOR,	   /* a page inside an allocated block, not its head */
	BUDDY_WRONG_ORDER, /* the head of a block of another order */
};

void buddy_init(void);

/* A zeroed block; the head's descriptor, or NULL with errno ENOMEM. */
struct kz_page *buddy_alloc(unsigned order);

/* Give back the block headed by @page, if it is one of @order that is in use. */
enum buddy_err buddy_free(struct kz_page *page, unsigned order);

/* Purge free pages older than the purge delay, or (@all) every free page,
 * and unmap chunks that stayed wholly free; returns the bytes purged. */
size_t buddy_purge(bool all);

/* Is anything left for the purger? If not, mark it idle so that the next free wakes it. */
bool buddy_purge_pending(void);

void buddy_stats(struct kz_pool_stats *stats);

/* Walk every chunk and free list and check each invariant; fatal if one is broken. */
void buddy_verify(void);

/* fork(): hold every pool lock across it, so the child inherits a consistent pool. */
void buddy_fork_prepare(void);
void buddy_fork_parent(void);
void buddy_fork_child(void);

#endif /* KZ_BUDDY_H */
