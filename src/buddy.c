/*
 * buddy.c - the buddy page pool: allocation, extension and free of page
 * blocks, and growth by whole chunks.
 *
 * Owns the list of chunks and the pool's counters; the free lists (one free
 * area per order), the zero queue and the buddy algorithm over them are
 * buddy_area.c's, the purge passes buddy_purge.c's, background zeroing
 * buddy_zero.c's (buddy_pool.h); the chunks' descriptors and their page-map
 * entries are chunk.c's, which a new chunk is registered with and a wholly
 * free one unregistered from. Like the kernel's page allocator, a block of
 * order n is 2^n pages aligned to its size; freeing merges it with its
 * buddy (the other half of the order n+1 block they make) for as long as
 * the buddy is free and whole, so a pool whose pages are all free is whole
 * chunks again.
 *
 * Zeroing: every free page carries a state (page.h). Fresh and purged pages
 * are clean (the kernel hands them out zeroed), pages the layer above
 * cleared when it freed them are zeroed; neither is cleared again. Dirty
 * pages are cleared before a block is handed out. Clearing is a memset
 * (resident_zero): it costs 20 to 40 times less than MADV_DONTNEED and
 * faulting the page back in on the project's VM, at every order
 * (bench/zeroing.c; bench/RESULTS.md). So the free lists keep resident
 * blocks at the front, newest first, for reuse while they hold memory, and
 * purge (MADV_DONTNEED) what stayed unused for the purge delay, or, when
 * the pool must grow while its free pages hold more than a quarter of what
 * is in use, everything free at once (buddy_reclaim: what could not serve
 * the request is fragments, which may never serve one).
 *
 * The pool's other parts share its state through buddy_pool.h, which nothing
 * else includes: the zero queue and background zeroing (buddy_zero.c), the
 * purge passes and reclaim (buddy_purge.c), the invariant walk
 * (buddy_verify.c).
 *
 * Allocation: a block freed with buddy_free_to_zero may wait on the zero
 * queue (buddy_zero.c) instead of a free list. An allocation takes, in this
 * order: the first resident block of the smallest order that has one
 * (zeroed, or dirty only where nothing is queued), the newest queued block
 * that fits (likely still in the cache of the thread that freed it; its
 * dirty pages cleared by the allocating thread, its remainder queued
 * again), a clean block, a new chunk: a dirty block is cleared on the
 * allocating thread only when no clean block fits but one that would fault
 * every page in.
 *
 * Protection (KZMALLOC_CHECK=protect): a block its owner purged and made
 * no-access comes back with BUDDY_PROTECTED, as clean pages, and merges and
 * splits like any other. Only clean pages may be no-access (the invariant
 * below), so nothing the pool writes (clearing dirty pages, at allocation
 * or on the zero queue) ever touches one, and a purge pass may purge a
 * block that holds some (MADV_DONTNEED ignores the protection). From the
 * first such block on (buddy_pool.protected), an allocation or extension that
 * takes clean pages makes its run accessible again with one mprotect
 * (harmless where they already are); if the OS refuses, the pages go back
 * as they were and the allocation fails with ENOMEM. Until then the pool
 * makes no system call for it.
 *
 * Under memcheck (vg.h) free pages are inaccessible to the program: a new
 * chunk and every block given back are made so, a block handed out is made
 * defined (it is zero) before its dirty pages are cleared.
 *
 * Invariants (checked by buddy_verify):
 *   - each page of a chunk belongs to exactly one block, whose head is
 *     aligned to its order and is allocated, freeing, free, queued or
 *     isolated (page.h);
 *   - a free or queued block's buddy is not a free or queued block of the
 *     same order;
 *   - free_area[n] lists exactly the free order-n blocks, resident ones
 *     first, and nr_free counts them; the zero queue lists exactly the
 *     queued blocks, oldest first, each with a dirty page, and nr_queued and
 *     pages_queued count them; a free or queued head's nr_resident and
 *     nr_dirty count its pages in those states;
 *   - pages_in_use, pages_resident and pages_dirty are the sums over all
 *     blocks (queued ones included); queue_waiting is set exactly when the
 *     queue is not empty, a block is being cleared (buddy_pool.clearing) or
 *     a purge pass took queued blocks (buddy_pool.purging, the oldest), and
 *     queue_oldest is then the oldest of their stamps: a free that finds it
 *     overdue waits for the clear or the purge (purge_lock);
 *   - no block is isolated while purge_lock is free (purging and clearing
 *     hold it), so fork never splits a block's clearing, and
 *     buddy_pool.clearing and buddy_pool.purging are NULL;
 *   - a free page that is no-access is clean, and none is before
 *     buddy_pool.protected is set (not checked: the walk cannot see protections).
 *
 * Locks, in the order they are taken (init.c's table):
 *   buddy_pool.purge_lock  one purge pass or zeroing batch at a time (and
 *                          none across fork)
 *   buddy_pool.lock        free lists, the zero queue, descriptors' flags,
 *                          counters, chunk list
 *   chunk_lock             (chunk.c) under buddy_pool.lock only where a purge
 *                          pass hides a wholly free chunk and gives its
 *                          descriptor back
 * Page contents are cleared and purged with buddy_pool.lock dropped.
 */
