/*
 * tcache.c - creating, refilling, flushing and destroying thread caches.
 *
 * A thread gets its cache on its first allocation: one block of the
 * metadata arena holding the stacks and their slots, out of band like every
 * descriptor (an overflow from an object cannot reach it). A pthread key's
 * destructor flushes it when the thread exits and puts it on the spare
 * list, where the next new thread finds it, so the arena holds at most as
 * many caches as there were threads at once. From then on the exited
 * thread's late allocations (other destructors) go straight to the slabs.
 *
 * Refill takes half a stack's capacity; a full stack flushes its older half,
 * keeping the objects freed last (the warm ones) for reuse.
 *
 * The rule (DESIGN.md): nothing that may allocate runs while a stack is
 * half changed. A flush takes its entries off the stack (copies them out
 * and moves top) before it hands them to the slabs, so an allocation or a
 * free nested anywhere below (a hook, a signal handler's, a thread start)
 * sees a consistent stack, and can never pop an entry that is on its way
 * to a slab. What a flush gives the pool is returned up to the free path,
 * which tells purge when everything is done.
 *
 * Under memcheck no thread has a cache: the API's memcheck route (kmalloc.c)
 * never comes here, and the stacks of tcache_none stay empty and full. With
 * KZMALLOC_CHECK=quarantine none has one either: a LIFO stack is what hands a
 * freed object straight back, and the quarantine (quarantine.h) keeps its own
 * per-thread ring and stacks instead, reached from the same slow paths.
 *
 * With the report on, a cache carries the counters of the threads that had it (vmstat.h): they go
 * with it onto the spare list and on to the next thread, and stay registered for the report.
 *
 * A cache is its thread's alone. spare.lock guards the spare list, a leaf,
 * held for a push or a pop only (init.c's lock order). tcache_key, tcache_bytes and
 * tcache_none's pop check are set at start-up (tcache_init), before any thread has a cache,
 * and sealed with it (KZ_RO_AFTER_INIT): tcache_none, whose stacks are empty and full, is never
 * written afterwards.
 */
#include "tcache.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "fatal.h"
#include "meta.h"
#include "purge.h"

#define KZ_CLASS_CAP_ITEM(size, order, cap) (cap),
static const uint16_t class_cap[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(KZ_CLASS_CAP_ITEM)};

/* A flush's entries, off the stack: the older half of the largest stack (size_class.h). */
#define FLUSH_BATCH (KZ_TCACHE_MAX_CAP / 2)

enum tcache_state { TCACHE_NONE, TCACHE_LIVE, TCACHE_DEAD };

KZ_RO_AFTER_INIT struct tcache tcache_none; /* all stacks NULL: empty and full at once */
__thread struct tcache *tcache_self __attribute__((tls_model("initial-exec"))) = &tcache_none;
static __thread unsigned char tcache_state __attribute__((tls_model("initial-exec")));

KZ_RO_AFTER_INIT static pthread_key_t tcache_key;
KZ_RO_AFTER_INIT static size_t tcache_bytes;

/* Caches of exited threads, linked through their next field, for the next new threads. */
static struct {
	pthread_mutex_t lock;
	struct tcache *list;
} spare = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void tcache_destroy(void *arg);

void tcache_init(void)
{
	size_t slots = 0;

	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++)
		slots += class_cap[cls];
	tcache_bytes = sizeof(struct tcache) + slots * sizeof(struct tcache_entry);
	tcache_none.pop_check = harden_pop_check;
	pthread_key_create(&tcache_key, tcache_destroy);
}

static struct tcache *tcache_create(void)
{
	struct tcache *tc;
	size_t slot = 0;

	tcache_state = TCACHE_LIVE;
	pthread_mutex_lock(&spare.lock);
	tc = spare.list;
	if (tc)
		spare.list = tc->next;
	pthread_mutex_unlock(&spare.lock);
	if (!tc)
		tc = meta_alloc(tcache_bytes, KZ_CACHE_LINE);
	if (!tc) {
		tcache_state = TCACHE_NONE; /* try again later */
		return NULL;
	}
	tc->next = NULL;
	tc->pop_check = tcache_none.pop_check;
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		tc->base[cls] = tc->top[cls] = &tc->storage[slot];
		tc->end[cls] = tc->base[cls] + class_cap[cls];
		slot += class_cap[cls];
	}
	tcache_self = tc;
	if (kz_opt.stats)
		vmstat_thread_start(&tc->events);
	/* May allocate (keys past the first 32): the cache is in place by now. */
	pthread_setspecific(tcache_key, tc);
	return tc;
}

