/*
 * buddy.h - the buddy page pool: blocks of 2^order pages, orders 0 to
 * KZ_MAX_ORDER, split and coalesced as the kernel's page allocator does,
 * handed out zeroed, purged back to the OS when they stay unused. Its
 * chunks are registered in the page map through chunk.h.
 */
#ifndef KZ_BUDDY_H
#define KZ_BUDDY_H

#include <pthread.h>
#include <stdbool.h>

#include "kzmalloc.h"
#include "page.h"

/* What buddy_free() found wrong; the layer above words the message. */
enum buddy_err {
	BUDDY_OK,
	BUDDY_DOUBLE_FREE, /* the page is already free */
	BUDDY_INTERIOR,	   /* a page inside an allocated block, not its head */
	BUDDY_WRONG_SIZE,  /* the head of a block of another size */
	BUDDY_WRONG_KIND,  /* the head of a block some other layer owns */
};

void buddy_init(void);

/*
 * @nr_pages (1 to KZ_CHUNK_PAGES) zeroed pages at the start of a block of
 * order max(page_order(nr_pages * KZ_PAGE_SIZE), @align_order), so
 * aligned to that block; the rest of the block stays in the pool (the
 * kernel's alloc_pages_exact). The head's descriptor, or NULL with ENOMEM.
 * The head's state is PAGE_ZEROED if every page was resident when handed
 * out, else PAGE_CLEAN (page.h). Also NULL with ENOMEM if the pages were
 * given back no-access (BUDDY_PROTECTED) and the OS will not make them
 * accessible again.
 */
struct kz_page *buddy_alloc(size_t nr_pages, unsigned align_order, enum page_kind kind);

/*
 * Grow the allocated @kind run headed by @page in place to @nr_pages
 * (realloc): the pages after it join it, zeroed, if the run starts a block
 * of the order that holds @nr_pages and they are all free. False, and
 * nothing changed, otherwise. The head's state is PAGE_ZEROED afterwards
 * only if it was and every page that joined was resident. False too if
 * pages that joined were given back no-access and the OS will not make them
 * accessible again.
 */
bool buddy_extend(struct kz_page *page, size_t nr_pages, enum page_kind kind);

/*
 * Mark an allocated block as freed by its owner but not yet given back
 * (@freeing), or as allocated again: lookups see a PG_FREEING block as
 * freed, the pool still counts it in use.
 */
void buddy_mark_freeing(struct kz_page *page, bool freeing);

/* What the pages of a block given back hold (buddy_free). */
enum buddy_fill {
	BUDDY_DIRTY,  /* maybe old data: cleared before it is handed out again */
	BUDDY_ZEROED, /* cleared by the caller: no memset when handed out again */
	BUDDY_MARKED, /* as each page's state says: the caller set them all (page.h) */
	/*
	 * Purged by the caller (clean: reads zero, holds no memory) and perhaps no-access
	 * (KZMALLOC_CHECK=protect): from the first such block on, the pool makes what it hands out
	 * accessible again wherever it takes clean pages (buddy_alloc, buddy_extend).
	 */
	BUDDY_PROTECTED,
};

/*
 * Give back the block headed by @page, if it is an allocated @kind block of
 * @nr_pages, its pages holding what @fill says. The pages are then the
 * purge's to give back later; the pool does not tell it (purge.h: the
 * caller's free path does).
 */
enum buddy_err buddy_free(struct kz_page *page, size_t nr_pages, enum page_kind kind,
			  enum buddy_fill fill);

/*
 * buddy_free, for a block whose dirty pages the purger is to clear
 * (background zeroing, while purge_zeroing() says it runs): the block
 * merges as with buddy_free, and the merged block waits on the pool's zero
 * queue until its zero hook clears the dirty pages; an allocation takes a
 * queued block only when no resident clean one fits, and clears it itself.
 * What purge_notify is then told is the same as for buddy_free.
 */
enum buddy_err buddy_free_to_zero(struct kz_page *page, size_t nr_pages, enum page_kind kind,
				  enum buddy_fill fill);

/* Purge free pages older than the purge delay, or (@all) every free page,
 * and unmap chunks that stayed wholly free; returns the bytes purged. */
size_t buddy_purge(bool all);

/* Does the pool hold anything a later purge pass would give back? */
bool buddy_purge_pending(void);

/*
 * When the oldest block waiting for the purger's zero hook was freed (os_now_ms), in @stamp:
 * queued, or being cleared (a free that finds it overdue then waits for the clear); false if
 * none waits. Takes no lock: the shrinker's zero_oldest (purge.h), which every free asks.
 */
bool buddy_zero_oldest(uint32_t *stamp);

/* The pool's figures of @stats: all but the huge mappings' (huge_stats). */
void buddy_stats(struct kz_pool_stats *stats);

/* Walk every chunk and free list and check each invariant; fatal if one is broken. */
void buddy_verify(void);

/* The pool's locks, for the lock-order table fork walks (init.c); @i is ignored. */
pthread_mutex_t *buddy_purge_lock(unsigned i);
pthread_mutex_t *buddy_pool_lock(unsigned i);

#endif /* KZ_BUDDY_H */
