/*
 * init.c - process start-up, fork and exit.
 *
 * Owns kz_ready. Start-up runs once, on the first call into kzmalloc or
 * from the constructor, whichever comes first; it allocates nothing, and
 * kz_ready is set before the two calls that may (pthread_atfork, the
 * thread-cache key), so a nested allocation from them finds a working
 * heap. Other threads that arrive meanwhile wait for kz_ready.
 *
 * fork walks the lock-order table below: every lock, in that order, before
 * it, and back the other way after it, in the parent and the child alike.
 * At exit the destructor checks what the quarantine still holds (with
 * KZMALLOC_CHECK=quarantine), prints the report if KZMALLOC_STATS asks for
 * it (stats.c); Debug builds check the pool's invariants one last time.
 *
 * Read-only after start-up (the kernel's __ro_after_init): the settings, the
 * hardening policy's tables (the clear routines, the canary's secret, the pop
 * check, malloc's class table), the slab caches' class tables, the shrinkers,
 * tcache_none and the key, kz_ready, the report's descriptor: every variable
 * marked KZ_RO_AFTER_INIT (util.h). Start-up writes them, and its last step
 * makes their pages read-only, after the last writer (tcache_init); nothing
 * writes them afterwards, not even fork's handlers, so a stray write into
 * them (a heap overflow elsewhere) stops the program at once instead of
 * redirecting the allocator. If the OS refuses (it should not), they stay
 * writable.
 */
#include "init.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "buddy.h"
#include "chunk.h"
#include "harden.h"
#include "huge.h"
#include "kzmalloc.h"
#include "large.h"
#include "large_quarantine.h"
#include "meta.h"
#include "options.h"
#include "os.h"
#include "purge.h"
#include "quarantine.h"
#include "slab.h"
#include "stats.h"
#include "tcache.h"
#include "vg.h"
#include "zero_size.h"

KZ_RO_AFTER_INIT atomic_bool kz_ready;
static atomic_int kz_started;

/*
 * Lock order: a thread that holds a lock takes only locks further down.
 *
 *   1. quarantine.lock              the delayed frees (memcheck's, or the
 *      (quarantine.c)               shared overflow) and the spare thread
 *                                   rings; objects leave it for the slabs after
 *                                   it is dropped
 *   1a. lq_fifo.lock, runs then     freed page runs and mappings waiting for
 *       mappings                    reuse; blocks leave for the pool or the
 *       (large_quarantine.c)        cache after it is dropped
 *   2. spare.lock (tcache.c)        exited threads' caches; a push or a pop
 *   3. kmem_cache.lock (slab.c)     one per class, never two at once (fork
 *                                   takes them in class order): partial lists,
 *                                   free maps, counts; may allocate from the
 *                                   pool (6, 7, 8) and the arena (11), never free
 *   4. huge.zero_lock (huge.c)      held while the purger clears one cached
 *                                   mapping (and by the huge shrinker's scan)
 *   5. huge.lock (huge.c)           the cache of freed mappings, the huge
 *                                   counters; nothing is taken under it
 *   6. buddy_pool.purge_lock        one purge pass or zeroing batch at a time
 *      (buddy_pool.h)
 *   7. buddy_pool.lock              free lists, the zero queue, page
 *      (buddy_pool.h)               descriptors' states, counters, the list
 *                                   of chunks
 *   8. chunk_lock (chunk.c)         spare chunk descriptors, the page map's
 *                                   writes: under 7 (a purge unregistering a
 *                                   wholly free chunk) or alone
 *   9. purger.lock (purge.c)        the purger thread's pending flag
 *  10. zero.lock (zero_size.c)      the zero-size regions' bitmaps
 *  10a. vg_sizes.lock (vg.c)        under memcheck, the sizes asked for
 *  11. meta_lock (meta.c)           the metadata arena: under 3 and 8, or alone
 *
 * Nothing that may allocate, start a thread or call the program runs with
 * any of them held; page contents are cleared and purged with pool.lock
 * dropped (a purge pass or zeroing batch holds only purge_lock, the
 * clearing of a mapping only huge.zero_lock): fork waits for a clearing
 * under way, so no child inherits a block half cleared.
 */
