/*
 * buddy_zero.c - the pool's background zeroing, and the clearing of a run just taken.
 *
 * Background zeroing: a block freed with buddy_free_to_zero (large runs,
 * while the purger thread runs) merges with its buddies as any other, but
 * a merged block with dirty pages waits on the zero queue instead of a free
 * list, oldest first, and the purger's zero hook (buddy_zero) takes it off,
 * clears its dirty pages (only those) with non-temporal stores, the pool
 * lock dropped, and puts it back zeroed. An allocation that takes a queued
 * block (buddy.c says when) clears its dirty pages itself (buddy_clear_pages).
 *
 * Owns buddy_pool.clearing, the block it is clearing; the queue itself is
 * buddy_area.c's, which counts that block as still waiting; buddy.c's
 * invariants say what they hold.
 *
 * Locks: the queue changes under buddy_pool.lock only. buddy_zero holds
 * purge_lock for its whole batch, takes buddy_pool.lock to take a block off and
 * to put it back, and clears with buddy_pool.lock dropped.
 */
#include "buddy.h"

#include <pthread.h>
#include <stdatomic.h>

#include "buddy_pool.h"
#include "os.h"
#include "resident.h"
#include "vg.h"
#include "vmstat.h"

/* Pages one zeroing batch clears at most (8 MiB): bounds how long it holds purge_lock. */
#define ZERO_BATCH_PAGES 2048

/*
 * Clear the dirty pages of a block and set their states to @state (@cold: the purger's, for a
 * block another thread wrote; resident_zero); the pages cleared. The caller owns the block: an
 * allocation, or the purger, which has it isolated.
 */
static size_t clear_dirty(struct kz_page *page, size_t nr_pages, enum page_state state, bool cold)
{
	char *base = page_address(page);
	size_t cleared = 0;

	for (size_t i = 0; i < nr_pages;) {
		size_t run = 0;

		while (i + run < nr_pages && page[i + run].state == PAGE_DIRTY)
			page[i + run++].state = (uint8_t) state;
		if (run)
			resident_zero(base + (i << KZ_PAGE_SHIFT), run << KZ_PAGE_SHIFT, cold);
		cleared += run;
		i += run + 1;
	}
	return cleared;
}

/* Clear the dirty pages of a run just taken and reset every page's state; no lock needed. */
void buddy_clear_pages(struct kz_page *page, size_t nr_pages)
{
	clear_dirty(page, nr_pages, PAGE_CLEAN, false);
	for (size_t i = 0; i < nr_pages; i++)
		page[i].state = PAGE_CLEAN;
}

/*
 * The zero hook: take queued blocks that waited @min_age ms or more off the queue, oldest first,
 * clear their dirty pages (non-temporal stores: another thread wrote them) with the pool lock
 * dropped, and merge them in zeroed; at most ZERO_BATCH_PAGES pages. purge_lock is held all the
 * while, so a fork waits for the block being cleared, and so does a free that finds it overdue
 * (buddy_pool.clearing keeps it waiting meanwhile); bytes cleared.
 */
size_t buddy_zero(uint32_t min_age)
{
	size_t pages = 0, cleared = 0;

	if (!atomic_load(&buddy_pool.queue_waiting))
		return 0;
	pthread_mutex_lock(&buddy_pool.purge_lock);
	while (pages < ZERO_BATCH_PAGES) {
		struct kz_page *page = NULL;
		size_t nr, done;

		pthread_mutex_lock(&buddy_pool.lock);
		if (!list_empty(&buddy_pool.zero_queue)) {
			page = list_entry(buddy_pool.zero_queue.next, struct kz_page, lru);
			if (block_expired(page, os_now_ms(), min_age)) {
				buddy_pool.clearing = page;
				zero_queue_del(page);
				page->flags |= PG_ISOLATED;
			} else {
				page = NULL;
			}
		}
		pthread_mutex_unlock(&buddy_pool.lock);
		if (!page)
			break;
		nr = (size_t) 1 << page->order;
		vg_undefined(page_address(page), nr << KZ_PAGE_SHIFT);
		done = clear_dirty(page, nr, PAGE_ZEROED, true);
		vg_noaccess(page_address(page), nr << KZ_PAGE_SHIFT);
		kz_assert(done == page->free.nr_dirty);

		pthread_mutex_lock(&buddy_pool.lock);
		page->flags = 0;
		buddy_pool.pages_dirty -= done;
		buddy_pool.clearing = NULL;
		buddy_merge(page, page->order, (struct block_count){page->free.nr_resident, 0},
			    page->free.stamp, false);
		zero_queue_publish();
		pthread_mutex_unlock(&buddy_pool.lock);
		atomic_fetch_add_explicit(&buddy_pool.pages_zeroed, done, memory_order_relaxed);
		count_vm_events(VM_ZEROED_PURGER, (unsigned long) done << KZ_PAGE_SHIFT);
		pages += nr;
		cleared += done;
	}
	pthread_mutex_unlock(&buddy_pool.purge_lock);
	return cleared << KZ_PAGE_SHIFT;
}

bool buddy_zero_oldest(uint32_t *stamp)
{
	if (!atomic_load(&buddy_pool.queue_waiting))
		return false;
	*stamp = atomic_load(&buddy_pool.queue_oldest);
	return true;
}
