/*
 * huge.c - objects above 4 MiB: direct mappings aligned to a chunk,
 * registered in the page map (chunk.h), and resized with mremap
 * (in place, or by moving the pages to a new aligned place, never copying).
 *
 * Freed mappings are kept for reuse (glibc's dynamic mmap threshold is why
 * it runs repeated 5-25 MiB allocations an order of magnitude faster than
 * allocators that unmap at once): a reused mapping is cleared by memset,
 * which costs a fraction of faulting fresh pages in, and one much larger
 * than the request gives its tail back. What stays unused past the purge
 * delay is unmapped by the huge shrinker. A mapping is cleared only where
 * it is resident, and given back to the OS elsewhere (resident.h), so a
 * gigabyte the program barely touched costs neither time nor RSS to free
 * or reuse; and one that is unmapped at free is not cleared at all.
 *
 * Who clears it: while the purger thread runs (purge_zeroing), a freed
 * mapping is cached dirty, in every KZMALLOC_INIT mode, and marked
 * PG_ZEROING: the purger's zero hook (huge_zero) clears it, oldest first,
 * once it has waited 10 ms, with non-temporal stores, holding
 * zero_lock (so fork never splits it) but not huge.lock: the mapping stays
 * cached, marked PG_ISOLATED, which every other user of the cache skips.
 * An allocation takes the smallest cached mapping that fits and needs no
 * trim, a cleared one before a dirty one, and clears a dirty one itself
 * (it most likely freed it, and has it in its cache); when a mapping being
 * cleared would do better than any other, it waits for it rather than
 * trim another or fault a new one in (on the project's VM a page fault
 * costs 30 times a page's memset). The promise of KZMALLOC_INIT=free is
 * purge.h's: a freed mapping's bytes leave free memory within 10 to
 * 20 ms, half the purge delay at most, and a mapping is never
 * handed out holding them. Without the thread, KZMALLOC_INIT=free clears a
 * mapping when it is freed, and the other modes when it is handed out
 * again.
 *
 * Guard pages (KZMALLOC_CHECK=guard): a mapping is one page longer than its
 * usable part, and that last page is no-access (chunk->guard; size counts
 * it, so the page map and huge_bytes cover it, and a free of its address is
 * an interior pointer). A guard is installed when the mapping is made (if
 * the OS refuses, vm.max_map_count, the mapping is made without one: its
 * guard page unmapped, a warning the first time) and moved, never lifted:
 * a trim makes the new last page no-access before it unmaps the tail (if
 * the OS refuses, the mapping stays longer), a cached mapping keeps its
 * guard and serves only guarded requests, and a growth never happens in
 * place (mremap cannot grow a mapping into the guard's separate VMA): a new
 * guarded mapping is made and only the data part is moved onto its front
 * by mremap, then the old guard is unmapped. Nothing is ever copied, and no
 * guard is ever made accessible again.
 *
 * Protection (KZMALLOC_CHECK=protect): a mapping freed for the cache is
 * purged and made no-access (its guard stays as it is) and cached clean
 * (PAGE_CLEAN, which no other freed mapping is), never PG_ZEROING: the zero
 * hook has nothing to write into it. A reuse makes it accessible again
 * after any trim (if the OS refuses, it is unmapped and a fresh mapping
 * made instead); an eviction unmaps it. If the OS will not make it
 * no-access it is cached purged and accessible; if it will not purge it,
 * the mapping is freed as without the check.
 *
 * Quarantine (KZMALLOC_CHECK=quarantine): a freed mapping waits in a FIFO
 * (large_quarantine.h: 16 mappings, 256 MiB) before it goes to the cache
 * (or is unmapped), marked PG_HEAD | PG_FREEING so that lookups see it
 * freed, cleared where resident by the freeing thread, or, with protect,
 * no-access; when it leaves it is checked to read zero where sampled
 * (unless no-access) and cached as it was left. A free pushes the oldest
 * out when the FIFO is full or over its bytes; the huge shrinker's scan,
 * first, what waited the purge delay, and everything at kz_trim. A
 * quarantined mapping is counted in use, not cached.
 *
 * Under memcheck a mapping is a malloc-like block of its usable length,
 * always defined (fresh or cleared), resized in place when mremap grows or
 * trims it, and its descriptor's base is hidden from the leak checker while
 * it lives (vg.h).
 *
 * A cached mapping's descriptor head is PG_HEAD | PG_FREE (with PG_ZEROING,
 * PG_ISOLATED while the purger has it to clear), so a free of it
 * is a double free. Owns the counters of huge mappings (all of them
 * registered, and of those the cached ones): a mapping is counted from its
 * registration to its unregistration, so the cached ones are always among
 * the registered ones.
 *
 * Locks, in this order (init.c's table): huge.zero_lock, held while one
 * mapping is cleared by the zero hook, and by the shrinker's scan (so that
 * it finds none being cleared); huge.lock, which guards the cache list,
 * the mappings' flags, states and stamps while cached, and the counters; no
 * other lock is taken under either (a mapping is registered, unregistered,
 * unmapped and cleared with huge.lock dropped).
 */
