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
 * Refill takes half a bin's capacity; a full bin flushes its older half,
 * keeping the objects freed last (the warm ones) for reuse.
 *
 * The rule (DESIGN.md): nothing that may allocate runs while a stack is
 * half changed. A flush takes its entries off the stack (copies them out
 * and moves top) before it hands them to the slabs, so an allocation or a
 * free nested anywhere below (a hook, a signal handler's, a thread start)
 * sees a consistent stack, and can never pop an entry that is on its way
 * to a slab. What a flush gives the pool is returned up to the free path,
 * which tells purge when everything is done; the allocation slow path is
 * where the purger thread is started (purge.h).
 *
 * Under memcheck (vg.h) no thread has a cache: every allocation and free
 * comes here, where they are described to memcheck, and a freed object
 * waits in the quarantine, a FIFO of the objects freed last (at most
 * QUARANTINE_MAX of them, QUARANTINE_BYTES in all), before its slot goes
 * back to the slab, so that a use after free is caught even after later
 * allocations of its class (memcheck's own --freelist-vol, for kzmalloc).
 *
 * A cache is its thread's alone. quarantine.lock guards the quarantine; it
 * is a leaf (objects leave it for the slabs after it is dropped), first in
 * fork's order. spare.lock guards the spare list, a leaf too, held for a
 * push or a pop only. tcache_key is created at start-up (kz_init), before any
 * thread has a cache.
 */
#include "tcache.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "buddy.h"
#include "canary.h"
#include "fatal.h"
#include "init.h"
#include "meta.h"
#include "options.h"
#include "purge.h"
#include "vg.h"

#define KZ_CLASS_CAP_ITEM(size, order, cap) (cap),
static const uint16_t class_cap[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(KZ_CLASS_CAP_ITEM)};

/* A flush's entries, off the stack: the older half of the largest stack (size_class.h). */
#define FLUSH_BATCH (KZ_TCACHE_MAX_CAP / 2)

enum tcache_state { TCACHE_NONE, TCACHE_LIVE, TCACHE_DEAD };

struct tcache tcache_none; /* all stacks NULL: empty and full at once */
__thread struct tcache *tcache_self __attribute__((tls_model("initial-exec"))) = &tcache_none;
static __thread unsigned char tcache_state __attribute__((tls_model("initial-exec")));

static pthread_key_t tcache_key;
static size_t tcache_bytes;

/* Caches of exited threads, linked through their next field, for the next new threads. */
static struct {
	pthread_mutex_t lock;
	struct tcache *list;
} spare = {.lock = PTHREAD_MUTEX_INITIALIZER};

#define QUARANTINE_MAX	 8192
#define QUARANTINE_BYTES ((size_t) 16 << 20)

struct held {
	struct tcache_entry e;
	unsigned cls;
};

/* Under memcheck only: ring[(first + i) % QUARANTINE_MAX], i < count, oldest first. */
static struct {
	pthread_mutex_t lock;
	struct held *ring; /* from the metadata arena; NULL: objects go back at once */
	size_t first, count, bytes;
	size_t per_class[KZ_NR_CLASSES];
} quarantine = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void tcache_destroy(void *arg);

/* The pop check every cache starts with, from the settings. */
static uint64_t pop_check_setting(void)
{
	uint64_t check = kz_canary_room ? TCACHE_POP_CANARY : 0;

	if (kz_opt.init == KZ_INIT_ALLOC)
		return check | TCACHE_POP_CLEAR;
	/* Only objects cleared at free can be checked whole. */
	if (kz_opt.init == KZ_INIT_FREE && (kz_opt.check & KZ_CHECK_FULL))
		check |= TCACHE_POP_FULL;
	return check;
}

void tcache_init(void)
{
	size_t slots = 0;

	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++)
		slots += class_cap[cls];
	tcache_bytes = sizeof(struct tcache) + slots * sizeof(struct tcache_entry);
	tcache_none.pop_check = pop_check_setting();
	pthread_key_create(&tcache_key, tcache_destroy);
	if (vg_memcheck)
		quarantine.ring = meta_alloc(QUARANTINE_MAX * sizeof(struct held), 16);
}

/* Off the quarantine, oldest first: up to @max objects, all if @all, else the excess. Locked. */
static size_t quarantine_take(struct held *out, size_t max, bool all)
{
	size_t n = 0;

	while (n < max && quarantine.count && (all || quarantine.bytes > QUARANTINE_BYTES)) {
		struct held *h = &quarantine.ring[quarantine.first];

		out[n++] = *h;
		*h = (struct held){{NULL, NULL}, 0}; /* no stale copy for the leak checker */
		quarantine.first = (quarantine.first + 1) % QUARANTINE_MAX;
		quarantine.count--;
		quarantine.bytes -= kz_class_size[out[n - 1].cls];
		quarantine.per_class[out[n - 1].cls]--;
	}
	return n;
}

/* The objects taken off the quarantine back to their slabs; the pages given to the pool. */
static size_t quarantine_release(const struct held *h, size_t n)
{
	size_t nr_pages = 0;

	for (size_t i = 0; i < n; i++)
		nr_pages += slab_flush(h[i].cls, &h[i].e, 1);
	return nr_pages;
}

/* A freed object (memcheck already told) waits; the oldest go back to their slabs. */
static size_t quarantine_add(size_t cls, struct tcache_entry e)
{
	struct held old[8];
	size_t n = 0;

	if (!quarantine.ring)
		return slab_flush(cls, &e, 1);
	pthread_mutex_lock(&quarantine.lock);
	if (quarantine.count == QUARANTINE_MAX)
		n = quarantine_take(old, 1, true);
	quarantine.ring[(quarantine.first + quarantine.count) % QUARANTINE_MAX] =
		(struct held){e, (unsigned) cls};
	quarantine.count++;
	quarantine.bytes += kz_class_size[cls];
	quarantine.per_class[cls]++;
	n += quarantine_take(old + n, ARRAY_SIZE(old) - n, false);
	pthread_mutex_unlock(&quarantine.lock);
	return quarantine_release(old, n);
}

static size_t quarantine_drain(void)
{
	struct held batch[64];
	size_t n, nr_pages = 0;

	do {
		pthread_mutex_lock(&quarantine.lock);
		n = quarantine_take(batch, ARRAY_SIZE(batch), true);
		pthread_mutex_unlock(&quarantine.lock);
		nr_pages += quarantine_release(batch, n);
	} while (n);
	return nr_pages;
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
	/* May allocate (keys past the first 32): the cache is in place by now. */
	pthread_setspecific(tcache_key, tc);
	return tc;
}

static size_t stack_count(const struct tcache *tc, size_t cls)
{
	return (size_t) (tc->top[cls] - tc->base[cls]);
}

static bool object_is_zero(const void *obj, size_t size)
{
	const uint64_t *w = obj;

	for (size_t i = 0; i < size / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

void *tcache_alloc_check(size_t cls, void *obj, size_t size)
{
	uint64_t check = tcache_none.pop_check; /* every cache's */
	size_t room = kz_class_size[cls];

	if (check & TCACHE_POP_CLEAR)
		memset(obj, 0, room);
	else if (!object_is_zero(obj, check & TCACHE_POP_FULL ? room : sizeof(uint64_t)))
		kz_fatal("malloc", "write after free", obj);
	if (check & TCACHE_POP_CANARY)
		canary_arm(obj, room, size);
	return obj;
}

/*
 * Under memcheck: the object becomes a block, defined for the pop check, and
 * undefined again after it unless kzmalloc promises it zero (with
 * KZMALLOC_INIT=none only its first word is, for kzmalloc's own check).
 */
static void *memcheck_hand_out(size_t cls, struct tcache_entry e, size_t size)
{
	size_t room = kz_class_size[cls];
	void *obj = e.obj;

	vg_alloc(obj, room, true);
	*e.live = 1;
	obj = tcache_pop_check(cls, obj, tcache_none.pop_check, size);
	if (kz_opt.init == KZ_INIT_NONE)
		vg_undefined(obj, room);
	return obj;
}

void *tcache_alloc_slow(size_t cls, size_t size)
{
	struct tcache *tc = tcache_self;
	struct tcache_entry e;
	size_t cap;

	kz_init();
	purge_start_wanted();
	/*
	 * The very first malloc up to 1 KiB chose its class by the table before start-up shifted it
	 * for the canary (above, the room is counted from the start: canary.h).
	 */
	if (unlikely(kz_class_size[cls] < size + kz_canary_room)) {
		kz_assert(size + kz_canary_room <= KZ_SMALL_MAX);
		cls = size_to_class(size + kz_canary_room);
	}
	if (tc == &tcache_none && tcache_state == TCACHE_NONE && !vg_memcheck)
		tc = tcache_create();
	if (!tc || tc == &tcache_none) {
		if (!slab_refill(cls, &e, 1))
			return NULL;
		if (vg_memcheck)
			return memcheck_hand_out(cls, e, size);
	} else {
		cap = (size_t) (tc->end[cls] - tc->base[cls]);
		tc->top[cls] =
			tc->base[cls] + slab_refill(cls, tc->base[cls], cap > 1 ? cap / 2 : 1);
		if (tc->top[cls] == tc->base[cls])
			return NULL;
		e = *--tc->top[cls];
	}
	*e.live = 1;
	return tcache_pop_check(cls, e.obj, tcache_none.pop_check, size);
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

	if (tc != &tcache_none) {
		nr_pages = slab_flush(cls, batch, stack_take_older_half(tc, cls, e, batch));
	} else if (vg_memcheck) {
		vg_free(obj);
		nr_pages = quarantine_add(cls, e);
	} else {
		nr_pages = slab_flush(cls, &e, 1);
	}
	errno = saved_errno; /* free keeps errno */
	return nr_pages;
}

size_t tcache_flush_all(void)
{
	struct tcache_entry batch[FLUSH_BATCH];
	struct tcache *tc = tcache_self;
	size_t nr_pages = 0;

	if (vg_memcheck)
		nr_pages += quarantine_drain();
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
	pthread_mutex_lock(&spare.lock);
	tc->next = spare.list;
	spare.list = tc;
	pthread_mutex_unlock(&spare.lock);
	purge_notify(nr_pages);
}

size_t tcache_quarantined(unsigned cls)
{
	size_t n;

	if (!vg_memcheck)
		return 0;
	pthread_mutex_lock(&quarantine.lock);
	n = quarantine.per_class[cls];
	pthread_mutex_unlock(&quarantine.lock);
	return n;
}

pthread_mutex_t *tcache_quarantine_lock(unsigned i)
{
	(void) i;
	return &quarantine.lock;
}

pthread_mutex_t *tcache_spare_lock(unsigned i)
{
	(void) i;
	return &spare.lock;
}
