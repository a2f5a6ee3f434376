/*
 * purge.h - when free pages go back to the OS: the purge policy.
 *
 * Free pages are purged once they have stayed unused for the purge delay
 * (KZMALLOC_PURGE_DELAY), by a background thread that sleeps while there is
 * nothing to purge, so memory is returned even when the program is idle.
 * Without the thread (KZMALLOC_PURGE_THREAD=0, or if it cannot be started)
 * the free path runs the same decay; a delay of 0 purges at every free.
 */
#ifndef KZ_PURGE_H
#define KZ_PURGE_H

#include <stdbool.h>

/* After a free; @kick: the pool had nothing to purge before this free. */
void purge_after_free(bool kick);

/* In a forked child: the purger thread is gone, start afresh. */
void purge_fork_child(void);

#endif /* KZ_PURGE_H */
