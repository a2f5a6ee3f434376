/*
 * buddy.c - the buddy page pool.
 *
 * Owns the free lists (one free area per order), the list of chunks and
 * the pool's counters; the chunks' descriptors and their page-map entries
 * are chunk.c's, which a new chunk is registered with and a wholly free one
 * unregistered from. Like the kernel's page allocator, a block of order n
 * is 2^n pages aligned to its size; freeing merges it with its buddy (the
 * other half of the order n+1 block they make) for as long as the buddy is
 * free and whole, so a pool whose pages are all free is whole chunks again.
 *
 * Zeroing: every free page carries a state (page.h). Fresh and purged pages
 * are clean (the kernel hands them out zeroed), pages the layer above
 * cleared when it freed them are zeroed; neither is cleared again. Dirty
 * pages are cleared with memset when a block is handed out. memset is
 * the cheaper way at every order when the memory gets used: on the machines
 * this was built on a page costs 0.03 us to memset and 0.7 us to fault back
 * in after MADV_DONTNEED (bench/zeroing.c; bench/RESULTS.md). So the free
 * lists keep resident blocks at the front, newest first, for reuse while
 * they hold memory, and purge (MADV_DONTNEED) what stayed unused for the
 * purge delay, or, when the pool must grow while its free pages hold more
 * than a quarter of what is in use, everything free at once (buddy_reclaim:
 * what could not serve the request is fragments, which may never serve one).
 *
 * Under memcheck (vg.h) free pages are inaccessible to the program: a new
 * chunk and every block given back are made so, a block handed out is made
 * defined (it is zero) before its dirty pages are cleared.
 *
 * Invariants (checked by buddy_verify):
 *   - each page of a chunk belongs to exactly one block, whose head is
 *     aligned to its order and is allocated, freeing, free or isolated
 *     (page.h);
 *   - a free block's buddy is not a free block of the same order;
 *   - free_area[n] lists exactly the free order-n blocks, resident ones
 *     first, and nr_free counts them; a free head's nr_resident and nr_dirty
 *     count its pages in those states;
 *   - pages_in_use, pages_resident and pages_dirty are the sums over all blocks.
 *
 * Locks, in the order they are taken (init.c's table):
 *   pool.purge_lock  one purge pass at a time (and no pass across fork)
 *   pool.lock        free lists, descriptors' flags, counters, chunk list
 *   chunk_lock       (chunk.c) under pool.lock only where a purge pass hides
 *                    a wholly free chunk and gives its descriptor back
 * Page contents are cleared and purged with pool.lock dropped.
 */
#include "buddy.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "chunk.h"
#include "options.h"
#include "os.h"
#include "pagemap.h"
#include "purge.h"
#include "vg.h"

/* Blocks isolated per purge pass: bounds how long the pool lock is held. */
#define PURGE_BATCH 32

/* The pool purges its free pages before it grows once they hold 1/RECLAIM_SHARE of what is in
 * use (buddy_reclaim). */
#define RECLAIM_SHARE 4

struct free_area {
	struct kz_list free_list; /* resident blocks first, newest first; then clean ones */
	size_t nr_free;
};

/* What a free block holds: how many of its pages are resident, how many dirty. */
struct block_count {
	uint32_t resident, dirty;
};

static struct buddy_pool {
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
	atomic_size_t pages_zeroed; /* counted by allocating threads, outside the lock */
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.purge_lock = PTHREAD_MUTEX_INITIALIZER,
};

static const struct shrinker buddy_shrinker = {
	.scan = buddy_purge,
	.pending = buddy_purge_pending,
};

void buddy_init(void)
{
	purge_register(&buddy_shrinker);
	for (unsigned order = 0; order < KZ_NR_ORDERS; order++)
		list_init(&pool.free_area[order].free_list);
	list_init(&pool.chunks);
}

/* Stamps are readings of the wrapping millisecond clock (os.h). */
static inline bool block_expired(const struct kz_page *page, uint32_t now, uint32_t delay)
{
	return os_ms_elapsed(now, page->free.stamp, delay);
}

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