#include "huge.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "chunk.h"
#include "fatal.h"
#include "harden.h"
#include "large_quarantine.h"
#include "options.h"
#include "os.h"
#include "purge.h"
#include "resident.h"
#include "vg.h"
#include "vmstat.h"

/* At most this many mappings, and this many bytes, wait for reuse. */
#define HUGE_CACHE_MAX	     16
#define HUGE_CACHE_MAX_BYTES ((size_t) 1 << 30)

/* How long an allocation waits between looks at a mapping being cleared. */
#define HUGE_WAIT_NS 20000

static struct {
	pthread_mutex_t zero_lock;
	pthread_mutex_t lock;
	struct kz_list cached; /* freed mappings, newest first */
	size_t nr_cached;
	size_t bytes_cached;
	size_t nr_mapped; /* every registered mapping, cached ones too */
	size_t bytes_mapped;
	struct kz_chunk *clearing;     /* the mapping the zero hook is clearing, or NULL */
	atomic_bool dirty_waiting;     /* a cached mapping is dirty or being cleared: no lock */
	_Atomic uint32_t dirty_oldest; /* the oldest one's stamp, while dirty_waiting */
} huge = {.zero_lock = PTHREAD_MUTEX_INITIALIZER, .lock = PTHREAD_MUTEX_INITIALIZER};

static size_t huge_scan(bool all);
static bool huge_pending(void);
static size_t huge_zero(uint32_t min_age);
static bool huge_zero_oldest(uint32_t *stamp);

static const struct shrinker huge_shrinker = {
	.scan = huge_scan,
	.pending = huge_pending,
	.zero = huge_zero,
	.zero_oldest = huge_zero_oldest,
};

void huge_init(void)
{
	list_init(&huge.cached);
	purge_register(&huge_shrinker);
	/* read by every free without the lock (purge.c: no lost wake-up) */
	vg_atomics(&huge.dirty_waiting, sizeof(huge.dirty_waiting));
	vg_atomics(&huge.dirty_oldest, sizeof(huge.dirty_oldest));
}

/* Is a cached mapping being cleared by the zero hook? Lock held. */
static bool cache_busy(const struct kz_chunk *chunk)
{
	return chunk->pages[0].flags & PG_ISOLATED;
}

/*
 * Is a cached mapping the zero hook's to clear: freed dirty for it (PG_ZEROING, only while the
 * purger clears), and not being cleared? Lock held.
 */
static bool cache_dirty(const struct kz_chunk *chunk)
{
	return (chunk->pages[0].flags & (PG_ZEROING | PG_ISOLATED)) == PG_ZEROING;
}

/* The oldest cached mapping the zero hook has to clear, or NULL. Lock held. */
static struct kz_chunk *cache_oldest_dirty(void)
{
	struct kz_list *pos;

	list_for_each_reverse(pos, &huge.cached)
	{
		struct kz_chunk *c = list_entry(pos, struct kz_chunk, link);

		if (cache_dirty(c))
			return c;
	}
	return NULL;
}

