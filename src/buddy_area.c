/*
 * buddy_area.c - where the pool's free blocks live: the free areas (one free list per order)
 * and the zero queue, and the buddy algorithm over them: split a block down to the order asked
 * (buddy_split), merge a freed one with its buddies (buddy_merge), free a range as the largest
 * aligned blocks it holds (free_range). Like the kernel's, a block of order n is 2^n pages
 * aligned to its size, and a block merges with its buddy for as long as the buddy is free and
 * whole, so a pool whose pages are all free is whole chunks again.
 *
 * Owns struct buddy_pool (buddy_pool.h; buddy.c's opening comment has its invariants and lock
 * order) and the zero queue's order, with what the readers without the lock see of it
 * (queue_waiting, queue_oldest: every free asks, purge.c), which counts the block being cleared
 * (buddy_pool.clearing) as still waiting. The bottom of the pool: it calls none of its other
 * files (buddy.c allocates and frees, buddy_zero.c clears, buddy_purge.c purges, all through
 * these lists).
 *
 * Locks: everything here runs with buddy_pool.lock held.
 */
#include <stdatomic.h>

#include "buddy_pool.h"
#include "chunk.h"

struct buddy_pool buddy_pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.purge_lock = PTHREAD_MUTEX_INITIALIZER,
};

/*
 * A block's stamp is the mean time its resident pages became free, weighted
 * by their number: a page freed just now does not keep a cold megabyte from
 * being purged, and a cold page does not get a block freed just now purged
 * early. Clean blocks keep the newer stamp (how long the block stayed free).
 */
static uint32_t stamp_merge(uint32_t a, uint32_t a_resident, uint32_t b, uint32_t b_resident)
{
	if (a_resident + b_resident == 0)
		return (int32_t) (b - a) > 0 ? b : a;
	return a +
	       (uint32_t) ((int64_t) (int32_t) (b - a) * b_resident / (a_resident + b_resident));
}

void free_area_add(struct kz_page *page, unsigned order, struct block_count count, uint32_t stamp)
{
	struct free_area *area = &buddy_pool.free_area[order];

	kz_assert(IS_ALIGNED(page_index(page), (size_t) 1 << order));
	kz_assert(count.dirty <= count.resident && count.resident <= (1u << order));
	page->flags = PG_HEAD | PG_FREE;
	page->order = (uint8_t) order;
	page->free.nr_resident = (uint16_t) count.resident;
	page->free.nr_dirty = (uint16_t) count.dirty;
	page->free.stamp = stamp;
	if (count.resident)
		list_add(&page->lru, &area->free_list);
	else
		list_add_tail(&page->lru, &area->free_list);
	area->nr_free++;
}

/* A block that merges no further: on the zero queue if it has dirty pages and @queue, else on its
 * free list. */
static void free_block_add(struct kz_page *page, unsigned order, struct block_count count,
			   uint32_t stamp, bool queue)
{
	if (queue && count.dirty)
		zero_queue_add(page, order, count, stamp);
	else
		free_area_add(page, order, count, stamp);
}

/*
 * Split a free order-@high block down to order @low (the kernel's expand):
 * each step gives the upper half back to the free lists (to the zero queue,
 * if @queue and it has dirty pages) and keeps the lower one, so the caller
 * ends with the block's first 2^low pages and the halves left over are as
 * large as they can be. Returns the kept pages' counts. A block whose
 * resident pages are not all or none has them counted: the kept part first,
 * since they are most often all there (the run freed last, at the start of
 * the block it merged into), and then the halves are known empty unwalked.
 */
struct block_count buddy_split(struct kz_page *page, unsigned low, unsigned high,
			       struct block_count count, uint32_t stamp, bool queue)
{
	struct block_count kept = count_part(page, (size_t) 1 << low, (size_t) 1 << high, count);
	bool rest_empty = kept.resident == count.resident && kept.dirty == count.dirty;

	while (high > low) {
		size_t half = (size_t) 1 << --high;
		struct block_count upper = rest_empty
						   ? (struct block_count){0, 0}
						   : count_part(page + half, half, 2 * half, count);

		free_block_add(page + half, high, upper, stamp, queue);
		count.resident -= upper.resident;
		count.dirty -= upper.dirty;
	}
	return count;
}

/*
 * Put a free block on the lists, merging it with its buddy while the buddy
 * is free: the pair becomes one block of the next order headed by the lower
 * half (the kernel's __free_one_page). The block goes on the zero queue if
 * it has dirty pages and @queue, or if a queued buddy merged into it: what
 * the purger was to clear stays the purger's.
 */