static size_t stack_count(const struct tcache *tc, size_t cls)
{
	return (size_t) (tc->top[cls] - tc->base[cls]);
}

void *tcache_refill(size_t cls, size_t size)
{
	struct tcache *tc = tcache_self;
	struct tcache_entry e;
	size_t cap;

	count_vm_event(VM_TCACHE_MISS);
	if (tc == &tcache_none && tcache_state == TCACHE_NONE)
		tc = tcache_create();
	if (!tc || tc == &tcache_none) {
		if (!slab_refill(cls, &e, 1))
			return NULL;
	} else {
		cap = (size_t) (tc->end[cls] - tc->base[cls]);
		tc->top[cls] =
			tc->base[cls] + slab_refill(cls, tc->base[cls], cap > 1 ? cap / 2 : 1);
		if (tc->top[cls] == tc->base[cls])
			return NULL;
		e = *--tc->top[cls];
	}
	*e.live = 1;
	return harden_pop(cls, e.obj, tcache_none.pop_check, size);
}

/* How deep tcache_pop_aligned looks into a stack. */
#define ALIGNED_DEPTH 4

void *tcache_pop_aligned(size_t cls, size_t size, size_t align)
{
	struct tcache *tc = tcache_self;
	size_t n = stack_count(tc, cls); /* 0 for tcache_none, whose stacks are NULL */
	struct tcache_entry *top = tc->top[cls], e;

	for (size_t d = 0; d < ALIGNED_DEPTH && d < n; d++) {
		struct tcache_entry *found = top - d - 1;

		if (!IS_ALIGNED(found->obj, align))
			continue;
		/* Out from under the entries above it: the topmost takes its place. */
		e = *found;
		*found = top[-1];
		tc->top[cls] = top - 1;
		*e.live = 1;
		return harden_pop(cls, e.obj, tc->pop_check, size);
	}
	return NULL;
}

/*
 * A full stack: its older half comes off (out into @batch, the rest moved down, @e pushed) before
 * any of it goes to the slabs.
 */
static size_t stack_take_older_half(struct tcache *tc, size_t cls, struct tcache_entry e,
				    struct tcache_entry *batch)
{
	size_t n = stack_count(tc, cls), keep = n / 2;

	kz_assert(n - keep <= FLUSH_BATCH);
	memcpy(batch, tc->base[cls], (n - keep) * sizeof(*batch));
	memmove(tc->base[cls], tc->base[cls] + (n - keep), keep * sizeof(*batch));
	tc->top[cls] = tc->base[cls] + keep;
	*tc->top[cls]++ = e;
	return n - keep;
}

size_t tcache_free_slow(size_t cls, void *obj, uint8_t *live)
{
	struct tcache_entry e = {obj, live}, batch[FLUSH_BATCH];
	struct tcache *tc = tcache_self;
	int saved_errno = errno;
	size_t nr_pages;

	if (tc != &tcache_none)
		nr_pages = slab_flush(cls, batch, stack_take_older_half(tc, cls, e, batch));
	else
		nr_pages = slab_flush(cls, &e, 1);
	errno = saved_errno; /* free keeps errno */
	return nr_pages;
}

size_t tcache_flush_all(void)
{
	struct tcache_entry batch[FLUSH_BATCH];
	struct tcache *tc = tcache_self;
	size_t nr_pages = 0;

	if (tc == &tcache_none)
		return nr_pages;
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		size_t n;

		/* A batch off the top at a time; a free nested in the flush is flushed too. */
		while ((n = stack_count(tc, cls)) != 0) {
			if (n > FLUSH_BATCH)
				n = FLUSH_BATCH;
			tc->top[cls] -= n;
			memcpy(batch, tc->top[cls], n * sizeof(*batch));
			nr_pages += slab_flush(cls, batch, n);
		}
	}
	return nr_pages;
}

/* Thread exit: everything back to the slabs, the cache onto the spare list. */
static void tcache_destroy(void *arg)
{
	struct tcache *tc = arg;
	size_t nr_pages = tcache_flush_all();

	tcache_self = &tcache_none;
	tcache_state = TCACHE_DEAD;
	vmstat_thread_exit(); /* before the cache and its counters can be another thread's */
	pthread_mutex_lock(&spare.lock);
	tc->next = spare.list;
	spare.list = tc;
	pthread_mutex_unlock(&spare.lock);
	purge_notify(nr_pages);
}

pthread_mutex_t *tcache_spare_lock(unsigned i)
{
	(void) i;
	return &spare.lock;
}