#include "buddy.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "buddy_pool.h"
#include "chunk.h"
#include "os.h"
#include "purge.h"
#include "vg.h"
#include "vmstat.h"

static const struct shrinker buddy_shrinker = {
	.scan = buddy_purge,
	.pending = buddy_purge_pending,
	.zero = buddy_zero,
	.zero_oldest = buddy_zero_oldest,
};

void buddy_init(void)
{
	purge_register(&buddy_shrinker);
	for (unsigned order = 0; order < KZ_NR_ORDERS; order++)
		list_init(&buddy_pool.free_area[order].free_list);
	list_init(&buddy_pool.chunks);
	list_init(&buddy_pool.zero_queue);
	/* read by every free without the lock (purge.c: no lost wake-up) */
	vg_atomics(&buddy_pool.queue_waiting, sizeof(buddy_pool.queue_waiting));
	vg_atomics(&buddy_pool.queue_oldest, sizeof(buddy_pool.queue_oldest));
	vg_atomics(&buddy_pool.protected, sizeof(buddy_pool.protected));
}

/*
 * The block an allocation of @order takes (the header says why in this order): the first of the
 * smallest order's list whose first block is resident, else the newest queued block that fits,
 * else the first of the smallest order's list that has any; its order in @high, whether it is
 * queued in @queued. Pool lock held.
 */
static struct kz_page *buddy_pick(unsigned order, unsigned *high, bool *queued)
{
	struct kz_page *page;

	*queued = false;
	for (*high = order; *high < KZ_NR_ORDERS; ++*high) {
		struct kz_list *list = &buddy_pool.free_area[*high].free_list;

		if (!list_empty(list) &&
		    list_entry(list->next, struct kz_page, lru)->free.nr_resident)
			return list_entry(list->next, struct kz_page, lru);
	}
	page = zero_queue_newest(order);
	if (page) {
		*high = page->order;
		*queued = true;
		return page;
	}
	for (*high = order; *high < KZ_NR_ORDERS; ++*high)
		if (!list_empty(&buddy_pool.free_area[*high].free_list))
			return list_entry(buddy_pool.free_area[*high].free_list.next,
					  struct kz_page, lru);
	return NULL;
}

/*
 * Take a free block that holds @nr_pages (buddy_pick), split it to size and give its unused
 * tail back (to the zero queue, what is dirty of one that was queued). Returns the run's counts
 * in @count. Pool lock held.
 */
static struct kz_page *buddy_take(size_t nr_pages, unsigned order, enum page_kind kind,
				  struct block_count *count)
{
	size_t nr_block = (size_t) 1 << order;
	struct kz_page *page;
	unsigned high;
	uint32_t stamp;
	bool queued;