/*
 * Tell the lock-free readers whether a mapping waits to be cleared, and since when. Lock held.
 * One being cleared still waits: a free that finds it overdue (purge.h) then waits for its clear
 * (zero_lock) instead of leaving its old bytes readable past half the purge delay.
 */
static void cache_publish(void)
{
	struct kz_chunk *oldest = cache_oldest_dirty();

	if (huge.clearing && (!oldest || (int32_t) (huge.clearing->pages[0].free.stamp -
						    oldest->pages[0].free.stamp) < 0))
		oldest = huge.clearing;
	if (oldest)
		atomic_store(&huge.dirty_oldest, oldest->pages[0].free.stamp);
	atomic_store(&huge.dirty_waiting, oldest != NULL);
}

/* Count a mapping of @size bytes registered (@nr 1), unregistered (-1), or resized by @size (0). */
static void huge_count(int nr, ptrdiff_t size)
{
	pthread_mutex_lock(&huge.lock);
	huge.nr_mapped += (size_t) nr;
	huge.bytes_mapped += (size_t) size;
	count_held_pages(size / (ptrdiff_t) KZ_PAGE_SIZE);
	pthread_mutex_unlock(&huge.lock);
}

/* Unregister a mapping and unmap it. Lock not held. */
static void huge_unmap(struct kz_chunk *chunk)
{
	void *base = (void *) chunk->base;
	size_t size = chunk->size;

	huge_count(-1, -(ptrdiff_t) size);
	chunk_unregister(chunk);
	os_unmap(base, size);
	count_vm_events(VM_HUGE_UNMAPPED, size);
}

/* Take a mapping off the cache. Lock held. */
static void cache_del(struct kz_chunk *chunk)
{
	list_del(&chunk->link);
	huge.nr_cached--;
	huge.bytes_cached -= chunk->size;
	cache_publish();
}

/*
 * Unmap the oldest cached mapping not being cleared, dropping the lock around the unmap; its
 * size, 0 if every one is being cleared.
 */
static size_t cache_evict_oldest(void)
{
	struct kz_list *pos;

	list_for_each_reverse(pos, &huge.cached)
	{
		struct kz_chunk *old = list_entry(pos, struct kz_chunk, link);
		size_t size = old->size;

		if (cache_busy(old))
			continue;
		cache_del(old);
		pthread_mutex_unlock(&huge.lock);
		huge_unmap(old);
		pthread_mutex_lock(&huge.lock);
		return size;
	}
	return 0;
}

/* Would a mapping of @len usable bytes handed out as @c be trimmed (huge_alloc)? */
static bool cache_trims(const struct kz_chunk *c, size_t len)
{
	return huge_usable(c) - len > len / 4;
}

/*
 * Rank a cached mapping for a request of @len: lower is better. One that needs no trim before
 * one that does (the tail it gives back is memory already in), then a cleared one before a dirty
 * one (one being cleared counts as cleared), then the smaller.
 */
static size_t cache_rank(const struct kz_chunk *c, size_t len)
{
	bool dirty = c->pages[0].state == PAGE_DIRTY && !cache_busy(c);

	return ((size_t) cache_trims(c, len) << 1 | dirty) << 56 | c->size >> KZ_PAGE_SHIFT;
}

/*
 * The best cached mapping with @guard that holds @len at @align (cache_rank), off the cache;
 * NULL if none, with @busy set if one being cleared would have been better. Lock held.
 */
static struct kz_chunk *cache_take(size_t len, size_t align, size_t guard, bool *busy)
{
	struct kz_chunk *best = NULL, *best_busy = NULL;
	struct kz_list *pos;

	list_for_each(pos, &huge.cached)
	{
		struct kz_chunk *c = list_entry(pos, struct kz_chunk, link);
		struct kz_chunk **slot = cache_busy(c) ? &best_busy : &best;

		if (c->guard != guard || huge_usable(c) < len || !IS_ALIGNED(c->base, align))
			continue;
		if (!*slot || cache_rank(c, len) < cache_rank(*slot, len))
			*slot = c;
	}
	*busy = best_busy && (!best || cache_rank(best_busy, len) < cache_rank(best, len));
	if (*busy)
		return NULL;
	if (best)
		cache_del(best);
	return best;
}