static void free_area_add(struct kz_page *page, unsigned order, struct block_count count,
			  uint32_t stamp)
{
	struct free_area *area = &pool.free_area[order];

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

static void free_area_del(struct kz_page *page, unsigned order)
{
	list_del(&page->lru);
	pool.free_area[order].nr_free--;
}

static struct block_count block_count_of(const struct kz_page *page)
{
	return (struct block_count){page->free.nr_resident, page->free.nr_dirty};
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

static struct block_count count_pages(const struct kz_page *page, size_t nr_pages)
{
	struct block_count count = {0, 0};

	for (size_t i = 0; i < nr_pages; i++) {
		count.resident += page[i].state != PAGE_CLEAN;
		count.dirty += page[i].state == PAGE_DIRTY;
	}
	return count;
}

/* The counts of @nr_pages of a block of @total pages counted @count: no walk if uniform. */
static struct block_count count_part(const struct kz_page *part, size_t nr_pages, size_t total,
				     struct block_count count)
{
	if ((count.resident == 0 || count.resident == total) &&
	    (count.dirty == 0 || count.dirty == total))
		return (struct block_count){count.resident ? (uint32_t) nr_pages : 0,
					    count.dirty ? (uint32_t) nr_pages : 0};
	return count_pages(part, nr_pages);
}

/*
 * Split a free order-@high block down to order @low (the kernel's expand):
 * each step gives the upper half back to the free lists and keeps the lower
 * one, so the caller ends with the block's first 2^low pages and the halves
 * left over are as large as they can be. Returns the kept pages' counts.
 */
static struct block_count buddy_split(struct kz_page *page, unsigned low, unsigned high,
				      struct block_count count, uint32_t stamp)
{
	while (high > low) {
		size_t half = (size_t) 1 << --high;
		struct block_count upper = count_part(page + half, half, 2 * half, count);

		free_area_add(page + half, high, upper, stamp);
		count.resident -= upper.resident;
		count.dirty -= upper.dirty;
	}
	return count;
}

/*
 * Put a free block on the lists, merging it with its buddy while the buddy
 * is free: the pair becomes one block of the next order headed by the lower
 * half (the kernel's __free_one_page).
 */
static void buddy_merge(struct kz_page *page, unsigned order, struct block_count count,
			uint32_t stamp)
{
	while (order < KZ_MAX_ORDER) {
		struct kz_page *buddy = find_buddy(page, order);

		if (!page_is_buddy(buddy, order))
			break;
		free_area_del(buddy, order);
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
	free_area_add(page, order, count, stamp);
}

/*
 * Free the pages [first, end) of a chunk, which start aligned to a block of
 * at least their size, as the largest aligned blocks they hold. Two walks
 * cover both uses: the tail of a rounded-up block (ascending orders from an
 * odd start) and a whole run (descending orders from an aligned start).
 * @count is the range's; a uniform range is split without walking it.
 */
static void free_range(struct kz_page *first, size_t nr_pages, struct block_count count,
		       uint32_t stamp)
{
	struct kz_page *base = page_chunk(first)->pages;
	size_t idx = page_index(first), end = idx + nr_pages;

	while (idx < end) {
		unsigned order = (unsigned) __builtin_ctzl(idx | KZ_CHUNK_PAGES);
		size_t nr;

		while (idx + ((size_t) 1 << order) > end)
			order--;
		nr = (size_t) 1 << order;
		buddy_merge(&base[idx], order, count_part(&base[idx], nr, nr_pages, count), stamp);
		idx += nr;
	}
}

/*
 * Take the smallest free block that holds @nr_pages from the free lists,
 * resident ones first, split it to size and give its unused tail back.
 * Returns the run's counts in @count. Pool lock held.
 */
static struct kz_page *buddy_take(size_t nr_pages, unsigned order, enum page_kind kind,
				  struct block_count *count)
{
	for (unsigned high = order; high < KZ_NR_ORDERS; high++) {
		struct free_area *area = &pool.free_area[high];
		size_t nr_block = (size_t) 1 << order;
		struct kz_page *page;
		uint32_t stamp;

		if (list_empty(&area->free_list))
			continue;
		page = list_entry(area->free_list.next, struct kz_page, lru);
		free_area_del(page, high);
		stamp = page->free.stamp;
		*count = buddy_split(page, order, high, block_count_of(page), stamp);
		if (nr_pages < nr_block) {
			struct block_count tail =
				count_part(page + nr_pages, nr_block - nr_pages, nr_block, *count);

			page->flags = 0;
			free_range(page + nr_pages, nr_block - nr_pages, tail, stamp);
			count->resident -= tail.resident;
			count->dirty -= tail.dirty;
		}
		page_prep_compound(page, order, nr_pages, kind);
		pool.pages_in_use += nr_pages;
		pool.pages_by_kind[kind] += nr_pages;
		pool.pages_resident -= count->resident;
		pool.pages_dirty -= count->dirty;
		return page;
	}
	return NULL;
}

/*
 * Map and register a new chunk (outside the lock: mmap is slow), add it whole, then take from
 * the pool. Its pages are all zero until then: any lookup of it sees no block (page.h).
 */
static struct kz_page *buddy_grow(size_t nr_pages, unsigned order, enum page_kind kind,
				  struct block_count *count)
{
	void *mem = os_map_aligned(KZ_CHUNK_SIZE, KZ_CHUNK_SIZE);
	struct kz_chunk *chunk;
	struct kz_page *page;

	if (!mem)
		return NULL;
	vg_noaccess(mem, KZ_CHUNK_SIZE);
	chunk = chunk_register(mem, KZ_CHUNK_SIZE, KIND_NR, NULL);
	if (!chunk) {
		os_unmap(mem, KZ_CHUNK_SIZE);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&pool.lock);
	list_add_tail(&chunk->link, &pool.chunks);
	pool.nr_chunks++;
	free_area_add(&chunk->pages[0], KZ_MAX_ORDER, (struct block_count){0, 0}, os_now_ms());
	page = buddy_take(nr_pages, order, kind, count);
	pthread_mutex_unlock(&pool.lock);
	return page;
}

static void buddy_reclaim(void);

/* Clear the dirty pages of a run just taken and reset every page's state; no lock needed. */
static void clear_pages(struct kz_page *page, size_t nr_pages)
{
	char *base = page_address(page);

	for (size_t i = 0; i < nr_pages;) {
		size_t run = 0;

		while (i + run < nr_pages && page[i + run].state == PAGE_DIRTY)
			page[i + run++].state = PAGE_CLEAN;
		if (run)
			memset(base + (i << KZ_PAGE_SHIFT), 0, run << KZ_PAGE_SHIFT);
		if (i + run < nr_pages)
			page[i + run].state = PAGE_CLEAN;
		i += run + 1;
	}
}

struct kz_page *buddy_alloc(size_t nr_pages, unsigned align_order, enum page_kind kind)
{
	unsigned order = page_order(nr_pages << KZ_PAGE_SHIFT);
	struct block_count count = {0, 0};
	struct kz_page *page;

	if (order < align_order)
		order = align_order;
	kz_assert(nr_pages >= 1 && order <= KZ_MAX_ORDER);
	pthread_mutex_lock(&pool.lock);
	page = buddy_take(nr_pages, order, kind, &count);
	pthread_mutex_unlock(&pool.lock);
	if (!page) {
		buddy_reclaim();
		page = buddy_grow(nr_pages, order, kind, &count);
	}
	if (page)
		vg_defined(page_address(page), nr_pages << KZ_PAGE_SHIFT);
	if (page && count.resident) {
		clear_pages(page, nr_pages);
		atomic_fetch_add_explicit(&pool.pages_zeroed, count.dirty, memory_order_relaxed);
		if (count.resident == nr_pages)
			page->state = PAGE_ZEROED; /* the owner's hint: all of it resident */
	}
	return page;
}

/*
 * Mark a block's pages free, holding what @fill says (BUDDY_MARKED: what
 * their owner set each page's state to); their counts. Pool lock held.
 */
static struct block_count free_pages_mark(struct kz_page *page, size_t nr_pages,
					  enum buddy_fill fill)
{
	uint8_t state = fill == BUDDY_ZEROED ? PAGE_ZEROED : PAGE_DIRTY;

	if (fill == BUDDY_MARKED) {
		for (size_t i = 0; i < nr_pages; i++) {
			kz_assert(page[i].state <= PAGE_DIRTY);
			page[i].flags = 0;
		}
		return count_pages(page, nr_pages);
	}
	for (struct kz_page *p = page; p < page + nr_pages; p++) {
		p->flags = 0;
		p->state = state;
	}
	return (struct block_count){(uint32_t) nr_pages,
				    state == PAGE_DIRTY ? (uint32_t) nr_pages : 0};
}

enum buddy_err buddy_free(struct kz_page *page, size_t nr_pages, enum page_kind kind,
			  enum buddy_fill fill)
{
	enum buddy_err err = BUDDY_OK;
	struct block_count count;

	pthread_mutex_lock(&pool.lock);
	if (page->flags != PG_HEAD)
		err = (page->flags & PG_TAIL) ? BUDDY_INTERIOR : BUDDY_DOUBLE_FREE;
	else if (page->kind != kind)
		err = BUDDY_WRONG_KIND;
	else if (page->nr_pages != nr_pages)
		err = BUDDY_WRONG_SIZE;
	if (err != BUDDY_OK) {
		pthread_mutex_unlock(&pool.lock);
		return err;
	}
	count = free_pages_mark(page, nr_pages, fill);
	vg_noaccess(page_address(page), nr_pages << KZ_PAGE_SHIFT);
	pool.pages_in_use -= nr_pages;
	pool.pages_by_kind[kind] -= nr_pages;
	pool.pages_resident += count.resident;
	pool.pages_dirty += count.dirty;
	free_range(page, nr_pages, count, os_now_ms());
	pthread_mutex_unlock(&pool.lock);
	return BUDDY_OK;
}

void buddy_mark_freeing(struct kz_page *page, bool freeing)
{
	pthread_mutex_lock(&pool.lock);
	kz_assert((page->flags & ~PG_FREEING) == PG_HEAD);
	page->flags = freeing ? PG_HEAD | PG_FREEING : PG_HEAD;
	pthread_mutex_unlock(&pool.lock);
}

/*
 * Take up to PURGE_BATCH expired blocks off the free lists: resident ones to
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
				pool.nr_chunks--;
			}
			batch[n++] = page;
		}
	}
	return n;
}

/*
 * Give isolated blocks back: purged ones to the lists clean, unmapped chunks' descriptors to the
 * spares. A block the OS would not purge (@purged false) goes back as it was, stamp and all.
 */
static size_t purge_putback(struct kz_page **batch, const bool *purged, size_t n, uint32_t now)
{
	size_t bytes = 0;

	for (size_t i = 0; i < n; i++) {
		struct kz_page *page = batch[i];

		if (!page->free.nr_resident) {
			chunk_release(page_chunk(page));
			pool.chunks_unmapped++;
			continue;
		}
		page->flags = 0;
		if (!purged[i]) {
			buddy_merge(page, page->order, block_count_of(page), page->free.stamp);
			continue;
		}
		pool.pages_resident -= page->free.nr_resident;
		pool.pages_dirty -= page->free.nr_dirty;
		pool.pages_purged += page->free.nr_resident;
		bytes += (size_t) page->free.nr_resident << KZ_PAGE_SHIFT;
		buddy_merge(page, page->order, (struct block_count){0, 0}, now);
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
		pthread_mutex_lock(&pool.lock);
		n = purge_isolate(batch, os_now_ms(), delay);
		pthread_mutex_unlock(&pool.lock);

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

		pthread_mutex_lock(&pool.lock);
		bytes += purge_putback(batch, purged, n, os_now_ms());
		pthread_mutex_unlock(&pool.lock);
	} while (n && !refused);
	return bytes;
}

size_t buddy_purge(bool all)
{
	size_t bytes;

	pthread_mutex_lock(&pool.purge_lock);
	bytes = purge_passes(all ? 0 : kz_opt.purge_delay_ms);
	pthread_mutex_unlock(&pool.purge_lock);
	return bytes;
}

/*
 * Before the pool grows by a chunk: free pages that hold more than 1/RECLAIM_SHARE of what is in
 * use (and a chunk's worth at least) could not serve this request, and fragments left around
 * long-lived blocks may never serve one, so they are purged now rather than after the delay (the
 * kernel's direct reclaim): the process's memory stays near what it uses while the pool grows.
 * A purge pass under way (its lock taken) is not waited for. No lock held.
 */
static void buddy_reclaim(void)
{
	size_t resident, in_use;

	pthread_mutex_lock(&pool.lock);
	resident = pool.pages_resident;
	in_use = pool.pages_in_use;
	pthread_mutex_unlock(&pool.lock);
	if (resident < KZ_CHUNK_PAGES || resident * RECLAIM_SHARE < in_use)
		return;
	if (pthread_mutex_trylock(&pool.purge_lock))
		return;
	purge_passes(0);
	pthread_mutex_unlock(&pool.purge_lock);
}

bool buddy_purge_pending(void)
{
	bool pending;

	pthread_mutex_lock(&pool.lock);
	pending = pool.pages_resident || pool.free_area[KZ_MAX_ORDER].nr_free;
	pthread_mutex_unlock(&pool.lock);
	return pending;
}

void buddy_stats(struct kz_pool_stats *st)
{
	pthread_mutex_lock(&pool.lock);
	for (unsigned order = 0; order < KZ_NR_ORDERS; order++)
		st->free_blocks[order] = pool.free_area[order].nr_free;
	st->chunks = pool.nr_chunks;
	st->pages_large = pool.pages_by_kind[KIND_LARGE];
	st->pages_slab = pool.pages_by_kind[KIND_SLAB];
	st->pages_mapped = pool.nr_chunks * KZ_CHUNK_PAGES;
	st->pages_in_use = pool.pages_in_use;
	st->pages_resident = pool.pages_resident;
	st->pages_dirty = pool.pages_dirty;
	st->pages_zeroed = atomic_load_explicit(&pool.pages_zeroed, memory_order_relaxed);
	st->pages_purged = pool.pages_purged;
	st->chunks_unmapped = pool.chunks_unmapped;
	pthread_mutex_unlock(&pool.lock);
}

#define VERIFY(cond)                                                                               \
	do {                                                                                       \
		if (!(cond))                                                                       \
			kz_assert_fail(#cond, __FILE__, __LINE__);                                 \
	} while (0)

/* Walk one chunk block by block; add up its free blocks, pages in use and resident/dirty pages. */
static void verify_chunk(struct kz_chunk *chunk, size_t *nr_free, size_t *in_use,
			 struct block_count *total)
{
	for (size_t i = 0; i < KZ_CHUNK_PAGES;) {
		struct kz_page *page = &chunk->pages[i];
		size_t nr = (size_t) 1 << page->order;

		VERIFY(page->flags & PG_HEAD);
		VERIFY(page->order <= KZ_MAX_ORDER && IS_ALIGNED(i, nr));
		if (page->flags == (PG_HEAD | PG_FREE)) {
			struct block_count count = count_pages(page, nr);

			VERIFY(page->free.nr_resident == count.resident);
			VERIFY(page->free.nr_dirty == count.dirty);
			for (size_t j = 1; j < nr; j++)
				VERIFY(page[j].flags == 0);
			VERIFY(page->order == KZ_MAX_ORDER ||
			       !page_is_buddy(find_buddy(page, page->order), page->order));
			nr_free[page->order]++;
			total->resident += count.resident;
			total->dirty += count.dirty;
		} else {
			VERIFY((page->flags & ~PG_FREEING) == PG_HEAD && page->kind != KIND_HUGE &&
			       page->kind != KIND_ZERO);
			/* not 2 * nr_pages > nr: an aligned run (memalign) may be much
			 * smaller than the block its alignment took */
			VERIFY(page->nr_pages >= 1 && page->nr_pages <= nr);
			for (size_t j = 1; j < page->nr_pages; j++)
				VERIFY(page[j].flags == PG_TAIL && page[j].head == j);
			*in_use += page->nr_pages;
			nr = page->nr_pages; /* the run's trimmed tail is free blocks */
		}
		i += nr;
	}
}

void buddy_verify(void)
{
	size_t nr_free[KZ_NR_ORDERS] = {0}, in_use = 0, chunks = 0;
	struct block_count total = {0, 0};
	struct kz_list *pos;

	pthread_mutex_lock(&pool.purge_lock);
	pthread_mutex_lock(&pool.lock);
	list_for_each(pos, &pool.chunks)
	{
		struct kz_chunk *chunk = list_entry(pos, struct kz_chunk, link);

		VERIFY(chunk->size == KZ_CHUNK_SIZE);
		VERIFY(pagemap_chunk((void *) chunk->base) == chunk);
		verify_chunk(chunk, nr_free, &in_use, &total);
		chunks++;
	}
	VERIFY(chunks == pool.nr_chunks && in_use == pool.pages_in_use);
	VERIFY(total.resident == pool.pages_resident && total.dirty == pool.pages_dirty);
	for (unsigned order = 0; order < KZ_NR_ORDERS; order++) {
		size_t listed = 0;
		bool clean_seen = false;

		list_for_each(pos, &pool.free_area[order].free_list)
		{
			struct kz_page *page = list_entry(pos, struct kz_page, lru);

			VERIFY(page->flags == (PG_HEAD | PG_FREE) && page->order == order);
			VERIFY(!(clean_seen && page->free.nr_resident));
			clean_seen |= !page->free.nr_resident;
			listed++;
		}
		VERIFY(listed == pool.free_area[order].nr_free && listed == nr_free[order]);
	}
	pthread_mutex_unlock(&pool.lock);
	pthread_mutex_unlock(&pool.purge_lock);
}

pthread_mutex_t *buddy_purge_lock(unsigned i)
{
	(void) i;
	return &pool.purge_lock;
}

pthread_mutex_t *buddy_pool_lock(unsigned i)
{
	(void) i;
	return &pool.lock;
}
