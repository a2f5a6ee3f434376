/*
 * buddy.c - the buddy page pool.
 *
 * Owns the free lists (one free area per order), the list of chunks and
 * the pool's counters. Like the kernel's page allocator, a block of order n
 * is 2^n pages aligned to its size; freeing merges it with its buddy (the
 * other half of the order n+1 block they make) for as long as the buddy is
 * free and whole, so a pool whose pages are all free is whole chunks again.
 *
 * Zeroing: every free page carries a dirty byte. Fresh and purged pages are
 * clean (the kernel hands them out zeroed) and are never cleared again;
 * dirty pages are cleared with memset when a block is handed out. memset is
 * the cheaper way at every order when the memory gets used: on the machines
 * this was built on a page costs 0.03 us to memset and 0.7 us to fault back
 * in after MADV_DONTNEED (bench/zeroing.c; bench/RESULTS.md). So the free
 * lists keep dirty blocks at the front, newest first, for reuse while they
 * are resident, and purge (MADV_DONTNEED) what stayed unused for the purge
 * delay.
 *
 * Invariants (checked by buddy_verify):
 *   - each page of a chunk belongs to exactly one block, whose head is
 *     aligned to its order and is allocated, free or isolated (page.h);
 *   - a free block's buddy is not a free block of the same order;
 *   - free_area[n] lists exactly the free order-n blocks, dirty ones first,
 *     and nr_free counts them; a free head's nr_dirty counts its dirty pages;
 *   - pages_in_use and pages_dirty are the sums over all blocks.
 *
 * Locks, in the order they are taken:
 *   pool.purge_lock  one purge pass at a time (and no pass across fork)
 *   pool.lock        free lists, descriptors' flags, counters, chunk list
 * The metadata arena (meta.c) is only called with pool.lock held. Page
 * contents are cleared and purged with pool.lock dropped.
 */
#include "buddy.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "meta.h"
#include "options.h"
#include "os.h"
#include "pagemap.h"
#include "purge.h"

/* Blocks isolated per purge pass: bounds how long the pool lock is held. */
#define PURGE_BATCH 32

struct free_area {
	struct kz_list free_list; /* dirty blocks first, newest first; then clean ones */
	size_t nr_free;
};

static struct buddy_pool {
	pthread_mutex_t lock;
	pthread_mutex_t purge_lock;
	struct free_area free_area[KZ_NR_ORDERS];
	struct kz_list chunks;	     /* every mapped chunk */
	struct kz_list spare_chunks; /* descriptors of unmapped chunks, for reuse */
	size_t nr_chunks;
	size_t pages_in_use;
	size_t pages_dirty;
	size_t pages_zeroed;
	size_t pages_purged;
	size_t chunks_unmapped;
	bool purge_idle; /* the purger waits for a free to wake it */
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.purge_lock = PTHREAD_MUTEX_INITIALIZER,
	.purge_idle = true,
};

void buddy_init(void)
{
	for (unsigned order = 0; order < KZ_NR_ORDERS; order++)
		list_init(&pool.free_area[order].free_list);
	list_init(&pool.chunks);
	list_init(&pool.spare_chunks);
}

/* Stamps are a wrapping millisecond clock: compare by signed difference. */
static inline bool block_expired(const struct kz_page *page, uint32_t now, uint32_t delay)
{
	return (int32_t) (now - page->free.stamp) >= (int32_t) delay;
}

/*
 * A block's stamp is the mean time its dirty pages became free, weighted by
 * their number: a page freed just now does not keep a cold megabyte from
 * being purged, and a cold page does not get a block freed just now purged
 * early. Clean blocks keep the newer stamp (how long the block stayed free).
 */
static uint32_t stamp_merge(uint32_t a, uint32_t a_dirty, uint32_t b, uint32_t b_dirty)
{
	if (a_dirty + b_dirty == 0)
		return (int32_t) (b - a) > 0 ? b : a;
	return a + (uint32_t) ((int64_t) (int32_t) (b - a) * b_dirty / (a_dirty + b_dirty));
}

