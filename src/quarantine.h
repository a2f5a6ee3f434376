/*
 * quarantine.h - delayed reuse of freed class objects: a freed object waits a while before its
 * slot can be handed out again, so that a use through a stale pointer meets freed memory, where
 * it is caught, rather than a live object of the program's.
 *
 * One FIFO of (object, class), shared by all threads, with two users:
 *
 *   - memcheck's (vg.h): under memcheck every freed class object waits in it, at most
 *     QUARANTINE_MAX of them and QUARANTINE_BYTES in all, the oldest leaving first (memcheck's
 *     own --freelist-vol, for kzmalloc); memcheck itself reports a use of one.
 *
 *   - the hardening quarantine (KZMALLOC_CHECK=quarantine, not under memcheck): threads have no
 *     thread cache. A thread's freed objects wait first in its own ring, at most
 *     QUARANTINE_THREAD_MAX objects and QUARANTINE_THREAD_BYTES, taking no lock; when it is full,
 *     its oldest QUARANTINE_BATCH move to the FIFO, the shared overflow (at most
 *     QUARANTINE_SHARED_MAX objects, QUARANTINE_SHARED_BYTES), whose oldest go back to their
 *     slabs. An object is checked when it leaves for its slab and again when it is handed out:
 *     with KZMALLOC_INIT=free it must still read zero (all of it up to QUARANTINE_CHECK_WHOLE,
 *     its first and last 64 bytes above, all of it with KZMALLOC_CHECK=full), else its first
 *     word, which free cleared; anything else stops the process with "free(): write after free"
 *     (leaving) or "malloc(): write after free" (handed out). Allocations come from a small
 *     stack per thread and class, filled at random slots of the slabs (slab.h) and popped at a
 *     random place, so neither when a slot comes back nor where the next object lies can be
 *     predicted. An object freed by a thread is not handed out again before that thread has
 *     freed QUARANTINE_THREAD_MAX - QUARANTINE_BATCH more objects (or QUARANTINE_THREAD_BYTES)
 *     and the threads together QUARANTINE_SHARED_MAX more (or QUARANTINE_SHARED_BYTES), unless
 *     a trim empties the quarantine first. In memory: QUARANTINE_SHARED_BYTES plus, per thread,
 *     QUARANTINE_THREAD_BYTES and its stacks (a quarter of a thread cache's capacity per class).
 *
 * Lock: quarantine.lock guards the FIFO, its counts and the list of spare thread rings; a leaf
 * (objects leave for the slabs after it is dropped), first in fork's order (init.c). A thread's
 * ring and stacks are its own, taken off before anything is handed on.
 */
#ifndef KZ_QUARANTINE_H
#define KZ_QUARANTINE_H

#include <pthread.h>
#include <stddef.h>

#include "slab.h"

/* memcheck's. */
#define QUARANTINE_MAX	 8192
#define QUARANTINE_BYTES ((size_t) 16 << 20)

/* The hardening quarantine's: per thread, shared, and what moves from the one to the other. */
#define QUARANTINE_THREAD_MAX	256
#define QUARANTINE_THREAD_BYTES ((size_t) 256 << 10)
#define QUARANTINE_SHARED_MAX	16384
#define QUARANTINE_SHARED_BYTES ((size_t) 4 << 20)
#define QUARANTINE_BATCH	32

/* The largest class whose objects are checked whole (KZMALLOC_INIT=free). */
#define QUARANTINE_CHECK_WHOLE 4096

/* Start-up: the FIFO's storage, from the metadata arena (under memcheck or with the check). */
void quarantine_init(void);

/*
 * memcheck's: hold a freed object (no longer live, memcheck already told); the oldest objects
 * beyond the bounds go back to their slabs. The pages that gave the pool (the caller tells purge).
 * Without storage (not under memcheck, or the arena refused) the object goes back at once.
 */
size_t quarantine_add(unsigned cls, struct tcache_entry e);

/*
 * The hardening quarantine's free: hold a freed object (no longer live, cleared) in the thread's
 * ring; what that pushes out of the quarantine is checked and goes back to its slab. The pages
 * that gave the pool (the caller tells purge).
 */
size_t quarantine_free(unsigned cls, struct tcache_entry e);

/*
 * The hardening quarantine's allocation: an object of class @cls, live, for a request of @size
 * bytes, from the thread's stack for the class (refilled at random slots when empty), checked;
 * NULL + ENOMEM.
 */
void *quarantine_alloc(size_t cls, size_t size);

/* Hand out @e, a slot of class @cls taken from its slab, for @size bytes: checked, live. */
void *quarantine_reuse(size_t cls, struct tcache_entry e, size_t size);

/*
 * Everything held back to the slabs (malloc_trim): memcheck's FIFO; or the calling thread's
 * ring and stacks and the shared FIFO (other threads' rings wait for their frees or their exit).
 * The pages given to the pool.
 */
size_t quarantine_drain(void);

/* kz_trim's part: quarantine_drain with the hardening quarantine (memcheck's stays). */
size_t quarantine_trim(void);

/*
 * Process exit, with the hardening quarantine: every object the FIFO and the calling thread's
 * ring hold is checked as if it left now ("exit(): write after free"), so that a program that
 * ends before its freed objects leave does not take a write after free with it. Other threads'
 * rings are theirs while they run, and stay unchecked.
 */
void quarantine_exit(void);

/* Objects of class @cls in the FIFO (0 without one). */
size_t quarantine_held(unsigned cls);

/* The quarantine's lock, for the lock-order table (init.c); @i is ignored. */
pthread_mutex_t *quarantine_lock(unsigned i);

#endif /* KZ_QUARANTINE_H */