/* Is a freed mapping kept for reuse, or unmapped at once? */
static bool huge_cacheable(const struct kz_chunk *chunk)
{
	return kz_opt.purge_delay_ms != 0 && chunk->size <= HUGE_CACHE_MAX_BYTES;
}

/* Clear a mapping where the program touched it, and give the rest back (@how: who clears). */
static void huge_clear(const struct kz_chunk *chunk, enum resident_how how)
{
	resident_clear((void *) chunk->base, huge_usable(chunk) >> KZ_PAGE_SHIFT, how, NULL);
}

/* A mapping handed out. */
static void *huge_hand_out(struct kz_chunk *chunk)
{
	void *base = (void *) chunk->base;

	vg_alloc(base, huge_usable(chunk), true);
	vg_hide_ptr(&chunk->base, base);
	return base;
}

/* KZMALLOC_CHECK=guard: the bytes of no-access page a new mapping ends in. */
static size_t huge_guard(void)
{
	return harden_guard() ? KZ_PAGE_SIZE : 0;
}

/*
 * Shrink a mapping to @len usable bytes, giving the tail back (the pages and
 * the page-map slots); a guard first moves to the new end, and if the OS
 * refuses that, the mapping stays as long as it was, and errno as it was
 * (posix_memalign keeps it when it succeeds). Shrinking the page-map range
 * cannot fail.
 */
static void huge_trim(struct kz_chunk *chunk, size_t len)
{
	size_t old = chunk->size, size = len + chunk->guard;
	char *base = (char *) chunk->base;
	int saved_errno = errno;

	if (size >= old)
		return;
	if (chunk->guard && !os_set_memory_np(base + len, chunk->guard)) {
		errno = saved_errno;
		return;
	}
	if (chunk_resize(chunk, size)) {
		huge_count(0, (ptrdiff_t) size - (ptrdiff_t) old);
		os_unmap(base + size, old - size);
	}
}

/*
 * A new mapping of @len usable bytes and @guard no-access ones after them (none if the OS
 * refuses them), aligned to @align, in the page map; NULL + ENOMEM.
 */
static struct kz_chunk *huge_map(size_t len, size_t align, size_t guard)
{
	struct kz_chunk *chunk;
	char *mem = os_map_aligned(len + guard, align);

	if (!mem)
		return NULL;
	if (guard && !os_set_memory_np(mem + len, guard)) {
		/* refused (vm.max_map_count): served without one, as large.c does */
		os_unmap(mem + len, guard);
		kz_warn_guard_refused();
		guard = 0;
	}
	chunk = chunk_register(mem, len + guard, KIND_HUGE, NULL);
	if (!chunk) {
		os_unmap(mem, len + guard);
		return NULL;
	}
	chunk->guard = guard;
	huge_count(1, (ptrdiff_t) (len + guard));
	return chunk;
}

/*
 * A cached mapping for huge_alloc (cache_take), off the cache; when one being cleared would do
 * better than any other, wait for it (a few milliseconds at most: what it costs to clear it)
 * rather than fault a new mapping in, or trim one. NULL: none fits.
 */
static struct kz_chunk *huge_cache_get(size_t len, size_t align, size_t guard)
{
	const struct timespec wait = {.tv_nsec = HUGE_WAIT_NS};
	struct kz_chunk *chunk;
	bool busy;

	for (;;) {
		pthread_mutex_lock(&huge.lock);
		chunk = cache_take(len, align, guard, &busy);
		pthread_mutex_unlock(&huge.lock);
		if (chunk || !busy)
			return chunk;
		nanosleep(&wait, NULL);
	}
}

/*
 * Make a cached mapping that was no-access (KZMALLOC_CHECK=protect) accessible again; false if
 * the OS refuses, errno as it was (posix_memalign keeps it when a fresh mapping then works).
 */
