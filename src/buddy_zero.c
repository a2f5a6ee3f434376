/*
 * buddy_zero.c - the pool's zero queue and background zeroing.
 *
 * Background zeroing: a block freed with buddy_free_to_zero (large runs,
 * while the purger thread runs) merges with its buddies as any other, but
 * a merged block with dirty pages waits on the zero queue instead of a free
 * list, oldest first, and the purger's zero hook (buddy_zero) takes it off,
 * clears its dirty pages (only those) with non-temporal stores, the pool
 * lock dropped, and puts it back zeroed. An allocation that takes a queued
 * block (buddy.c says when) clears its dirty pages itself (buddy_clear_pages).
 *
 * Owns the zero queue's order and what the readers without the lock see of
 * it (queue_waiting, queue_oldest: every free asks, purge.c), which counts
 * the block being cleared (pool.clearing) as still waiting; buddy.c's
 * invariants say what they hold.
 *
 * Locks: the queue changes under pool.lock only. buddy_zero holds
 * purge_lock for its whole batch, takes pool.lock to take a block off and
 * to put it back, and clears with pool.lock dropped.
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
 * Tell the lock-free readers whether a block waits to be cleared, and since when. Pool lock
 * held. The one being cleared (pool.clearing) still waits: a free that finds it overdue
 * (purge.h) then waits for its clear (purge_lock, in buddy_zero) instead of leaving its old
 * bytes readable past half the purge delay.
 */
static void zero_queue_publish(void)
{
	struct kz_page *oldest = NULL;

	if (!list_empty(&pool.zero_queue))
		oldest = list_entry(pool.zero_queue.next, struct kz_page, lru);
	if (pool.clearing &&
	    (!oldest || (int32_t) (pool.clearing->free.stamp - oldest->free.stamp) < 0))
		oldest = pool.clearing;
	if (oldest)
		atomic_store(&pool.queue_oldest, oldest->free.stamp);
	atomic_store(&pool.queue_waiting, oldest != NULL);
}

/*
 * Queue a free block with dirty pages for the zeroing pass, in stamp order: behind the last one
 * freed before it (a remainder of a block an allocation took keeps its old stamp).
 */
void zero_queue_add(struct kz_page *page, unsigned order, struct block_count count, uint32_t stamp)
{
	struct kz_list *pos = pool.zero_queue.prev;

	kz_assert(IS_ALIGNED(page_index(page), (size_t) 1 << order));
	kz_assert(count.dirty && count.dirty <= count.resident && count.resident <= (1u << order));
	page->flags = PG_HEAD | PG_FREE | PG_ZEROING;
	page->order = (uint8_t) order;
	page->free.nr_resident = (uint16_t) count.resident;
	page->free.nr_dirty = (uint16_t) count.dirty;
	page->free.stamp = stamp;
	while (pos != &pool.zero_queue &&
	       (int32_t) (list_entry(pos, struct kz_page, lru)->free.stamp - stamp) > 0)
		pos = pos->prev;
	list_insert(&page->lru, pos, pos->next);
	pool.nr_queued++;
	pool.pages_queued += (size_t) 1 << order;
	zero_queue_publish();
}

void zero_queue_del(struct kz_page *page)
{
	list_del(&page->lru);
	pool.nr_queued--;
	pool.pages_queued -= (size_t) 1 << page->order;
	zero_queue_publish();
}

/* The newest queued block of @order or more: likely still in the cache of the thread that freed it.
 */
struct kz_page *zero_queue_newest(unsigned order)
{
	struct kz_list *pos;

	list_for_each_reverse(pos, &pool.zero_queue)
	{
		struct kz_page *page = list_entry(pos, struct kz_page, lru);

		if (page->order >= order)
			return page;
	}
	return NULL;
}

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
 * (pool.clearing keeps it waiting meanwhile); bytes cleared.
 */
size_t buddy_zero(uint32_t min_age)
{
	size_t pages = 0, cleared = 0;

	if (!atomic_load(&pool.queue_waiting))
		return 0;
	pthread_mutex_lock(&pool.purge_lock);
	while (pages < ZERO_BATCH_PAGES) {
		struct kz_page *page = NULL;
		size_t nr, done;

		pthread_mutex_lock(&pool.lock);
		if (!list_empty(&pool.zero_queue)) {
			page = list_entry(pool.zero_queue.next, struct kz_page, lru);
			if (block_expired(page, os_now_ms(), min_age)) {
				pool.clearing = page;
				zero_queue_del(page);
				page->flags |= PG_ISOLATED;
			} else {
				page = NULL;
			}
		}
		pthread_mutex_unlock(&pool.lock);
		if (!page)
			break;
		nr = (size_t) 1 << page->order;
		vg_undefined(page_address(page), nr << KZ_PAGE_SHIFT);
		done = clear_dirty(page, nr, PAGE_ZEROED, true);
		vg_noaccess(page_address(page), nr << KZ_PAGE_SHIFT);
		kz_assert(done == page->free.nr_dirty);

		pthread_mutex_lock(&pool.lock);
		page->flags = 0;
		pool.pages_dirty -= done;
		pool.clearing = NULL;
		buddy_merge(page, page->order, (struct block_count){page->free.nr_resident, 0},
			    page->free.stamp, false);
		zero_queue_publish();
		pthread_mutex_unlock(&pool.lock);
		atomic_fetch_add_explicit(&pool.pages_zeroed, done, memory_order_relaxed);
		count_vm_events(VM_ZEROED_PURGER, (unsigned long) done << KZ_PAGE_SHIFT);
		pages += nr;
		cleared += done;
	}
	pthread_mutex_unlock(&pool.purge_lock);
	return cleared << KZ_PAGE_SHIFT;
}

bool buddy_zero_oldest(uint32_t *stamp)
{
	if (!atomic_load(&pool.queue_waiting))
		return false;
	*stamp = atomic_load(&pool.queue_oldest);
	return true;
}