static void free_area_add(struct kz_page *page, unsigned order, uint32_t nr_dirty, uint32_t stamp)
{
	struct free_area *area = &pool.free_area[order];

	kz_assert(IS_ALIGNED(page_index(page), (size_t) 1 << order));
	kz_assert(nr_dirty <= (1u << order));
	page->flags = PG_HEAD | PG_FREE;
	page->order = (uint8_t) order;
	page->free.nr_dirty = nr_dirty;
	page->free.stamp = stamp;
	if (nr_dirty)
		list_add(&page->lru, &area->free_list);
	else
		list_add_tail(&page->lru, &area->free_list);
	area->nr_free++;
}

static void free_area_del(struct kz_page *page, unsigned order)
{
	list_del(&page->lru);
	pool.free_area[order].nr_free--;
}

/* The buddy of an order-n block: flip bit n of its page index in the chunk. */
static struct kz_page *find_buddy(struct kz_page *page, unsigned order)
{
	return &page_chunk(page)->pages[page_index(page) ^ ((size_t) 1 << order)];
}

/*
 * A buddy may merge only if it is a whole free block of the same order: a
 * smaller free block at its address means part of it is still in use, and
 * an isolated one is the purger's until it comes back.
 */
static bool page_is_buddy(const struct kz_page *buddy, unsigned order)
{
	return buddy->flags == (PG_HEAD | PG_FREE) && buddy->order == order;
}

static uint32_t count_dirty(const struct kz_page *page, size_t nr_pages)
{
	uint32_t nr = 0;

	for (size_t i = 0; i < nr_pages; i++)
		nr += page[i].dirty;
	return nr;
}

/*
 * Split a free order-@high block down to order @low (the kernel's expand):
 * each step gives the upper half back to the free lists and keeps the lower
 * one, so the caller ends with the block's first 2^low pages and the halves
 * left over are as large as they can be. Returns how many of the kept pages
 * are dirty; a half of a wholly clean or wholly dirty block needs no count.
 */
static uint32_t buddy_split(struct kz_page *page, unsigned low, unsigned high, uint32_t nr_dirty,
			    uint32_t stamp)
{
	while (high > low) {
		size_t half = (size_t) 1 << --high;
		uint32_t upper_dirty;

		if (nr_dirty == 0 || nr_dirty == 2 * half)
			upper_dirty = nr_dirty / 2;
		else
			upper_dirty = count_dirty(page + half, half);
		free_area_add(page + half, high, upper_dirty, stamp);
		nr_dirty -= upper_dirty;
	}
	return nr_dirty;
}

/*
 * Put a free block on the lists, merging it with its buddy while the buddy
 * is free: the pair becomes one block of the next order headed by the lower
 * half (the kernel's __free_one_page).
 */
static void buddy_merge(struct kz_page *page, unsigned order, uint32_t nr_dirty, uint32_t stamp)
{
	while (order < KZ_MAX_ORDER) {
		struct kz_page *buddy = find_buddy(page, order);

		if (!page_is_buddy(buddy, order))
			break;
		free_area_del(buddy, order);
		stamp = stamp_merge(stamp, nr_dirty, buddy->free.stamp, buddy->free.nr_dirty);
		nr_dirty += buddy->free.nr_dirty;
		if (buddy < page) {
			page->flags = 0;
			page = buddy;
		} else {
			buddy->flags = 0;
		}
		order++;
	}
	free_area_add(page, order, nr_dirty, stamp);
}

/* Mark an order-@order block allocated: a head and tails that point back to it. */
static void prep_compound(struct kz_page *page, unsigned order)
{
	size_t nr = (size_t) 1 << order;

	kz_assert(IS_ALIGNED(page_index(page), nr));
	page->flags = PG_HEAD;
	page->order = (uint8_t) order;
	page->owner = NULL;
	for (size_t i = 1; i < nr; i++) {
		page[i].flags = PG_TAIL;
		page[i].head = (uint16_t) i;
	}
}

/*
 * Take the smallest free block that holds @order from the free lists, dirty
 * (still resident) ones first, and split it to size. Pool lock held.
 */