static bool huge_unprotect(struct kz_chunk *chunk)
{
	int saved_errno = errno;

	if (os_set_memory_rw((void *) chunk->base, huge_usable(chunk)))
		return true;
	errno = saved_errno;
	return false;
}

void *huge_alloc(size_t size, size_t align)
{
	/* At least a page: memalign(8 MiB, 0) must be a unique pointer of ours, not a 0-byte map.
	 */
	size_t len = size ? page_align(size) : KZ_PAGE_SIZE, guard = huge_guard();
	struct kz_chunk *chunk;
	void *mem;

	if (align < KZ_CHUNK_SIZE)
		align = KZ_CHUNK_SIZE;
	if (len < size || len + guard + align < len) {
		errno = ENOMEM;
		return NULL;
	}
	chunk = huge_cache_get(len, align, guard);
	if (chunk) {
		if (cache_trims(chunk, len))
			huge_trim(chunk, len);
		/* protected while cached: accessible again, or (the OS refuses) a fresh mapping */
		if (chunk->pages[0].state == PAGE_CLEAN && !huge_unprotect(chunk)) {
			huge_unmap(chunk);
			chunk = NULL;
		}
	}
	if (chunk) {
		mem = huge_hand_out(chunk);
		if (chunk->pages[0].state == PAGE_DIRTY)
			huge_clear(chunk, RESIDENT_CLEAR);
		chunk->pages[0].state = PAGE_CLEAN;
		chunk->pages[0].flags = PG_HEAD;
		return mem;
	}
	chunk = huge_map(len, align, guard);
	return chunk ? huge_hand_out(chunk) : NULL;
}

/*
 * Cache a freed mapping holding what @state says (@later: dirty for the zero hook), or unmap it
 * if it is not kept; the pages left for purge.
 */
static size_t huge_cache_put(struct kz_chunk *chunk, enum page_state state, bool later)
{
	size_t nr_pages = chunk->size >> KZ_PAGE_SHIFT; /* once cached, it may be gone at once */

	if (!huge_cacheable(chunk)) {
		huge_unmap(chunk);
		return 0;
	}
	pthread_mutex_lock(&huge.lock);
	chunk->pages[0].flags = PG_HEAD | PG_FREE | (later ? PG_ZEROING : 0);
	chunk->pages[0].state = (uint8_t) state;
	chunk->pages[0].free.stamp = os_now_ms();
	list_add(&chunk->link, &huge.cached);
	huge.nr_cached++;
	huge.bytes_cached += chunk->size;
	cache_publish();
	/* Over the limits: the oldest mappings go at once (the newest is never being cleared). */
	while (huge.nr_cached > HUGE_CACHE_MAX || huge.bytes_cached > HUGE_CACHE_MAX_BYTES)
		if (!cache_evict_oldest())
			break;
	pthread_mutex_unlock(&huge.lock);
	return nr_pages;
}

/* Free a mapping as without protect and quarantine: cleared now or by the purger, cached. */
static size_t huge_free_now(struct kz_chunk *chunk)
{
	bool later = purge_zeroing(); /* the purger clears it */
	bool zero = harden_init_on_free() && huge_cacheable(chunk) && !later;

	if (zero)
		huge_clear(chunk, RESIDENT_CLEAR);
	vg_free((void *) chunk->base, huge_usable(chunk));
	vg_show_ptr(&chunk->base, (void *) chunk->base);
	return huge_cache_put(chunk, zero ? PAGE_ZEROED : PAGE_DIRTY, later);
}

/*
 * KZMALLOC_CHECK=protect: purge the usable part, then make it no-access (a guard stays as it
 * is). False if the OS would not purge it (nothing changed); @np says whether it is no-access.
 */
static bool huge_protect(struct kz_chunk *chunk, bool *np)
{
	void *base = (void *) chunk->base;

	if (!os_purge(base, huge_usable(chunk)))
		return false;
	*np = os_set_memory_np(base, huge_usable(chunk));
	return true;
}

/* A mapping out of the quarantine: checked, then cached as it was left; the pages left for purge.
 */
