/*
 * vmstat.h - event counters for the report (KZMALLOC_STATS), in the kernel's count_vm_event()
 * style: an enum of events, per-thread counts, summed when the report asks.
 *
 * Nothing here runs unless KZMALLOC_STATS is on: the malloc and free fast paths reach the
 * counters only through the pop check's stats bit (harden.h) and the counting clear routines
 * (clear.h), which start-up installs only then; every other caller tests kz_opt.stats first,
 * one load and a branch on a slow path.
 *
 * A thread with a cache counts into the cache's block (struct tcache embeds one; tcache.c hands
 * it over with the cache), which only that thread writes, with relaxed atomic loads and stores
 * (plain moves on x86-64, no lock prefix) so that the report's relaxed reads from another thread
 * are defined. A block never leaves the registry, and a cache of an exited thread keeps its
 * block, counts and all, for the next thread: so the sum over the registry counts every thread
 * that ever ran, with no folding at exit. A thread without a cache (before its first allocation,
 * after its exit destructor, every thread under memcheck) counts into one global block with
 * relaxed atomic adds.
 */
#ifndef KZ_VMSTAT_H
#define KZ_VMSTAT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "size_class.h"

enum vm_event_item {
	VM_MALLOC,	    /* page runs, mappings, zero-size pointers handed out (+ class_alloc) */
	VM_FREE,	    /* page runs, mappings, zero-size pointers given back (+ class_free) */
	VM_REALLOC,	    /* realloc of a live pointer (a move also counts a malloc and a free) */
	VM_BYTES_REQUESTED, /* the sizes the mallocs asked for */
	VM_TCACHE_MISS,	    /* class objects not popped from the thread's stack */
	VM_SLAB_NEW,	    /* slabs carved from pool blocks */
	VM_POOL_GROW,	    /* chunks mapped for the pool */
	VM_ZEROED_FREE, /* bytes the freeing thread cleared of runs, mappings (objects: clear.h) */
	VM_ZEROED_PURGER, /* bytes the purger cleared in the background */
	VM_ZEROED_ALLOC,  /* bytes an allocation cleared: a dirty block, an object (INIT=alloc) */
	VM_HUGE_UNMAPPED, /* bytes of huge mappings given back to the OS (unmapped) */
	NR_VM_EVENTS
};

struct vm_event_state {
	_Atomic unsigned long event[NR_VM_EVENTS];
	_Atomic unsigned long class_alloc[KZ_NR_CLASSES]; /* class objects handed out: mallocs */
	_Atomic unsigned long class_free[KZ_NR_CLASSES];  /* class objects given back: frees */
	struct vm_event_state *next;			  /* the registry: set once */
	atomic_bool registered;
};

/* The calling thread's block (its cache's), or NULL: count into the global one. */
extern KZ_HIDDEN __thread struct vm_event_state *vm_self __attribute__((tls_model("initial-exec")));
extern KZ_HIDDEN struct vm_event_state vm_global;

/* Add @n to counter @c of a block the calling thread alone writes: no atomic add needed. */
static inline void vm_add(_Atomic unsigned long *c, unsigned long n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* A counter's place in a block: VM_FIELD(event[VM_FREE]), VM_FIELD(class_alloc[cls]). */
#define VM_FIELD(counter) offsetof(struct vm_event_state, counter)

/* Add @n to the counter at @offset (VM_FIELD) of the calling thread's block, or the global one. */
static inline void vm_count(size_t offset, unsigned long n)
{
	struct vm_event_state *s = vm_self;

	if (s)
		vm_add((_Atomic unsigned long *) ((char *) s + offset), n);
	else
		atomic_fetch_add_explicit((_Atomic unsigned long *) ((char *) &vm_global + offset),
					  n, memory_order_relaxed);
}

/* Count @n of @item, if the report is on (the slow paths' way). */
static inline void count_vm_events(enum vm_event_item item, unsigned long n)
{
	if (unlikely(kz_opt.stats))
		vm_count(VM_FIELD(event[item]), n);
}

static inline void count_vm_event(enum vm_event_item item)
{
	count_vm_events(item, 1);
}

/*
 * The pages the heap holds for the program, the pool's handed out and the huge mappings', and
 * the most it has held at once: the report's "peak in use". One atomic add (and, on a new peak,
 * a compare-exchange) under the caller's pool or huge lock, if the report is on.
 */
void vmstat_held(ptrdiff_t nr_pages);
size_t vmstat_held_peak(void);

static inline void count_held_pages(ptrdiff_t nr_pages)
{
	if (unlikely(kz_opt.stats))
		vmstat_held(nr_pages);
}

/* The two below for a thread without a block: atomic adds to the global one. */
void vmstat_global_class_alloc(size_t cls, size_t size);
void vmstat_global_class_free(size_t cls);

/*
 * A class object of class @cls handed out for @size bytes, the report on (the pop check's stats
 * bit): the thread's block loaded once, three plain adds.
 */
static inline void vmstat_class_alloc(size_t cls, size_t size)
{
	struct vm_event_state *s = vm_self;

	if (unlikely(!s)) {
		vmstat_global_class_alloc(cls, size);
		return;
	}
	vm_add(&s->class_alloc[cls], 1);
	vm_add(&s->event[VM_BYTES_REQUESTED], size);
}

/*
 * A class object of class @cls freed (the counting clear routines): one add, the bytes its
 * routine clears are the class's (clear_class_bytes), multiplied out by the report.
 */
static inline void vmstat_class_free(size_t cls)
{
	struct vm_event_state *s = vm_self;

	if (unlikely(!s)) {
		vmstat_global_class_free(cls);
		return;
	}
	vm_add(&s->class_free[cls], 1);
}

/* Start-up, with the report on: the global block made known to helgrind as atomics. */
void vmstat_init(void);

/* The calling thread counts into @s from now on (its new cache's block); registers it once. */
void vmstat_thread_start(struct vm_event_state *s);

/* The calling thread has given its cache (and block) up: it counts into the global block. */
void vmstat_thread_exit(void);

/* The sums over every block, for the report. */
struct vm_totals {
	unsigned long event[NR_VM_EVENTS];
	unsigned long class_alloc[KZ_NR_CLASSES]; /* since start-up, a parent's before a fork too */
	unsigned long class_free[KZ_NR_CLASSES];
	unsigned long class_alloc_inherited[KZ_NR_CLASSES]; /* of them, a forked child's parent's */
	unsigned long class_free_inherited[KZ_NR_CLASSES];
};

void vmstat_sum(struct vm_totals *t);

/*
 * In a forked child (one thread, fork_child): the events start again from 0, so that a process
 * tree's reports add up; the class counts carry on, since the child holds the parent's objects,
 * and their values at the fork are kept to tell the child's own mallocs and frees from them.
 */
void vmstat_fork_child(void);

#endif /* KZ_VMSTAT_H */
