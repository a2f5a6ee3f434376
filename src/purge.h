/*
 * purge.h - when free memory goes back to the OS, and who clears freed
 * memory: the purge policy and background zeroing.
 *
 * Free memory is purged once it has stayed unused for the purge delay
 * (KZMALLOC_PURGE_DELAY), by a background thread that sleeps while there is
 * nothing to purge, so memory is returned even when the program is idle.
 * Without the thread (KZMALLOC_PURGE_THREAD=0, or until it has started, or
 * if it cannot be started) the free path runs the same decay; a delay of 0
 * purges at every free.
 *
 * Background zeroing (an OS's zero-page thread): while the purger thread
 * runs, large runs and huge mappings are freed dirty, in every
 * KZMALLOC_INIT mode, and the thread clears them once they have waited
 * 10 ms, off the freeing and allocating threads (purge_zeroing says
 * whether it runs; purge.c says why the wait). A layer that keeps such
 * memory registers a shrinker with zero hooks. The promise:
 *   - memory handed out is zero: an allocation takes a block the thread
 *     cleared, and clears a dirty one itself only when nothing clean fits;
 *   - a freed block's bytes leave free memory soon after its free: the
 *     thread clears it once it has waited 10 ms (in practice within 10 to
 *     20 ms: the coarse clock's tick, and the time to clear what waited
 *     before it); once it has waited half the purge delay (500 ms by
 *     default: the thread fell behind, or gets no core), the next free
 *     clears it on the freeing thread; once it has waited the whole delay,
 *     a purge pass gives it back (MADV_DONTNEED) like any free memory;
 *   - without the thread nothing is freed dirty this way (KZMALLOC_INIT=free
 *     clears at free), but for what a thread that stopped left waiting (at
 *     exit, in a forked child): the free path's decay clears that within
 *     the delay;
 *   - so the bound is half the delay, and it rests on the thread or on
 *     frees: a program that stops freeing while the thread gets no CPU for
 *     that long keeps those bytes in free memory until one of the two runs
 *     again.
 *
 * Purge is told, never called from below: the pool and the backends return
 * what they made purgeable, and the API's free slow path (and
 * kz_free_pages) calls purge_notify once, with no lock held and no flush
 * half done. What is purged comes from shrinkers (the kernel's word): the
 * pool, and any layer above that keeps free memory for reuse, registers
 * one at start-up; a scan (or a zero) is the one call that goes up the
 * layers.
 */
#ifndef KZ_PURGE_H
#define KZ_PURGE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct shrinker {
	/* Give back what stayed free past the delay, or (@all) everything; bytes purged. */
	size_t (*scan)(bool all);
	/* Would a later scan give anything back? */
	bool (*pending)(void);
	/*
	 * Background zeroing, for a layer that keeps dirty freed memory for the purger to clear
	 * (NULL otherwise): clear what has waited @min_age ms or more since its free, oldest first,
	 * a bounded batch; bytes cleared (0: nothing that old waits).
	 */
	size_t (*zero)(uint32_t min_age);
	/* When the oldest memory waiting for zero was freed (os_now_ms); false if none waits.
	 * Takes no lock: every free asks. */
	bool (*zero_oldest)(uint32_t *stamp);
};

/* At start-up, before any free. Scans run newest first, so a layer above the
 * pool, registered after it, gives its memory to the pool before the pool's scan. */
void purge_register(const struct shrinker *shrinker);

/* At start-up, before anything can be freed. */
void purge_init(void);

/*
 * At exit: the purger thread stops between passes (one under way is waited for, up to a
 * second), so that the process never ends with the thread inside a pass holding the pool's
 * purge lock; frees after this run the decay themselves.
 */
void purge_exit(void);

/* purge_start_wanted's slow path. */
void purge_thread_start(void);

/*
 * A free left @nr_pages pages for a later purge (0: nothing to do). Called
 * only where a nested malloc or free is safe: no allocator lock held, no
 * structure half changed. Never starts a thread: if the purger is not
 * running yet, it asks purge_start_wanted to start it.
 */
void purge_notify(size_t nr_pages);

/*
 * From the allocation slow paths, at their start: start the purger thread
 * if a free asked for it. pthread_create allocates, and runs here because
 * an allocation's slow path, before it changes anything, is a point where
 * the nested allocation is safe, and where glibc holds none of the locks
 * it takes to create a thread (it frees under its stack-cache lock, it
 * never allocates under it).
 */
extern KZ_HIDDEN atomic_bool purge_thread_wanted;

static inline void purge_start_wanted(void)
{
	if (unlikely(atomic_load_explicit(&purge_thread_wanted, memory_order_relaxed)))
		purge_thread_start();
}

/*
 * Is freed memory cleared in the background? True while the purger thread runs (not under
 * memcheck, whose free memory is inaccessible): a backend may then free a block dirty and leave
 * it to its zero hook, else it clears the block itself, at once. A read of one flag; a free that
 * saw it true while it turns false (exit, a forked child) still has its block cleared in time,
 * by the free-path decay.
 */
extern KZ_HIDDEN atomic_bool purge_zeroing_on;

static inline bool purge_zeroing(void)
{
	return atomic_load_explicit(&purge_zeroing_on, memory_order_relaxed);
}

/* Every shrinker, everything, now (kz_trim); bytes purged. */
size_t purge_all(void);

/* fork: purger.lock is held across it; in the child the thread is gone, and the next free
 * that leaves memory to purge asks for a new one. */
void purge_fork_child(void);

/* purger.lock, for the lock-order table (init.c); @i is ignored. */
pthread_mutex_t *purge_purger_lock(unsigned i);

#endif /* KZ_PURGE_H */
