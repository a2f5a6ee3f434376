/*
 * purge.h - when free memory goes back to the OS: the purge policy.
 *
 * Free memory is purged once it has stayed unused for the purge delay
 * (KZMALLOC_PURGE_DELAY), by a background thread that sleeps while there is
 * nothing to purge, so memory is returned even when the program is idle.
 * Without the thread (KZMALLOC_PURGE_THREAD=0, or if it cannot be started)
 * the free path runs the same decay; a delay of 0 purges at every free.
 *
 * What is purged comes from shrinkers (the kernel's word): the pool, and
 * any layer above that keeps free memory for reuse, registers one.
 */
#ifndef KZ_PURGE_H
#define KZ_PURGE_H

#include <stdbool.h>
#include <stddef.h>

struct shrinker {
	/* Give back what stayed free past the delay, or (@all) everything; bytes purged. */
	size_t (*scan)(bool all);
	/* Would a later scan give anything back? */
	bool (*pending)(void);
};

/* At start-up, before any free. Scans run newest first, so a layer above the
 * pool, registered after it, gives its memory to the pool before the pool's scan. */
void purge_register(const struct shrinker *shrinker);

/* After a free that left memory for a later purge. */
void purge_after_free(void);

/* Every shrinker, everything, now (kz_trim); bytes purged. */
size_t purge_all(void);

/* In a forked child: the purger thread is gone, start afresh. */
void purge_fork_prepare(void);
void purge_fork_parent(void);
void purge_fork_child(void);

#endif /* KZ_PURGE_H */
