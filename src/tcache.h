/*
 * tcache.h - per-thread caches: for each class, a stack of free objects
 * (pointers in an array, never links through the objects), refilled from
 * and flushed to the kmalloc caches in batches, so that most allocations
 * and frees take no lock and touch no shared line.
 */
#ifndef KZ_TCACHE_H
#define KZ_TCACHE_H

#include <pthread.h>
#include <stdbool.h>

#include "slab.h"

/*
 * Per class a stack of cached objects: [base, top) are cached, [top, end)
 * free slots. Three arrays indexed by class rather than an array of bins,
 * so that a class addresses its stack with a scaled index, no shift, on
 * both fast paths.
 */
struct tcache {
	struct tcache_entry *top[KZ_NR_CLASSES];
	struct tcache_entry *base[KZ_NR_CLASSES];
	struct tcache_entry *end[KZ_NR_CLASSES];
	/*
	 * Or-ed with the first word of every object handed out: 0 in the default mode, so that
	 * one test both checks that the freed object still reads zero (a write after free shows
	 * up) and lets the other settings branch off (enum tcache_pop_check).
	 */
	uint64_t pop_check;
	struct tcache *next; /* on the spare list, once its thread has exited */
	struct tcache_entry storage[];
};

enum tcache_pop_check {
	TCACHE_POP_CLEAR = 1,  /* KZMALLOC_INIT=alloc: clear the object */
	TCACHE_POP_FULL = 2,   /* KZMALLOC_CHECK=full: check the whole object, not its first word */
	TCACHE_POP_CANARY = 4, /* KZMALLOC_CHECK=canary: fill the object's canary */
};

/*
 * Every thread has one: before its first allocation, and after its exit
 * destructor, tcache_self is tcache_none, whose stacks are empty and full at
 * once, so the fast paths need no NULL test and fall to the slow ones.
 */
extern KZ_HIDDEN struct tcache tcache_none;
extern KZ_HIDDEN __thread struct tcache *tcache_self __attribute__((tls_model("initial-exec")));

void tcache_init(void);

/*
 * An object of class @cls, live, for a request of @size bytes, when the fast path found the
 * stack empty; NULL + ENOMEM.
 */
void *tcache_alloc_slow(size_t cls, size_t size);

/*
 * The pop check's other branch: clear @obj, check all of it, or report a write after free; then
 * arm the canary for a request of @size bytes.
 */
void *tcache_alloc_check(size_t cls, void *obj, size_t size);

/*
 * Hand @obj out for a request of @size bytes through the pop check @check (a cache's pop_check):
 * one or, one branch.
 */
static inline void *tcache_pop_check(size_t cls, void *obj, uint64_t check, size_t size)
{
	if (unlikely((*(const uint64_t *) obj | check) != 0))
		return tcache_alloc_check(cls, obj, size);
	return obj;
}

/*
 * Cache a freed (no longer live, already cleared) object when the stack is full, flushing the
 * older half; the pages that flush gave the pool (the caller tells purge: purge.h).
 */
size_t tcache_free_slow(size_t cls, void *obj, uint8_t *live);

/*
 * Give every object this thread caches (and, under memcheck, the quarantine) back to the slabs;
 * the pages given to the pool.
 */
size_t tcache_flush_all(void);

/* Objects of class @cls freed but held in the quarantine (memcheck only; else 0). */
size_t tcache_quarantined(unsigned cls);

/* The quarantine's and the spare list's locks, for the lock-order table (init.c); @i ignored. */
pthread_mutex_t *tcache_quarantine_lock(unsigned i);
pthread_mutex_t *tcache_spare_lock(unsigned i);

/*
 * Fast paths: a handful of instructions, no lock, no atomic. An object of class @cls for a request
 * of @size bytes (the class leaves room for the canary, if it is on). The pop reads the object's
 * first word: free cleared it (the whole object by default, the word alone with
 * KZMALLOC_INIT=none), so anything else is a write after free.
 */
static inline void *tcache_alloc(size_t cls, size_t size)
{
	struct tcache *tc = tcache_self;
	struct tcache_entry *top = tc->top[cls];

	if (unlikely(top == tc->base[cls]))
		return tcache_alloc_slow(cls, size);
	tc->top[cls] = --top;
	*top->live = 1;
	return tcache_pop_check(cls, top->obj, tc->pop_check, size);
}

/* The free slow path's push (kfree_fast has its own); the pages a flush gave the pool. */
static inline size_t tcache_free(size_t cls, void *obj, uint8_t *live)
{
	struct tcache *tc = tcache_self;
	struct tcache_entry *top = tc->top[cls];

	if (unlikely(top == tc->end[cls]))
		return tcache_free_slow(cls, obj, live);
	top->obj = obj;
	top->live = live;
	tc->top[cls] = top + 1;
	return 0;
}

#endif /* KZ_TCACHE_H */
