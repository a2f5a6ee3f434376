/*
 * buddy_verify.c - the pool's invariant walk (buddy_verify): every chunk
 * block by block, the free lists and the zero queue, against the pool's
 * counters and the invariants buddy.c writes down; a broken one is fatal.
 * Debug builds and the tests call it; it changes nothing.
 *
 * Locks: purge_lock (so that no block is isolated), then buddy_pool.lock, for the
 * whole walk.
 */
#include "buddy.h"

#include <pthread.h>
#include <stdatomic.h>

#include "buddy_pool.h"
#include "pagemap.h"
#include "util.h"

#define VERIFY(cond)                                                                               \
	do {                                                                                       \
		if (!(cond))                                                                       \
			kz_assert_fail(#cond, __FILE__, __LINE__);                                 \
	} while (0)

/* What a walk of the chunks adds up, to compare with the pool's counters. */
struct verify_sums {
	size_t nr_free[KZ_NR_ORDERS];
	size_t in_use;
	size_t nr_queued, pages_queued;
	struct block_count total;
};

/* Walk one chunk block by block; add up its free and queued blocks, pages in use, and resident
 * and dirty pages. */
static void verify_chunk(struct kz_chunk *chunk, struct verify_sums *sum)
{
	for (size_t i = 0; i < KZ_CHUNK_PAGES;) {
		struct kz_page *page = &chunk->pages[i];
		size_t nr = (size_t) 1 << page->order;

		VERIFY(page->flags & PG_HEAD);
		VERIFY(page->order <= KZ_MAX_ORDER && IS_ALIGNED(i, nr));
		if (page->flags & PG_FREE) {
			struct block_count count = count_pages(page, nr);
			bool queued = page->flags & PG_ZEROING;

			VERIFY(page->flags == (PG_HEAD | PG_FREE | (queued ? PG_ZEROING : 0)));
			VERIFY(page->free.nr_resident == count.resident);
			VERIFY(page->free.nr_dirty == count.dirty);
			for (size_t j = 1; j < nr; j++)
				VERIFY(page[j].flags == 0);
			VERIFY(page->order == KZ_MAX_ORDER ||
			       !page_is_buddy(find_buddy(page, page->order), page->order));
			if (queued) {
				VERIFY(count.dirty > 0);
				sum->nr_queued++;
				sum->pages_queued += nr;
			} else {
				sum->nr_free[page->order]++;
			}
			sum->total.resident += count.resident;
			sum->total.dirty += count.dirty;
		} else {
			VERIFY((page->flags & ~PG_FREEING) == PG_HEAD && page->kind != KIND_HUGE &&
			       page->kind != KIND_ZERO);
			/* not 2 * nr_pages > nr: an aligned run (memalign) may be much
			 * smaller than the block its alignment took */
			VERIFY(page->nr_pages >= 1 && page->nr_pages <= nr);
			for (size_t j = 1; j < page->nr_pages; j++)
				VERIFY(page[j].flags == PG_TAIL && page[j].head == j);
			sum->in_use += page->nr_pages;
			nr = page->nr_pages; /* the run's trimmed tail is free blocks */
		}
		i += nr;
	}
}

/* The zero queue: queued blocks only, oldest first, counted; what the readers without the lock see.
 */
static void verify_queue(const struct verify_sums *sum)
{
	size_t listed = 0, pages = 0;
	struct kz_list *pos;
	uint32_t last = 0;

	list_for_each(pos, &buddy_pool.zero_queue)
	{
		struct kz_page *page = list_entry(pos, struct kz_page, lru);

		VERIFY(page->flags == (PG_HEAD | PG_FREE | PG_ZEROING));
		VERIFY(!listed || (int32_t) (page->free.stamp - last) >= 0);
		last = page->free.stamp;
		listed++;
		pages += (size_t) 1 << page->order;
	}
	VERIFY(!buddy_pool.clearing && !buddy_pool.purging); /* purge_lock held: nothing isolated */
	VERIFY(listed == buddy_pool.nr_queued && listed == sum->nr_queued);
	VERIFY(pages == buddy_pool.pages_queued && pages == sum->pages_queued);
	VERIFY(atomic_load(&buddy_pool.queue_waiting) == (listed != 0));
	VERIFY(!listed ||
	       atomic_load(&buddy_pool.queue_oldest) ==
		       list_entry(buddy_pool.zero_queue.next, struct kz_page, lru)->free.stamp);
}

void buddy_verify(void)
{
	struct verify_sums sum = {0};
	struct kz_list *pos;
	size_t chunks = 0;

	pthread_mutex_lock(&buddy_pool.purge_lock);
	pthread_mutex_lock(&buddy_pool.lock);
	list_for_each(pos, &buddy_pool.chunks)
	{
		struct kz_chunk *chunk = list_entry(pos, struct kz_chunk, link);

		VERIFY(chunk->size == KZ_CHUNK_SIZE);
		VERIFY(pagemap_chunk((void *) chunk->base) == chunk);
		verify_chunk(chunk, &sum);
		chunks++;
	}
	VERIFY(chunks == buddy_pool.nr_chunks && sum.in_use == buddy_pool.pages_in_use);
	VERIFY(sum.total.resident == buddy_pool.pages_resident &&
	       sum.total.dirty == buddy_pool.pages_dirty);
	verify_queue(&sum);
	for (unsigned order = 0; order < KZ_NR_ORDERS; order++) {
		size_t listed = 0;
		bool clean_seen = false;

		list_for_each(pos, &buddy_pool.free_area[order].free_list)
		{
			struct kz_page *page = list_entry(pos, struct kz_page, lru);

			VERIFY(page->flags == (PG_HEAD | PG_FREE) && page->order == order);
			VERIFY(!(clean_seen && page->free.nr_resident));
			clean_seen |= !page->free.nr_resident;
			listed++;
		}
		VERIFY(listed == buddy_pool.free_area[order].nr_free &&
		       listed == sum.nr_free[order]);
	}
	pthread_mutex_unlock(&buddy_pool.lock);
	pthread_mutex_unlock(&buddy_pool.purge_lock);
}