	page = buddy_pick(order, &high, &queued);
	if (!page)
		return NULL;
	if (queued)
		zero_queue_del(page);
	else
		free_area_del(page, high);
	stamp = page->free.stamp;
	*count = buddy_split(page, order, high, block_count_of(page), stamp, queued);
	if (nr_pages < nr_block) {
		struct block_count tail =
			count_part(page + nr_pages, nr_block - nr_pages, nr_block, *count);

		page->flags = 0;
		free_range(page + nr_pages, nr_block - nr_pages, tail, stamp, queued);
		count->resident -= tail.resident;
		count->dirty -= tail.dirty;
	}
	page_prep_compound(page, order, nr_pages, kind);
	buddy_pool.pages_in_use += nr_pages;
	count_held_pages((ptrdiff_t) nr_pages);
	buddy_pool.pages_by_kind[kind] += nr_pages;
	buddy_pool.pages_resident -= count->resident;
	buddy_pool.pages_dirty -= count->dirty;
	return page;
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
	count_vm_event(VM_POOL_GROW);
	vg_noaccess(mem, KZ_CHUNK_SIZE);
	chunk = chunk_register(mem, KZ_CHUNK_SIZE, KIND_NR, NULL);
	if (!chunk) {
		os_unmap(mem, KZ_CHUNK_SIZE);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&buddy_pool.lock);
	list_add_tail(&chunk->link, &buddy_pool.chunks);
	buddy_pool.nr_chunks++;
	free_area_add(&chunk->pages[0], KZ_MAX_ORDER, (struct block_count){0, 0}, os_now_ms());
	page = buddy_take(nr_pages, order, kind, count);
	pthread_mutex_unlock(&buddy_pool.lock);
	return page;
}

/*
 * Make @nr_pages pages just taken, counted @count, accessible, if some may be no-access: clean
 * ones once a block came back protected (the header's Protection). One mprotect over the
 * whole run; false if the OS refused, errno as it was (a realloc that moves instead succeeds).
 * Set before the block was on a free list, under the pool lock the taker took since, the flag
 * needs no ordering of its own.
 */
static bool pages_accessible(struct kz_page *page, size_t nr_pages, struct block_count count)
{
	int saved_errno;

	if (likely(!atomic_load_explicit(&buddy_pool.protected, memory_order_relaxed)) ||
	    count.resident == nr_pages)
		return true;
	saved_errno = errno;
	if (os_set_memory_rw(page_address(page), nr_pages << KZ_PAGE_SHIFT))
		return true;
	errno = saved_errno;
	return false;
}

struct kz_page *buddy_alloc(size_t nr_pages, unsigned align_order, enum page_kind kind)
{
	unsigned order = page_order(nr_pages << KZ_PAGE_SHIFT);
	struct block_count count = {0, 0};
	struct kz_page *page;

	if (order < align_order)
		order = align_order;
	kz_assert(nr_pages >= 1 && order <= KZ_MAX_ORDER);
	pthread_mutex_lock(&buddy_pool.lock);
	page = buddy_take(nr_pages, order, kind, &count);
	pthread_mutex_unlock(&buddy_pool.lock);
	if (!page) {
		buddy_reclaim();
		page = buddy_grow(nr_pages, order, kind, &count);
	}
	if (page && !pages_accessible(page, nr_pages, count)) {
		/* the page states are still the free ones: given back as they were */
		buddy_free(page, nr_pages, kind, BUDDY_MARKED);
		errno = ENOMEM;
		return NULL;
	}
	if (page)
		vg_defined(page_address(page), nr_pages << KZ_PAGE_SHIFT);
	if (page && count.resident) {
		buddy_clear_pages(page, nr_pages);
		atomic_fetch_add_explicit(&buddy_pool.pages_zeroed, count.dirty,
					  memory_order_relaxed);
		count_vm_events(VM_ZEROED_ALLOC, (unsigned long) count.dirty << KZ_PAGE_SHIFT);
		if (count.resident == nr_pages)
			page->state = PAGE_ZEROED; /* the owner's hint: all of it resident */
	}
	return page;
}

/*
 * Grow an allocated run in place to @nr_pages (more than it has, at most a
 * chunk), as glibc's realloc grows into the top chunk: possible when the run
 * starts a block of the order that holds @nr_pages and every page it would
 * grow into is in a free or queued block (a block being purged or cleared
 * is not); the blocks are taken whole, the part of the last one past the
 * run given back. Returns the counts of the pages taken in @count. Pool
 * lock held; false, and nothing changed, if it is not possible.
 */
static bool extend_take(struct kz_page *head, size_t nr_pages, enum page_kind kind,
			struct block_count *count)
{
	struct kz_page *base = page_chunk(head)->pages;
	size_t idx = page_index(head), old = head->nr_pages, end = idx + nr_pages;
	unsigned order = page_order(nr_pages << KZ_PAGE_SHIFT);

