/*
 * init.c - process start-up, fork and exit.
 *
 * Owns kz_ready. Start-up runs once, on the first call into kzmalloc or
 * from the constructor, whichever comes first; it allocates nothing, and
 * kz_ready is set before the two calls that may (pthread_atfork, the
 * thread-cache key), so a nested allocation from them finds a working
 * heap. Other threads that arrive meanwhile wait for kz_ready.
 *
 * fork: every lock is taken in the global order before, and released after,
 * in the parent and in the child alike:
 *   quarantine -> spare thread caches -> kmalloc caches (class order) -> huge_lock
 *   -> pool.purge_lock -> pool.lock -> purger.lock -> zero.lock (a leaf: zero_size.c)
 *   -> meta_lock (the metadata arena's, a leaf: meta.c)
 * At exit the destructor prints the report if KZMALLOC_STATS asks for it;
 * Debug builds check the pool's invariants one last time.
 */
#include "init.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "buddy.h"
#include "canary.h"
#include "clear.h"
#include "kmalloc.h"
#include "kzmalloc.h"
#include "large.h"
#include "meta.h"
#include "options.h"
#include "purge.h"
#include "slab.h"
#include "tcache.h"
#include "vg.h"
#include "zero_size.h"

atomic_bool kz_ready;
static atomic_int kz_started;

/*
 * Where the exit report goes: a private copy of stderr, taken at start-up,
 * because programs such as coreutils close stderr in their own exit
 * handlers, which run before library destructors. Placed high and
 * close-on-exec, out of the program's way.
 */
static int stats_fd = -1;

static void fork_prepare(void)
{
	tcache_fork_prepare();
	slab_fork_prepare();
	huge_fork_prepare();
	buddy_fork_prepare();
	purge_fork_prepare();
	zero_size_fork_prepare();
	meta_fork_prepare();
}

/* Also the child's: see fork_child. */
static void release_locks(void)
{
	meta_fork_parent();
	zero_size_fork_parent();
	buddy_fork_parent();
	huge_fork_parent();
	slab_fork_parent();
	tcache_fork_parent();
}

static void fork_parent(void)
{
	release_locks();
	purge_fork_parent();
}

/*
 * The child's one thread is the one that took every lock before the fork,
 * so it releases them as the parent does (the mutexes are of the default
 * type, which any thread may release): re-initialising them instead would
 * leave helgrind and DRD believing the child still holds them.
 */
static void fork_child(void)
{
	release_locks();
	purge_fork_child();
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
	canary_init();
	clear_init(kz_opt.init);
	kmalloc_init();
	if (kz_opt.stats)
		stats_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 512);
	buddy_init(); /* the pool's shrinker first: the ones above feed it */
	large_init();
	huge_init();
	slab_init();
	atomic_store_explicit(&kz_ready, true, memory_order_release);
	tcache_init();
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

__attribute__((constructor)) static void kz_constructor(void)
{
	kz_init();
}

__attribute__((destructor)) static void kz_destructor(void)
{
	if (!atomic_load(&kz_ready))
		return;
	if (kz_debug)
		buddy_verify();
	if (kz_opt.stats)
		kz_stats_print(stats_fd >= 0 ? stats_fd : STDERR_FILENO);
}