static size_t huge_release(const struct lq_entry *e)
{
	struct kz_chunk *chunk = e->block;

	large_quarantine_check(e);
	return huge_cache_put(chunk, chunk->pages[0].state, false);
}

/*
 * Free a mapping with protect or quarantine on: protected (or, if the OS will not purge it,
 * cleared for the quarantine, else freed as without the checks), then cached or quarantined;
 * with the pages of the mappings the quarantine pushed out, what is left for purge. Out of line,
 * so that the default free keeps no stack frame for it.
 */
__attribute__((noinline)) static size_t huge_free_checked(struct kz_chunk *chunk)
{
	void *base = (void *) chunk->base;
	struct lq_entry e = {
		.block = chunk, .addr = base, .bytes = huge_usable(chunk), .check = true};
	size_t nr_pages = chunk->size >> KZ_PAGE_SHIFT;
	enum page_state state = PAGE_CLEAN;
	struct lq_entry out;
	bool np = false;

	if (harden_protect() && huge_cacheable(chunk) && huge_protect(chunk, &np)) {
		e.check = !np;
	} else if (harden_quarantine()) {
		huge_clear(chunk, RESIDENT_CLEAR);
		state = PAGE_ZEROED;
	} else {
		return huge_free_now(chunk);
	}
	vg_free(base, e.bytes);
	vg_show_ptr(&chunk->base, base);
	if (!harden_quarantine())
		return huge_cache_put(chunk, state, false);
	chunk->pages[0].flags = PG_HEAD | PG_FREEING; /* every lookup sees it freed */
	chunk->pages[0].state = (uint8_t) state;
	if (large_quarantine_add(LQ_MAPPINGS, e, &out))
		nr_pages += huge_release(&out);
	while (large_quarantine_take(LQ_MAPPINGS, LQ_OVER, &out))
		nr_pages += huge_release(&out);
	return nr_pages;
}

size_t huge_free(struct kz_chunk *chunk)
{
	if (unlikely(harden_protect() || harden_quarantine()))
		return huge_free_checked(chunk);
	return huge_free_now(chunk);
}

void *huge_resize(struct kz_chunk *chunk, size_t size)
{
	size_t len = page_align(size), old = huge_usable(chunk);
	void *base = (void *) chunk->base, *dest;
	struct kz_chunk *moved;

	if (len < size)
		return NULL;
	if (len <= old) {
		huge_trim(chunk, len);
		vg_resize(base, old, huge_usable(chunk));
		return base;
	}
	/*
	 * Grow where it is if the address space after it is free (then no
	 * chunk can own the page-map slots it grows into); never a guarded
	 * mapping, whose guard is in the way...
	 */
	if (!chunk->guard && os_remap_inplace(base, old, len)) {
		if (chunk_resize(chunk, len)) {
			huge_count(0, (ptrdiff_t) len - (ptrdiff_t) old);
			vg_resize(base, old, len);
			vg_defined((char *) base + old, len - old); /* fresh pages: zero */
			return base;
		}
		/*
		 * No page-map leaf for the new part: drop it again. munmap, not a
		 * shrinking mremap, which the OS (or a fault test) may refuse and
		 * leave the tail mapped but owned by nobody.
		 */
		os_unmap((char *) base + old, len - old);
	}
	/* ...else move the pages to a new aligned mapping of the new size (its data part). */
	moved = huge_map(len, KZ_CHUNK_SIZE, chunk->guard);
	if (!moved)
		return NULL;
	dest = (void *) moved->base;
	/* For memcheck the block moves: freed here first, so no new mapping can be caught by it. */
	vg_free(base, old);
	vg_show_ptr(&chunk->base, base);
	if (!os_remap_move(base, old, dest, len)) {
		huge_count(-1, -(ptrdiff_t) moved->size);
		chunk_unregister(moved); /* the descriptor may be reused at once */
		os_unmap(dest, len + moved->guard);
		huge_hand_out(chunk); /* still there, and still the program's */
		return NULL;
	}
	if (chunk->guard) /* left behind by the move */
		os_unmap((char *) base + old, chunk->guard);
	huge_count(-1, -(ptrdiff_t) chunk->size);
	chunk_unregister(chunk);
	return huge_hand_out(moved);
}