	for (size_t p = idx + old; p < end; p += (size_t) 1 << base[p].order)
		if (!page_is_buddy(&base[p], base[p].order))
			return false;
	*count = (struct block_count){0, 0};
	for (size_t p = idx + old; p < end;) {
		struct kz_page *block = &base[p];
		size_t nr = (size_t) 1 << block->order;
		struct block_count part = block_count_of(block);
		bool queued = block->flags & PG_ZEROING;

		if (queued)
			zero_queue_del(block);
		else
			free_area_del(block, block->order);
		block->flags = 0;
		if (p + nr > end) {
			struct block_count tail = count_part(&base[end], p + nr - end, nr, part);

			free_range(&base[end], p + nr - end, tail, block->free.stamp, queued);
			part.resident -= tail.resident;
			part.dirty -= tail.dirty;
		}
		count->resident += part.resident;
		count->dirty += part.dirty;
		p += nr;
	}
	for (size_t i = old; i < nr_pages; i++) {
		head[i].flags = PG_TAIL;
		head[i].head = (uint16_t) i;
	}
	head->nr_pages = (uint16_t) nr_pages;
	if (head->order < order)
		head->order = (uint8_t) order;
	buddy_pool.pages_in_use += nr_pages - old;
	count_held_pages((ptrdiff_t) (nr_pages - old));
	buddy_pool.pages_by_kind[kind] += nr_pages - old;
	buddy_pool.pages_resident -= count->resident;
	buddy_pool.pages_dirty -= count->dirty;
	return true;
}

/*
 * Give back the pages an extension took, counted @count, their states still the free ones: the
 * run is @old pages of an order-@order block again (the pool lock dropped since extend_take).
 */
static void extend_undo(struct kz_page *head, size_t old, unsigned order, enum page_kind kind,
			struct block_count count)
{
	size_t nr = head->nr_pages - old;

	pthread_mutex_lock(&buddy_pool.lock);
	for (size_t i = old; i < head->nr_pages; i++)
		head[i].flags = 0;
	head->nr_pages = (uint16_t) old;
	head->order = (uint8_t) order;
	buddy_pool.pages_in_use -= nr;
	count_held_pages(-(ptrdiff_t) nr);
	buddy_pool.pages_by_kind[kind] -= nr;
	buddy_pool.pages_resident += count.resident;
	buddy_pool.pages_dirty += count.dirty;
	free_range(head + old, nr, count, os_now_ms(), false);
	pthread_mutex_unlock(&buddy_pool.lock);
}

bool buddy_extend(struct kz_page *head, size_t nr_pages, enum page_kind kind)
{
	unsigned order = page_order(nr_pages << KZ_PAGE_SHIFT), old_order = head->order;
	size_t old = head->nr_pages;
	struct block_count count;
	bool done;

	if (nr_pages <= old || order > KZ_MAX_ORDER ||
	    !IS_ALIGNED(page_index(head), (size_t) 1 << order))
		return false;
	pthread_mutex_lock(&buddy_pool.lock);
	kz_assert(head->flags == PG_HEAD && head->kind == kind);
	done = extend_take(head, nr_pages, kind, &count);
	pthread_mutex_unlock(&buddy_pool.lock);
	if (!done)
		return false;
	if (!pages_accessible(head + old, nr_pages - old, count)) {
		extend_undo(head, old, old_order, kind, count); /* realloc moves the run */
		return false;
	}
	vg_defined(page_address(head + old), (nr_pages - old) << KZ_PAGE_SHIFT);
	buddy_clear_pages(head + old, nr_pages - old);
	atomic_fetch_add_explicit(&buddy_pool.pages_zeroed, count.dirty, memory_order_relaxed);
	count_vm_events(VM_ZEROED_ALLOC, (unsigned long) count.dirty << KZ_PAGE_SHIFT);
	if (count.resident != nr_pages - old)
		head->state = PAGE_CLEAN; /* the owner's hint: not all of it resident now */
	return true;
}

/*
 * Mark a block's pages free, holding what @fill says (BUDDY_MARKED: what
 * their owner set each page's state to); their counts. Pool lock held.
 */
