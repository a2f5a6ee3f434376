/*
 * tcache.h - per-thread caches: for each class, a stack of free objects (pointers in an array,
 * never links through the objects), refilled from and flushed to the kmalloc caches in batches,
 * so that most allocations and frees take no lock and touch no shared line. A cache and nothing
 * else: start-up, the memcheck route and the quarantine are the API's and the hardening layer's.
 */
#ifndef KZ_TCACHE_H
#define KZ_TCACHE_H

#include <pthread.h>
#include <stdbool.h>

#include "harden.h"
#include "slab.h"
#include "vmstat.h"

/*
 * Per class a stack of cached objects: [base, top) are cached, [top, end) free slots. Three
 * arrays indexed by class rather than an array of per-class structs, so that a class addresses
 * its stack with a scaled index, no shift, on both fast paths.
 */
struct tcache {
	struct tcache_entry *top[KZ_NR_CLASSES];
	struct tcache_entry *base[KZ_NR_CLASSES];
	struct tcache_entry *end[KZ_NR_CLASSES];
	uint64_t pop_check;  /* harden_pop_check (harden.h), in the cache for the pop's one load */
	struct tcache *next; /* on the spare list, once its thread has exited */
	struct vm_event_state events; /* the report's counters of the threads that had this cache */
	struct tcache_entry storage[];
};

/*
 * Every thread has one: before its first allocation, and after its exit
 * destructor, tcache_self is tcache_none, whose stacks are empty and full at
 * once, so the fast paths need no NULL test and fall to the slow ones.
 */
extern KZ_HIDDEN struct tcache tcache_none;
extern KZ_HIDDEN __thread struct tcache *tcache_self __attribute__((tls_model("initial-exec")));

/* Start-up, after harden_init: the caches' size and pop check, the exit destructor's key. */
void tcache_init(void);

/*
 * An object of class @cls, live, for a request of @size bytes, when the pop found the stack
 * empty: the thread's cache created if it has none yet, its stack refilled; or, for a thread
 * without a cache (exited, or the arena refused one), one object from the slab. NULL + ENOMEM.
 * kzmalloc is started (the API's miss path, kmalloc.c).
 */
void *tcache_refill(size_t cls, size_t size);

/*
 * Pop an object of class @cls for a request of @size bytes (the class leaves room for the
 * canary, if it is on): a handful of instructions, no lock, no atomic; NULL when the stack is
 * empty (the caller's miss path: tcache_refill). The pop check reads the object's first word:
 * free cleared it (the whole object by default, the word alone with KZMALLOC_INIT=none), so
 * anything else is a write after free. An object is never at address 0, and harden_pop never
 * returns NULL, so after inlining the caller's NULL test is the empty-stack branch itself.
 */
static inline void *tcache_pop(size_t cls, size_t size)
{
	struct tcache *tc = tcache_self;
	struct tcache_entry *top = tc->top[cls];

	if (unlikely(top == tc->base[cls]))
		return NULL;
	tc->top[cls] = --top;
	*top->live = 1;
	return harden_pop(cls, top->obj, tc->pop_check, size);
}

/*
 * Pop an object of class @cls whose address is a multiple of @align, for @size bytes, from the
 * top few of the stack (the objects freed last: an aligned object freed and asked for again is
 * found at once); NULL if none of them is aligned.
 */
void *tcache_pop_aligned(size_t cls, size_t size, size_t align);

/*
 * Push a freed object (no longer live, already cleared, or about to be: kfree_fast) and the
 * address of its live byte; false, and nothing changed, when the stack is full.
 */
static inline bool tcache_push(size_t cls, void *obj, uint8_t *live)
{
	struct tcache *tc = tcache_self;
	struct tcache_entry *top = tc->top[cls];

	if (unlikely(top == tc->end[cls]))
		return false;
	top->obj = obj;
	top->live = live;
	tc->top[cls] = top + 1;
	return true;
}

/*
 * Cache a freed object when the stack is full, flushing the older half (or, for a thread
 * without a cache, give it to its slab); the pages that gave the pool (the caller tells purge:
 * purge.h).
 */
size_t tcache_free_slow(size_t cls, void *obj, uint8_t *live);

/* The free slow path's push; the pages a flush gave the pool. */
static inline size_t tcache_free(size_t cls, void *obj, uint8_t *live)
{
	if (likely(tcache_push(cls, obj, live)))
		return 0;
	return tcache_free_slow(cls, obj, live);
}

/* Give every object this thread caches back to the slabs; the pages given to the pool. */
size_t tcache_flush_all(void);

/* The spare list's lock, for the lock-order table (init.c); @i ignored. */
pthread_mutex_t *tcache_spare_lock(unsigned i);

#endif /* KZ_TCACHE_H */
