/*
 * vmstat.c - the registry of counter blocks and their sums (vmstat.h).
 *
 * Owns vm_self, vm_global and the registry: a list of every block a thread cache ever counted
 * into, pushed onto with a compare-and-swap and never shortened, so that neither a thread's start
 * nor the report takes a lock (and fork has none to hold: a child sees a push done or not done).
 * Invariants: a registered block is written by at most one thread at a time, the one whose cache
 * embeds it (handed over through the spare list's lock, tcache.c); vm_global by any, with atomic
 * adds. Every read from another thread is a relaxed atomic load: a report taken while threads run
 * is a snapshot of each counter, not of all of them at one instant.
 */
#include "vmstat.h"

#include <string.h>

#include "vg.h"

__thread struct vm_event_state *vm_self __attribute__((tls_model("initial-exec")));
struct vm_event_state vm_global;
static _Atomic(struct vm_event_state *) vm_blocks;
static unsigned long class_alloc_inherited[KZ_NR_CLASSES]; /* the class counts at the fork */
static unsigned long class_free_inherited[KZ_NR_CLASSES];

static atomic_size_t held_pages, held_peak;

void vmstat_held(ptrdiff_t nr_pages)
{
	size_t now =
		atomic_fetch_add_explicit(&held_pages, (size_t) nr_pages, memory_order_relaxed) +
		(size_t) nr_pages;
	size_t peak = atomic_load_explicit(&held_peak, memory_order_relaxed);

	while (nr_pages > 0 && now > peak &&
	       !atomic_compare_exchange_weak_explicit(&held_peak, &peak, now, memory_order_relaxed,
						      memory_order_relaxed))
		;
}

size_t vmstat_held_peak(void)
{
	return atomic_load_explicit(&held_peak, memory_order_relaxed);
}

void vmstat_global_class_alloc(size_t cls, size_t size)
{
	vm_count(VM_FIELD(class_alloc[cls]), 1);
	vm_count(VM_FIELD(event[VM_BYTES_REQUESTED]), size);
}

void vmstat_global_class_free(size_t cls)
{
	vm_count(VM_FIELD(class_free[cls]), 1);
}

void vmstat_init(void)
{
	vg_atomics(&vm_global, sizeof(vm_global));
}

void vmstat_thread_start(struct vm_event_state *s)
{
	if (!atomic_load_explicit(&s->registered, memory_order_relaxed)) {
		struct vm_event_state *head =
			atomic_load_explicit(&vm_blocks, memory_order_relaxed);

		atomic_store_explicit(&s->registered, true, memory_order_relaxed);
		vg_atomics(s, sizeof(*s)); /* read by the report without a lock */
		do
			s->next = head;
		while (!atomic_compare_exchange_weak_explicit(
			&vm_blocks, &head, s, memory_order_release, memory_order_relaxed));
	}
	vm_self = s;
}

void vmstat_thread_exit(void)
{
	vm_self = NULL;
}

static void sum_block(struct vm_totals *t, struct vm_event_state *s)
{
	for (unsigned i = 0; i < NR_VM_EVENTS; i++)
		t->event[i] += atomic_load_explicit(&s->event[i], memory_order_relaxed);
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		t->class_alloc[cls] +=
			atomic_load_explicit(&s->class_alloc[cls], memory_order_relaxed);
		t->class_free[cls] +=
			atomic_load_explicit(&s->class_free[cls], memory_order_relaxed);
	}
}

void vmstat_sum(struct vm_totals *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->class_alloc_inherited, class_alloc_inherited, sizeof(class_alloc_inherited));
	memcpy(t->class_free_inherited, class_free_inherited, sizeof(class_free_inherited));
	sum_block(t, &vm_global);
	for (struct vm_event_state *s = atomic_load_explicit(&vm_blocks, memory_order_acquire); s;
	     s = s->next)
		sum_block(t, s);
}

static void reset_events(struct vm_event_state *s)
{
	for (unsigned i = 0; i < NR_VM_EVENTS; i++)
		atomic_store_explicit(&s->event[i], 0, memory_order_relaxed);
}

void vmstat_fork_child(void)
{
	struct vm_totals t;

	vmstat_sum(&t);
	memcpy(class_alloc_inherited, t.class_alloc, sizeof(class_alloc_inherited));
	memcpy(class_free_inherited, t.class_free, sizeof(class_free_inherited));
	reset_events(&vm_global);
	for (struct vm_event_state *s = atomic_load_explicit(&vm_blocks, memory_order_acquire); s;
	     s = s->next)
		reset_events(s);
}