/*
 * Unmap what waited past the delay, or (@all) everything cached (the quarantine's first); bytes
 * given back. With
 * zero_lock held none is being cleared, so the oldest is the list's last.
 */
static size_t huge_scan(bool all)
{
	uint32_t now = os_now_ms();
	size_t bytes = 0;
	struct lq_entry e;

	/* the quarantine first: what leaves it goes to the cache, which the loop below may empty */
	while (large_quarantine_take(LQ_MAPPINGS, all ? LQ_ALL : LQ_EXPIRED, &e))
		huge_release(&e);
	pthread_mutex_lock(&huge.zero_lock);
	pthread_mutex_lock(&huge.lock);
	while (!list_empty(&huge.cached)) {
		struct kz_chunk *old = list_entry(huge.cached.prev, struct kz_chunk, link);

		if (!all && !os_ms_elapsed(now, old->pages[0].free.stamp, kz_opt.purge_delay_ms))
			break;
		bytes += cache_evict_oldest();
	}
	pthread_mutex_unlock(&huge.lock);
	pthread_mutex_unlock(&huge.zero_lock);
	return bytes;
}

/*
 * The zero hook: clear the oldest dirty cached mapping that waited @min_age ms or more, where it
 * is resident (non-temporal stores: another thread wrote it), holding zero_lock; bytes cleared
 * (its usable length), 0 if none waits that long.
 */
static size_t huge_zero(uint32_t min_age)
{
	struct kz_chunk *chunk;
	size_t bytes = 0;

	if (!atomic_load(&huge.dirty_waiting))
		return 0;
	pthread_mutex_lock(&huge.zero_lock);
	pthread_mutex_lock(&huge.lock);
	chunk = cache_oldest_dirty();
	if (chunk && !os_ms_elapsed(os_now_ms(), chunk->pages[0].free.stamp, min_age))
		chunk = NULL;
	if (chunk) {
		chunk->pages[0].flags |= PG_ISOLATED;
		huge.clearing = chunk;
		cache_publish();
	}
	pthread_mutex_unlock(&huge.lock);
	if (chunk) {
		bytes = huge_usable(chunk);
		huge_clear(chunk, RESIDENT_CLEAR_COLD);
		pthread_mutex_lock(&huge.lock);
		chunk->pages[0].flags = PG_HEAD | PG_FREE;
		chunk->pages[0].state = PAGE_ZEROED;
		huge.clearing = NULL;
		cache_publish();
		pthread_mutex_unlock(&huge.lock);
	}
	pthread_mutex_unlock(&huge.zero_lock);
	return bytes;
}

static bool huge_zero_oldest(uint32_t *stamp)
{
	if (!atomic_load(&huge.dirty_waiting))
		return false;
	*stamp = atomic_load(&huge.dirty_oldest);
	return true;
}

static bool huge_pending(void)
{
	bool pending;

	pthread_mutex_lock(&huge.lock);
	pending = huge.nr_cached != 0;
	pthread_mutex_unlock(&huge.lock);
	return pending || large_quarantine_waiting(LQ_MAPPINGS);
}

/*
 * Under huge.lock every cached mapping is counted as registered (it is cached after it is
 * counted and uncached before it is uncounted), so the cached ones are always a part of the huge
 * mappings here.
 */
void huge_stats(struct kz_pool_stats *st)
{
	pthread_mutex_lock(&huge.lock);
	st->huge_mappings = huge.nr_mapped;
	st->huge_bytes = huge.bytes_mapped;
	st->huge_cached = huge.nr_cached;
	st->huge_cached_bytes = huge.bytes_cached;
	pthread_mutex_unlock(&huge.lock);
}

pthread_mutex_t *huge_zero_lock(unsigned i)
{
	(void) i;
	return &huge.zero_lock;
}

pthread_mutex_t *huge_cache_lock(unsigned i)
{
	(void) i;
	return &huge.lock;
}