static struct kz_page *buddy_take(unsigned order, uint32_t *nr_dirty)
{
	for (unsigned high = order; high < KZ_NR_ORDERS; high++) {
		struct free_area *area = &pool.free_area[high];
		struct kz_page *page;

		if (list_empty(&area->free_list))
			continue;
		page = list_entry(area->free_list.next, struct kz_page, lru);
		free_area_del(page, high);
		*nr_dirty = buddy_split(page, order, high, page->free.nr_dirty, page->free.stamp);
		prep_compound(page, order);
		pool.pages_in_use += (size_t) 1 << order;
		pool.pages_dirty -= *nr_dirty;
		pool.pages_zeroed += *nr_dirty;
		return page;
	}
	return NULL;
}

/* A descriptor for a new chunk: a spare one reset, or a new one from the arena. */
static struct kz_chunk *chunk_desc_get(void)
{
	struct kz_chunk *chunk;

	if (list_empty(&pool.spare_chunks))
		return meta_alloc(sizeof(struct kz_chunk), KZ_CHUNK_DESC_ALIGN);
	chunk = list_entry(pool.spare_chunks.next, struct kz_chunk, link);
	list_del(&chunk->link);
	memset(chunk->pages, 0, sizeof(chunk->pages));
	return chunk;
}

/* Map a new chunk (outside the lock: mmap is slow), add it whole, then take from the pool. */
static struct kz_page *buddy_grow(unsigned order, uint32_t *nr_dirty)
{
	void *mem = os_map_aligned(KZ_CHUNK_SIZE, KZ_CHUNK_SIZE);
	struct kz_chunk *chunk;
	struct kz_page *page;

	if (!mem)
		return NULL;
	pthread_mutex_lock(&pool.lock);
	chunk = chunk_desc_get();
	if (!chunk || !pagemap_set((uintptr_t) mem, chunk)) {
		if (chunk)
			list_add(&chunk->link, &pool.spare_chunks);
		pthread_mutex_unlock(&pool.lock);
		os_unmap(mem, KZ_CHUNK_SIZE);
		errno = ENOMEM;
		return NULL;
	}
	chunk->base = (uintptr_t) mem;
	list_add_tail(&chunk->link, &pool.chunks);
	pool.nr_chunks++;
	free_area_add(&chunk->pages[0], KZ_MAX_ORDER, 0, os_now_ms());
	page = buddy_take(order, nr_dirty);
	pthread_mutex_unlock(&pool.lock);
	return page;
}

/* Clear the dirty pages of a block just taken; the caller owns it, no lock needed. */
static void clear_dirty_pages(struct kz_page *page, size_t nr_pages)
{
	char *base = page_address(page);

	for (size_t i = 0; i < nr_pages;) {
		size_t run = 0;

		while (i + run < nr_pages && page[i + run].dirty) {
			page[i + run].dirty = 0;
			run++;
		}
		if (run)
			memset(base + (i << KZ_PAGE_SHIFT), 0, run << KZ_PAGE_SHIFT);
		i += run + 1;
	}
}

struct kz_page *buddy_alloc(unsigned order)
{
	struct kz_page *page;
	uint32_t nr_dirty = 0;

	kz_assert(order <= KZ_MAX_ORDER);
	pthread_mutex_lock(&pool.lock);
	page = buddy_take(order, &nr_dirty);
	pthread_mutex_unlock(&pool.lock);
	if (!page)
		page = buddy_grow(order, &nr_dirty);
	if (page && nr_dirty)
		clear_dirty_pages(page, (size_t) 1 << order);
	return page;
}

enum buddy_err buddy_free(struct kz_page *page, unsigned order)
{
	size_t nr = (size_t) 1 << order;
	bool kick;

	pthread_mutex_lock(&pool.lock);
	if (page->flags != PG_HEAD) {
		pthread_mutex_unlock(&pool.lock);
		return (page->flags & PG_TAIL) ? BUDDY_INTERIOR : BUDDY_DOUBLE_FREE;
	}
	if (page->order != order) {
		pthread_mutex_unlock(&pool.lock);
		return BUDDY_WRONG_ORDER;
	}
	for (size_t i = 0; i < nr; i++) {
		page[i].flags = 0;
		page[i].dirty = 1;
	}
	pool.pages_in_use -= nr;
	pool.pages_dirty += nr;
	buddy_merge(page, order, (uint32_t) nr, os_now_ms());
	kick = pool.purge_idle;
	pool.purge_idle = false;
	pthread_mutex_unlock(&pool.lock);
	purge_after_free(kick);
	return BUDDY_OK;
}