static const struct {
	pthread_mutex_t *(*lock)(unsigned i);
	unsigned count;
} lock_order[] = {
	/* clang-format off */
	{quarantine_lock, 1},
	{large_quarantine_lock, LQ_NR},
	{tcache_spare_lock, 1},
	{slab_cache_lock, KZ_NR_CLASSES},
	{huge_zero_lock, 1},
	{huge_cache_lock, 1},
	{buddy_purge_lock, 1},
	{buddy_pool_lock, 1},
	{chunk_lock, 1},
	{purge_purger_lock, 1},
	{zero_size_lock, 1},
	{vg_sizes_lock, 1},
	{meta_arena_lock, 1},
	/* clang-format on */
};

static void fork_prepare(void)
{
	for (size_t k = 0; k < ARRAY_SIZE(lock_order); k++)
		for (unsigned i = 0; i < lock_order[k].count; i++)
			pthread_mutex_lock(lock_order[k].lock(i));
}

/* Also the child's: see fork_child. */
static void release_locks(void)
{
	for (size_t k = ARRAY_SIZE(lock_order); k-- > 0;)
		for (unsigned i = lock_order[k].count; i-- > 0;)
			pthread_mutex_unlock(lock_order[k].lock(i));
}

static void fork_parent(void)
{
	release_locks();
}

/*
 * The child's one thread is the one that took every lock before the fork,
 * so it releases them as the parent does (the mutexes are of the default
 * type, which any thread may release): re-initialising them instead would
 * leave helgrind and DRD believing the child still holds them. The purger's
 * state is reset first, while purger.lock is still held, and the report's
 * run time and counters start again (the child reports for itself).
 */
static void fork_child(void)
{
	purge_fork_child();
	stats_fork_child();
	release_locks();
}

/*
 * The end of start-up: the data it wrote once becomes read-only. A thread that waited for
 * kz_ready meanwhile only reads it. On failure start-up goes on, unprotected.
 */
static void seal_ro_after_init(void)
{
	char *start = kz_ro_after_init_start;
	size_t size = (uintptr_t) kz_ro_after_init_end - (uintptr_t) start;

	kz_assert(IS_ALIGNED(start, KZ_PAGE_SIZE) && IS_ALIGNED(size, KZ_PAGE_SIZE));
	os_set_memory_ro(start, size);
}

void kz_init_slow(void)
{
	int expected = 0;

	if (!atomic_compare_exchange_strong(&kz_started, &expected, 1)) {
		while (!atomic_load_explicit(&kz_ready, memory_order_acquire))
			sched_yield();
		return;
	}
	vg_init(); /* first: the layers below set themselves up for memcheck */
	options_init();
	harden_init(); /* the canary, the clear routines, the pop check: before any object */
	stats_init();
	purge_init();
	buddy_init(); /* the pool's shrinker first: the ones above feed it */
	large_init();
	huge_init();
	slab_init();
	quarantine_init();
	/*
	 * Before kz_ready: a thread let through by it may create its cache at once, and must find
	 * the caches' size and pop check set (pthread_key_create does not allocate).
	 */
	tcache_init();
	atomic_store_explicit(&kz_ready, true, memory_order_release);
	/* After it: glibc's pthread_atfork may allocate, and a nested malloc must not wait here. */
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	seal_ro_after_init(); /* last: tcache_init wrote the key */
}

__attribute__((constructor)) static void kz_constructor(void)
{
	kz_init();
}

__attribute__((destructor)) static void kz_destructor(void)
{
	if (!atomic_load(&kz_ready))
		return;
	purge_exit();
	if (harden_quarantine()) { /* a write after free the program's end would take with it */
		quarantine_exit();
		large_quarantine_exit();
	}
	if (kz_debug)
		buddy_verify();
	stats_exit();
}
