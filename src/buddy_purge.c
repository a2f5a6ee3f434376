/*
 * buddy_purge.c - the pool's purge passes and reclaim: free pages back to
 * the OS.
 *
 * A purge pass takes blocks that stayed free for the purge delay off the
 * zero queue (oldest first: what waited on it that long is purged like any
 * free block instead of cleared) and off the free lists, isolated; purges
 * them (MADV_DONTNEED), or unmaps a chunk that is one wholly free clean
 * block, with the pool lock dropped; and puts them back clean.
 * buddy_reclaim runs a pass over everything free before the pool grows
 * while its free pages hold more than a quarter of what is in use.
 *
 * Invariants: buddy.c's; a block isolated here is this file's until put
 * back, within one hold of purge_lock.
 *
 * Locks: purge_lock for a whole pass (buddy_reclaim only tries it: a pass
 * under way is not waited for), buddy_pool.lock to isolate and to put back, and
 * chunk_lock (chunk.c) under it where a wholly free chunk is hidden.
 */
#include "buddy.h"

#include <pthread.h>

#include "buddy_pool.h"
#include "chunk.h"
#include "options.h"
#include "os.h"

/* Blocks isolated per purge pass: bounds how long the pool lock is held. */
#define PURGE_BATCH 32

/* The pool purges its free pages before it grows once they hold 1/RECLAIM_SHARE of what is in
 * use (buddy_reclaim). */
#define RECLAIM_SHARE 4

/*
 * Take up to PURGE_BATCH expired blocks off the zero queue (oldest first:
 * purged instead of cleared) and the free lists: resident ones to purge,
 * and whole clean chunks to unmap (their page-map entries are cleared at
 * once, so no lookup finds them from here on). Pool lock held.
 */
static size_t purge_isolate(struct kz_page **batch, uint32_t now, uint32_t delay)
{
	size_t n = 0;

	while (!list_empty(&buddy_pool.zero_queue) && n < PURGE_BATCH) {
		struct kz_page *page = list_entry(buddy_pool.zero_queue.next, struct kz_page, lru);

		if (!block_expired(page, now, delay))
			break;
		if (!n) /* the oldest: still waiting, for a free that finds it overdue (buddy_zero)
			 */
			buddy_pool.purging = page;
		zero_queue_del(page);
		page->flags |= PG_ISOLATED;
		batch[n++] = page;
	}
	for (unsigned order = 0; order < KZ_NR_ORDERS && n < PURGE_BATCH; order++) {
		struct kz_list *head = &buddy_pool.free_area[order].free_list, *pos = head->next;

		while (pos != head && n < PURGE_BATCH) {
			struct kz_page *page = list_entry(pos, struct kz_page, lru);

			pos = pos->next;
			if (!page->free.nr_resident && order < KZ_MAX_ORDER)
				break; /* the clean tail of the list */
			if (!block_expired(page, now, delay))
				continue;
			free_area_del(page, order);
			page->flags |= PG_ISOLATED;
			if (!page->free.nr_resident) {
				struct kz_chunk *chunk = page_chunk(page);

				chunk_hide(chunk);
				list_del(&chunk->link);
				buddy_pool.nr_chunks--;
			}
			batch[n++] = page;
		}
	}
	return n;
}

/*
 * Give isolated blocks back: purged ones to the lists clean, unmapped chunks' descriptors to the
 * spares. A block the OS would not purge (@purged false) goes back as it was, stamp and all (to
 * the zero queue, if it came from there).
 */
static size_t purge_putback(struct kz_page **batch, const bool *purged, size_t n, uint32_t now)
{
	size_t bytes = 0;

	if (buddy_pool.purging) {
		buddy_pool.purging = NULL;
		zero_queue_publish();
	}
	for (size_t i = 0; i < n; i++) {
		struct kz_page *page = batch[i];
		bool queued = page->flags & PG_ZEROING;

		if (!page->free.nr_resident) {
			chunk_release(page_chunk(page));
			buddy_pool.chunks_unmapped++;
			continue;
		}
		page->flags = 0;
		if (!purged[i]) {
			buddy_merge(page, page->order, block_count_of(page), page->free.stamp,
				    queued);
			continue;
		}
		buddy_pool.pages_resident -= page->free.nr_resident;
		buddy_pool.pages_dirty -= page->free.nr_dirty;
		buddy_pool.pages_purged += page->free.nr_resident;
		bytes += (size_t) page->free.nr_resident << KZ_PAGE_SHIFT;
		buddy_merge(page, page->order, (struct block_count){0, 0}, now, false);
	}
	return bytes;
}

/*
 * Purge in batches until nothing expired is left. If madvise fails, the
 * pages keep their states (a dirty page marked clean would be handed out
 * with old data) and the pass ends, since the block it put back would be
 * isolated again at once; a later pass tries again.
 */
static size_t purge_passes(uint32_t delay)
{
	struct kz_page *batch[PURGE_BATCH];
	bool purged[PURGE_BATCH], refused = false;
	size_t n, bytes = 0;

	do {
		pthread_mutex_lock(&buddy_pool.lock);
		n = purge_isolate(batch, os_now_ms(), delay);
		pthread_mutex_unlock(&buddy_pool.lock);

		for (size_t i = 0; i < n; i++) {
			struct kz_page *page = batch[i];
			size_t nr = (size_t) 1 << page->order;

			purged[i] = true;
			if (!page->free.nr_resident) {
				os_unmap(page_address(page), KZ_CHUNK_SIZE);
			} else if (os_purge(page_address(page), nr << KZ_PAGE_SHIFT)) {
				for (size_t j = 0; j < nr; j++)
					page[j].state = PAGE_CLEAN;
			} else {
				purged[i] = false;
				refused = true;
			}
		}

		pthread_mutex_lock(&buddy_pool.lock);
		bytes += purge_putback(batch, purged, n, os_now_ms());
		pthread_mutex_unlock(&buddy_pool.lock);
	} while (n && !refused);
	return bytes;
}

size_t buddy_purge(bool all)
{
	size_t bytes;

	pthread_mutex_lock(&buddy_pool.purge_lock);
	bytes = purge_passes(all ? 0 : kz_opt.purge_delay_ms);
	pthread_mutex_unlock(&buddy_pool.purge_lock);
	return bytes;
}

/*
 * Before the pool grows by a chunk: free pages that hold more than 1/RECLAIM_SHARE of what is in
 * use (and a chunk's worth at least) could not serve this request, and fragments left around
 * long-lived blocks may never serve one, so they are purged now rather than after the delay (the
 * kernel's direct reclaim): the process's memory stays near what it uses while the pool grows.
 * A purge pass under way (its lock taken) is not waited for. No lock held.
 */
void buddy_reclaim(void)
{
	size_t resident, in_use;

	pthread_mutex_lock(&buddy_pool.lock);
	resident = buddy_pool.pages_resident;
	in_use = buddy_pool.pages_in_use;
	pthread_mutex_unlock(&buddy_pool.lock);
	if (resident < KZ_CHUNK_PAGES || resident * RECLAIM_SHARE < in_use)
		return;
	if (pthread_mutex_trylock(&buddy_pool.purge_lock))
		return;
	purge_passes(0);
	pthread_mutex_unlock(&buddy_pool.purge_lock);
}

bool buddy_purge_pending(void)
{
	bool pending;

	pthread_mutex_lock(&buddy_pool.lock);
	pending = buddy_pool.pages_resident || buddy_pool.free_area[KZ_MAX_ORDER].nr_free;
	pthread_mutex_unlock(&buddy_pool.lock);
	return pending;
}