/*
 * Take up to PURGE_BATCH expired blocks off the free lists: dirty ones to
 * purge, and whole clean chunks to unmap (their page-map entries are cleared
 * at once, so no lookup finds them from here on). Pool lock held.
 */
static size_t purge_isolate(struct kz_page **batch, uint32_t now, uint32_t delay)
{
	size_t n = 0;

	for (unsigned order = 0; order < KZ_NR_ORDERS && n < PURGE_BATCH; order++) {
		struct kz_list *head = &pool.free_area[order].free_list, *pos = head->next;

		while (pos != head && n < PURGE_BATCH) {
			struct kz_page *page = list_entry(pos, struct kz_page, lru);

			pos = pos->next;
			if (!page->free.nr_dirty && order < KZ_MAX_ORDER)
				break; /* the clean tail of the list */
			if (!block_expired(page, now, delay))
				continue;
			free_area_del(page, order);
			page->flags |= PG_ISOLATED;
			if (!page->free.nr_dirty) {
				struct kz_chunk *chunk = page_chunk(page);

				pagemap_set(chunk->base, NULL);
				list_del(&chunk->link);
				pool.nr_chunks--;
			}
			batch[n++] = page;
		}
	}
	return n;
}

/* Give isolated blocks back: purged ones to the lists clean, unmapped chunks' descriptors to the
 * spares. */
static size_t purge_putback(struct kz_page **batch, size_t n, uint32_t now)
{
	size_t bytes = 0;

	for (size_t i = 0; i < n; i++) {
		struct kz_page *page = batch[i];
		uint32_t nr_dirty = page->free.nr_dirty;

		if (!nr_dirty) {
			list_add(&page_chunk(page)->link, &pool.spare_chunks);
			pool.chunks_unmapped++;
			continue;
		}
		pool.pages_dirty -= nr_dirty;
		pool.pages_purged += nr_dirty;
		bytes += (size_t) nr_dirty << KZ_PAGE_SHIFT;
		page->flags = 0;
		buddy_merge(page, page->order, 0, now);
	}
	return bytes;
}

size_t buddy_purge(bool all)
{
	uint32_t delay = all ? 0 : kz_opt.purge_delay_ms;
	struct kz_page *batch[PURGE_BATCH];
	size_t n, bytes = 0;

	pthread_mutex_lock(&pool.purge_lock);
	do {
		uint32_t now = os_now_ms();

		pthread_mutex_lock(&pool.lock);
		n = purge_isolate(batch, now, delay);
		pthread_mutex_unlock(&pool.lock);

		for (size_t i = 0; i < n; i++) {
			struct kz_page *page = batch[i];
			size_t nr = (size_t) 1 << page->order;

			if (page->free.nr_dirty) {
				os_purge(page_address(page), nr << KZ_PAGE_SHIFT);
				for (size_t j = 0; j < nr; j++)
					page[j].dirty = 0;
			} else {
				os_unmap(page_address(page), KZ_CHUNK_SIZE);
			}
		}

		pthread_mutex_lock(&pool.lock);
		bytes += purge_putback(batch, n, os_now_ms());
		pthread_mutex_unlock(&pool.lock);
	} while (n);
	pthread_mutex_unlock(&pool.purge_lock);
	return bytes;
}

bool buddy_purge_pending(void)
{
	bool pending;

	pthread_mutex_lock(&pool.lock);
	pending = pool.pages_dirty || pool.free_area[KZ_MAX_ORDER].nr_free;
	pool.purge_idle = !pending;
	pthread_mutex_unlock(&pool.lock);
	return pending;
}

