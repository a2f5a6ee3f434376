/*
 * buddy_pool.h - the buddy pool's own header: its state, and what its files share. The pool
 * is one box of the layer picture in five files, each calling only those below it:
 *   buddy.c         the pool proper: allocation, extension, free, growth, the counters
 *   buddy_purge.c   purge passes and reclaim
 *   buddy_zero.c    background zeroing, and clearing a run just taken
 *   buddy_area.c    the free areas and the zero queue; split and merge
 *   buddy_verify.c  the invariant walk (beside them: only tests and Debug exits call it)
 * Only they include this; the layers above use buddy.h. The invariants and the lock order are
 * written once, in buddy.c.
 */
#ifndef KZ_BUDDY_POOL_H
#define KZ_BUDDY_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "list.h"
#include "os.h"
#include "page.h"

struct free_area {
	struct kz_list free_list; /* resident blocks first, newest first; then clean ones */
	size_t nr_free;
};

/* What a free block holds: how many of its pages are resident, how many dirty. */
struct block_count {
	uint32_t resident, dirty;
};

struct buddy_pool {
	pthread_mutex_t lock;
	pthread_mutex_t purge_lock;
	struct free_area free_area[KZ_NR_ORDERS];
	struct kz_list chunks; /* every mapped chunk */
	size_t nr_chunks;
	size_t pages_in_use;
	size_t pages_by_kind[KIND_NR];
	size_t pages_resident;
	size_t pages_dirty;
	size_t pages_purged;
	size_t chunks_unmapped;
	struct kz_list zero_queue; /* queued blocks, oldest first */
	size_t nr_queued;
	size_t pages_queued;
	struct kz_page *clearing;      /* the block buddy_zero is clearing (isolated), or NULL */
	struct kz_page *purging;       /* the oldest queued block a purge pass took, or NULL */
	atomic_bool queue_waiting;     /* one is queued or being cleared: read without the lock */
	_Atomic uint32_t queue_oldest; /* the oldest one's stamp, while queue_waiting */
	atomic_size_t pages_zeroed;    /* counted by allocating threads, outside the lock */
	atomic_bool protected;	       /* a block came back no-access (BUDDY_PROTECTED): set once */
};

/* The one pool (buddy.c). */
extern KZ_HIDDEN struct buddy_pool buddy_pool;

/* Stamps are readings of the wrapping millisecond clock (os.h). */
static inline bool block_expired(const struct kz_page *page, uint32_t now, uint32_t delay)
{
	return os_ms_elapsed(now, page->free.stamp, delay);
}

static inline void free_area_del(struct kz_page *page, unsigned order)
{
	list_del(&page->lru);
	buddy_pool.free_area[order].nr_free--;
}

static inline struct block_count block_count_of(const struct kz_page *page)
{
	return (struct block_count){page->free.nr_resident, page->free.nr_dirty};
}

/* The buddy of an order-n block: flip bit n of its page index in the chunk. */
static inline struct kz_page *find_buddy(struct kz_page *page, unsigned order)
{
	return &page_chunk(page)->pages[page_index(page) ^ ((size_t) 1 << order)];
}

/*
 * A buddy may merge only if it is a whole free block of the same order, on
 * a free list or the zero queue: a smaller free block at its address means
 * part of it is still in use, and an isolated one is the purger's until it
 * comes back.
 */
static inline bool page_is_buddy(const struct kz_page *buddy, unsigned order)
{
	return (buddy->flags & ~PG_ZEROING) == (PG_HEAD | PG_FREE) && buddy->order == order;
}

static inline struct block_count count_pages(const struct kz_page *page, size_t nr_pages)
{
	struct block_count count = {0, 0};

	for (size_t i = 0; i < nr_pages; i++) {
		count.resident += page[i].state != PAGE_CLEAN;
		count.dirty += page[i].state == PAGE_DIRTY;
	}
	return count;
}

/* The counts of @nr_pages of a block of @total pages counted @count: no walk if uniform. */
static inline struct block_count count_part(const struct kz_page *part, size_t nr_pages,
					    size_t total, struct block_count count)
{
	if ((count.resident == 0 || count.resident == total) &&
	    (count.dirty == 0 || count.dirty == total))
		return (struct block_count){count.resident ? (uint32_t) nr_pages : 0,
					    count.dirty ? (uint32_t) nr_pages : 0};
	return count_pages(part, nr_pages);
}

/*
 * buddy_area.c, pool lock held: a free block onto its free list as it is (free_area_add); split
 * (the kept part's counts) and merge; a range freed as the largest aligned blocks it holds; the
 * zero queue, and what its lock-free readers see of it (zero_queue_publish).
 */
void free_area_add(struct kz_page *page, unsigned order, struct block_count count, uint32_t stamp);
struct block_count buddy_split(struct kz_page *page, unsigned low, unsigned high,
			       struct block_count count, uint32_t stamp, bool queue);
void buddy_merge(struct kz_page *page, unsigned order, struct block_count count, uint32_t stamp,
		 bool queue);
void free_range(struct kz_page *first, size_t nr_pages, struct block_count count, uint32_t stamp,
		bool queue);
void zero_queue_add(struct kz_page *page, unsigned order, struct block_count count, uint32_t stamp);
void zero_queue_del(struct kz_page *page);
struct kz_page *zero_queue_newest(unsigned order);
void zero_queue_publish(void);

/*
 * buddy_zero.c: clearing a run just taken (no lock needed); the purger's zero hook (purge.h's
 * struct shrinker, registered by buddy_init; buddy_zero_oldest, its other half, is in buddy.h).
 */
void buddy_clear_pages(struct kz_page *page, size_t nr_pages);
size_t buddy_zero(uint32_t min_age);

/* buddy_purge.c: purge free pages before the pool grows, if they hold too much. No lock held. */
void buddy_reclaim(void);

#endif /* KZ_BUDDY_POOL_H */