void buddy_merge(struct kz_page *page, unsigned order, struct block_count count, uint32_t stamp,
		 bool queue)
{
	while (order < KZ_MAX_ORDER) {
		struct kz_page *buddy = find_buddy(page, order);

		if (!page_is_buddy(buddy, order))
			break;
		if (buddy->flags & PG_ZEROING) {
			zero_queue_del(buddy);
			queue = true;
		} else {
			free_area_del(buddy, order);
		}
		stamp = stamp_merge(stamp, count.resident, buddy->free.stamp,
				    buddy->free.nr_resident);
		count.resident += buddy->free.nr_resident;
		count.dirty += buddy->free.nr_dirty;
		if (buddy < page) {
			page->flags = 0;
			page = buddy;
		} else {
			buddy->flags = 0;
		}
		order++;
	}
	free_block_add(page, order, count, stamp, queue);
}

/*
 * Free the pages [first, end) of a chunk, which start aligned to a block of
 * at least their size, as the largest aligned blocks they hold. Two walks
 * cover both uses: the tail of a rounded-up block (ascending orders from an
 * odd start) and a whole run (descending orders from an aligned start).
 * @count is the range's; a uniform range is split without walking it. With
 * @queue, a block with dirty pages waits on the zero queue.
 */
void free_range(struct kz_page *first, size_t nr_pages, struct block_count count, uint32_t stamp,
		bool queue)
{
	struct kz_page *base = page_chunk(first)->pages;
	size_t idx = page_index(first), end = idx + nr_pages;

	while (idx < end) {
		unsigned order = (unsigned) __builtin_ctzl(idx | KZ_CHUNK_PAGES);
		size_t nr;

		while (idx + ((size_t) 1 << order) > end)
			order--;
		nr = (size_t) 1 << order;
		buddy_merge(&base[idx], order, count_part(&base[idx], nr, nr_pages, count), stamp,
			    queue);
		idx += nr;
	}
}

/* The one of @a and @b (either may be NULL) freed first. */
static struct kz_page *older_block(struct kz_page *a, struct kz_page *b)
{
	if (!a || (b && (int32_t) (b->free.stamp - a->free.stamp) < 0))
		return b;
	return a;
}

/*
 * Tell the lock-free readers whether a block waits to be cleared, and since when. Pool lock
 * held. The one being cleared (buddy_pool.clearing) and those a purge pass took off the queue
 * (buddy_pool.purging, the oldest) still wait: a free that finds them overdue (purge.h) then
 * waits for the clear or the purge (purge_lock, in buddy_zero) instead of leaving their old
 * bytes readable past half the purge delay.
 */
void zero_queue_publish(void)
{
	struct kz_page *oldest = NULL;

	if (!list_empty(&buddy_pool.zero_queue))
		oldest = list_entry(buddy_pool.zero_queue.next, struct kz_page, lru);
	oldest = older_block(oldest, buddy_pool.clearing);
	oldest = older_block(oldest, buddy_pool.purging);
	if (oldest)
		atomic_store(&buddy_pool.queue_oldest, oldest->free.stamp);
	atomic_store(&buddy_pool.queue_waiting, oldest != NULL);
}

/*
 * Queue a free block with dirty pages for the zeroing pass, in stamp order: behind the last one
 * freed before it (a remainder of a block an allocation took keeps its old stamp).
 */
void zero_queue_add(struct kz_page *page, unsigned order, struct block_count count, uint32_t stamp)
{
	struct kz_list *pos = buddy_pool.zero_queue.prev;

	kz_assert(IS_ALIGNED(page_index(page), (size_t) 1 << order));
	kz_assert(count.dirty && count.dirty <= count.resident && count.resident <= (1u << order));
	page->flags = PG_HEAD | PG_FREE | PG_ZEROING;
	page->order = (uint8_t) order;
	page->free.nr_resident = (uint16_t) count.resident;
	page->free.nr_dirty = (uint16_t) count.dirty;
	page->free.stamp = stamp;
	while (pos != &buddy_pool.zero_queue &&
	       (int32_t) (list_entry(pos, struct kz_page, lru)->free.stamp - stamp) > 0)
		pos = pos->prev;
	list_insert(&page->lru, pos, pos->next);
	buddy_pool.nr_queued++;
	buddy_pool.pages_queued += (size_t) 1 << order;
	zero_queue_publish();
}

void zero_queue_del(struct kz_page *page)
{
	list_del(&page->lru);
	buddy_pool.nr_queued--;
	buddy_pool.pages_queued -= (size_t) 1 << page->order;
	zero_queue_publish();
}

/* The newest queued block of @order or more: likely still in the cache of the thread that freed it.
 */
struct kz_page *zero_queue_newest(unsigned order)
{
	struct kz_list *pos;

	list_for_each_reverse(pos, &buddy_pool.zero_queue)
	{
		struct kz_page *page = list_entry(pos, struct kz_page, lru);

		if (page->order >= order)
			return page;
	}
	return NULL;
}