void buddy_stats(struct kz_pool_stats *st)
{
	pthread_mutex_lock(&pool.lock);
	for (unsigned order = 0; order < KZ_NR_ORDERS; order++)
		st->free_blocks[order] = pool.free_area[order].nr_free;
	st->chunks = pool.nr_chunks;
	st->pages_mapped = pool.nr_chunks * KZ_CHUNK_PAGES;
	st->pages_in_use = pool.pages_in_use;
	st->pages_dirty = pool.pages_dirty;
	st->pages_zeroed = pool.pages_zeroed;
	st->pages_purged = pool.pages_purged;
	st->chunks_unmapped = pool.chunks_unmapped;
	pthread_mutex_unlock(&pool.lock);
}

#define VERIFY(cond)                                                                               \
	do {                                                                                       \
		if (!(cond))                                                                       \
			kz_assert_fail(#cond, __FILE__, __LINE__);                                 \
	} while (0)

/* Walk one chunk block by block; add up its free blocks, pages in use and dirty pages. */
static void verify_chunk(struct kz_chunk *chunk, size_t *nr_free, size_t *in_use, size_t *dirty)
{
	for (size_t i = 0; i < KZ_CHUNK_PAGES;) {
		struct kz_page *page = &chunk->pages[i];
		size_t nr = (size_t) 1 << page->order;

		VERIFY(page->flags & PG_HEAD);
		VERIFY(page->order <= KZ_MAX_ORDER && IS_ALIGNED(i, nr));
		if (page->flags == (PG_HEAD | PG_FREE)) {
			VERIFY(page->free.nr_dirty == count_dirty(page, nr));
			for (size_t j = 1; j < nr; j++)
				VERIFY(page[j].flags == 0);
			VERIFY(page->order == KZ_MAX_ORDER ||
			       !page_is_buddy(find_buddy(page, page->order), page->order));
			nr_free[page->order]++;
			*dirty += page->free.nr_dirty;
		} else {
			VERIFY(page->flags == PG_HEAD);
			for (size_t j = 1; j < nr; j++)
				VERIFY(page[j].flags == PG_TAIL && page[j].head == j);
			*in_use += nr;
		}
		i += nr;
	}
}

void buddy_verify(void)
{
	size_t nr_free[KZ_NR_ORDERS] = {0}, in_use = 0, dirty = 0, chunks = 0;
	struct kz_list *pos;

	pthread_mutex_lock(&pool.purge_lock);
	pthread_mutex_lock(&pool.lock);
	list_for_each(pos, &pool.chunks)
	{
		struct kz_chunk *chunk = list_entry(pos, struct kz_chunk, link);

		VERIFY(pagemap_chunk((void *) chunk->base) == chunk);
		verify_chunk(chunk, nr_free, &in_use, &dirty);
		chunks++;
	}
	VERIFY(chunks == pool.nr_chunks);
	VERIFY(in_use == pool.pages_in_use && dirty == pool.pages_dirty);
	for (unsigned order = 0; order < KZ_NR_ORDERS; order++) {
		size_t listed = 0;
		bool clean_seen = false;

		list_for_each(pos, &pool.free_area[order].free_list)
		{
			struct kz_page *page = list_entry(pos, struct kz_page, lru);

			VERIFY(page->flags == (PG_HEAD | PG_FREE) && page->order == order);
			VERIFY(!(clean_seen && page->free.nr_dirty));
			clean_seen |= !page->free.nr_dirty;
			listed++;
		}
		VERIFY(listed == pool.free_area[order].nr_free && listed == nr_free[order]);
	}
	pthread_mutex_unlock(&pool.lock);
	pthread_mutex_unlock(&pool.purge_lock);
}

void buddy_fork_prepare(void)
{
	pthread_mutex_lock(&pool.purge_lock);
	pthread_mutex_lock(&pool.lock);
}

void buddy_fork_parent(void)
{
	pthread_mutex_unlock(&pool.lock);
	pthread_mutex_unlock(&pool.purge_lock);
}

void buddy_fork_child(void)
{
	pthread_mutex_init(&pool.lock, NULL);
	pthread_mutex_init(&pool.purge_lock, NULL);
	pool.purge_idle = true; /* the purger did not survive the fork */
}