static struct block_count free_pages_mark(struct kz_page *page, size_t nr_pages,
					  enum buddy_fill fill)
{
	uint8_t state = fill == BUDDY_ZEROED	  ? PAGE_ZEROED
			: fill == BUDDY_PROTECTED ? PAGE_CLEAN
						  : PAGE_DIRTY;

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
	if (state == PAGE_CLEAN)
		return (struct block_count){0, 0};
	return (struct block_count){(uint32_t) nr_pages,
				    state == PAGE_DIRTY ? (uint32_t) nr_pages : 0};
}

/* buddy_free, and with @queue buddy_free_to_zero. */
static enum buddy_err free_block_run(struct kz_page *page, size_t nr_pages, enum page_kind kind,
				     enum buddy_fill fill, bool queue)
{
	enum buddy_err err = BUDDY_OK;
	struct block_count count;

	pthread_mutex_lock(&buddy_pool.lock);
	if (page->flags != PG_HEAD)
		err = (page->flags & PG_TAIL) ? BUDDY_INTERIOR : BUDDY_DOUBLE_FREE;
	else if (page->kind != kind)
		err = BUDDY_WRONG_KIND;
	else if (page->nr_pages != nr_pages)
		err = BUDDY_WRONG_SIZE;
	if (err != BUDDY_OK) {
		pthread_mutex_unlock(&buddy_pool.lock);
		return err;
	}
	count = free_pages_mark(page, nr_pages, fill);
	if (fill == BUDDY_PROTECTED)
		atomic_store_explicit(&buddy_pool.protected, true, memory_order_relaxed);
	vg_noaccess(page_address(page), nr_pages << KZ_PAGE_SHIFT);
	buddy_pool.pages_in_use -= nr_pages;
	count_held_pages(-(ptrdiff_t) nr_pages);
	buddy_pool.pages_by_kind[kind] -= nr_pages;
	buddy_pool.pages_resident += count.resident;
	buddy_pool.pages_dirty += count.dirty;
	free_range(page, nr_pages, count, os_now_ms(), queue);
	pthread_mutex_unlock(&buddy_pool.lock);
	return BUDDY_OK;
}

enum buddy_err buddy_free(struct kz_page *page, size_t nr_pages, enum page_kind kind,
			  enum buddy_fill fill)
{
	return free_block_run(page, nr_pages, kind, fill, false);
}

enum buddy_err buddy_free_to_zero(struct kz_page *page, size_t nr_pages, enum page_kind kind,
				  enum buddy_fill fill)
{
	return free_block_run(page, nr_pages, kind, fill, true);
}

void buddy_mark_freeing(struct kz_page *page, bool freeing)
{
	pthread_mutex_lock(&buddy_pool.lock);
	kz_assert((page->flags & ~PG_FREEING) == PG_HEAD);
	page->flags = freeing ? PG_HEAD | PG_FREEING : PG_HEAD;
	pthread_mutex_unlock(&buddy_pool.lock);
}

void buddy_stats(struct kz_pool_stats *st)
{
	pthread_mutex_lock(&buddy_pool.lock);
	for (unsigned order = 0; order < KZ_NR_ORDERS; order++)
		st->free_blocks[order] = buddy_pool.free_area[order].nr_free;
	st->chunks = buddy_pool.nr_chunks;
	st->pages_large = buddy_pool.pages_by_kind[KIND_LARGE];
	st->pages_slab = buddy_pool.pages_by_kind[KIND_SLAB];
	st->pages_mapped = buddy_pool.nr_chunks * KZ_CHUNK_PAGES;
	st->pages_in_use = buddy_pool.pages_in_use;
	st->pages_resident = buddy_pool.pages_resident;
	st->pages_dirty = buddy_pool.pages_dirty;
	st->pages_zeroed = atomic_load_explicit(&buddy_pool.pages_zeroed, memory_order_relaxed);
	st->pages_purged = buddy_pool.pages_purged;
	st->chunks_unmapped = buddy_pool.chunks_unmapped;
	pthread_mutex_unlock(&buddy_pool.lock);
}

pthread_mutex_t *buddy_purge_lock(unsigned i)
{
	(void) i;
	return &buddy_pool.purge_lock;
}

pthread_mutex_t *buddy_pool_lock(unsigned i)
{
	(void) i;
	return &buddy_pool.lock;
}
