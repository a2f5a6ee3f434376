/*
 * quarantine.c - freed class objects waiting for reuse (quarantine.h): the shared FIFO, and the
 * hardening quarantine's per-thread rings and allocation stacks.
 *
 * Owns the FIFO: ring[(first + i) % max] for i < count (max a power of two), oldest first, from the
 * metadata arena, and each thread's struct qthread. Invariants (quarantine.lock): count <= max;
 * bytes is the sum of the held objects' class sizes, per_class[cls] the number held of class cls; a
 * slot outside the held range is all zero (no stale pointer for the leak checker). Objects taken
 * off the FIFO go to slab_flush after the lock is dropped, so the lock is a leaf.
 *
 * A struct qthread (its thread's alone, no lock): ring[(first + i) % QUARANTINE_THREAD_MAX] for
 * i < count, oldest first, bytes their class sizes; per class the objects to hand out,
 * stack[cls][0, nr[cls]). Every object in a ring, a stack or the FIFO is not live and not free
 * in its slab (slabinfo counts it active, as a thread cache's), and reads as free left it. A
 * thread gets its qthread on its first allocation or free with the check on; a pthread key's
 * destructor moves its ring to the FIFO and its stacks to the slabs when it exits, and puts it on
 * the spare list for the next new thread (under quarantine.lock). From then on the thread's late
 * frees go to the FIFO, its allocations take one slot at a time from the slabs.
 *
 * The rule (DESIGN.md): a batch is taken off a ring (copied out, the ring's counts moved) before
 * it goes to the FIFO, and off the FIFO before it goes to the slabs, so that a nested free
 * anywhere below sees consistent structures.
 */
#include "quarantine.h"

#include <assert.h>
#include <string.h>

#include "fatal.h"
#include "harden.h"
#include "meta.h"
#include "os.h"
#include "purge.h"
#include "vg.h"

struct held {
	struct tcache_entry e;
	unsigned cls;
};

/* The rings are indexed by a mask. */
static_assert(!(QUARANTINE_MAX & (QUARANTINE_MAX - 1)) &&
		      !(QUARANTINE_SHARED_MAX & (QUARANTINE_SHARED_MAX - 1)) &&
		      !(QUARANTINE_THREAD_MAX & (QUARANTINE_THREAD_MAX - 1)),
	      "the bounds on counts are powers of two");

static struct {
	pthread_mutex_t lock;
	struct held *ring;	    /* NULL: objects go back at once */
	bool check;		    /* the hardening quarantine's: objects leaving are checked */
	size_t max, max_bytes;	    /* the bounds: memcheck's or the shared overflow's */
	size_t first, count, bytes; /* the FIFO */
	size_t per_class[KZ_NR_CLASSES];
	struct qthread *spare; /* exited threads' rings, linked through next */
} quarantine = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct qthread {
	struct held ring[QUARANTINE_THREAD_MAX];
	unsigned first, count;
	size_t bytes;
	uint64_t rng; /* which stacked object a pop takes */
	struct qthread *next;
	uint16_t nr[KZ_NR_CLASSES];
	struct tcache_entry *stack[KZ_NR_CLASSES];
	struct tcache_entry storage[];
};

enum qthread_state { QTHREAD_NONE, QTHREAD_LIVE, QTHREAD_DEAD };

static __thread struct qthread *qthread_self __attribute__((tls_model("initial-exec")));
static __thread unsigned char qthread_state __attribute__((tls_model("initial-exec")));

/* A quarter of the class's thread-cache capacity: about 16 KiB of objects, at least one. */
#define STACK_MAX			      ((KZ_TCACHE_MAX_CAP + 3) / 4)
#define KZ_CLASS_STACK_ITEM(size, order, cap) ((cap) + 3) / 4,
static const uint16_t stack_cap[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(KZ_CLASS_STACK_ITEM)};

static size_t qthread_bytes;
static uint64_t qthread_seed;
static pthread_key_t qthread_key;
static pthread_once_t qthread_key_once = PTHREAD_ONCE_INIT;

void quarantine_init(void)
{
	size_t slots = 0;

	if (vg_memcheck) {
		quarantine.max = QUARANTINE_MAX;
		quarantine.max_bytes = QUARANTINE_BYTES;
	} else if (harden_quarantine()) {
		quarantine.max = QUARANTINE_SHARED_MAX;
		quarantine.max_bytes = QUARANTINE_SHARED_BYTES;
		quarantine.check = true;
		for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++)
			slots += stack_cap[cls];
		qthread_bytes = sizeof(struct qthread) + slots * sizeof(struct tcache_entry);
		qthread_seed = os_random_seed();
	} else {
		return;
	}
	quarantine.ring = meta_alloc(quarantine.max * sizeof(struct held), 16);
}

/*
 * Whether the @size bytes at @obj (a multiple of 16) read zero: or-ed a line at a time (vector
 * code), tested after each line.
 */
static bool bytes_zero(const void *obj, size_t size)
{
	const uint64_t *w = obj;
	size_t n = size / sizeof(*w), i = 0;
	uint64_t any = 0;

	for (; i + 8 <= n; i += 8) {
		for (unsigned k = 0; k < 8; k++)
			any |= w[i + k];
		if (any)
			return false;
	}
	for (; i < n; i++)
		any |= w[i];
	return !any;
}

/*
 * Whether the object @obj of class @cls reads as free left it, and if not, stop the process for
 * @func (quarantine_check): all
 * zero with KZMALLOC_INIT=free (its first and last 64 bytes above QUARANTINE_CHECK_WHOLE, unless
 * KZMALLOC_CHECK=full), else zero in its first word.
 */
static bool quarantine_intact(size_t cls, const void *obj)
{
	size_t size = kz_class_size[cls];

	if (!harden_init_on_free())
		return *(const uint64_t *) obj == 0;
	if (size <= QUARANTINE_CHECK_WHOLE || harden_check_full())
		return bytes_zero(obj, size);
	return bytes_zero(obj, 64) && bytes_zero((const char *) obj + size - 64, 64);
}

static void quarantine_check(size_t cls, const void *obj, const char *func)
{
	if (unlikely(!quarantine_intact(cls, obj)))
		kz_fatal(func, "write after free", obj);
}

/* Off the FIFO, oldest first: up to @max objects, all if @all, else the excess. Locked. */
static size_t quarantine_take(struct held *out, size_t max, bool all)
{
	size_t n = 0;

	while (n < max && quarantine.count && (all || quarantine.bytes > quarantine.max_bytes)) {
		struct held *h = &quarantine.ring[quarantine.first];

		out[n++] = *h;
		*h = (struct held){{NULL, NULL}, 0}; /* no stale copy for the leak checker */
		quarantine.first = (quarantine.first + 1) & (quarantine.max - 1);
		quarantine.count--;
		quarantine.bytes -= kz_class_size[out[n - 1].cls];
		quarantine.per_class[out[n - 1].cls]--;
	}
	return n;
}

/* One object onto the FIFO's tail, which has room. Locked. */
static void quarantine_put(const struct held *h)
{
	kz_assert(quarantine.count < quarantine.max);
	quarantine.ring[(quarantine.first + quarantine.count) & (quarantine.max - 1)] = *h;
	quarantine.count++;
	quarantine.bytes += kz_class_size[h->cls];
	quarantine.per_class[h->cls]++;
}

/* By class, so that the objects of one class go back under one lock (a batch is small). */
static void held_sort(struct held *h, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct held x = h[i];
		size_t j = i;

		for (; j > 0 && h[j - 1].cls > x.cls; j--)
			h[j] = h[j - 1];
		h[j] = x;
	}
}

/*
 * The objects taken off the FIFO back to their slabs, checked first with the hardening
 * quarantine; the pages given to the pool.
 */
static size_t quarantine_release(struct held *h, size_t n)
{
	struct tcache_entry batch[2 * QUARANTINE_BATCH];
	size_t nr_pages = 0;

	if (!quarantine.check) {
		for (size_t i = 0; i < n; i++)
			nr_pages += slab_flush(h[i].cls, &h[i].e, 1);
		return nr_pages;
	}
	kz_assert(n <= ARRAY_SIZE(batch));
	for (size_t i = 0; i < n; i++)
		quarantine_check(h[i].cls, h[i].e.obj, "free");
	held_sort(h, n);
	for (size_t i = 0, run; i < n; i += run) {
		for (run = 0; i + run < n && h[i + run].cls == h[i].cls; run++)
			batch[run] = h[i + run].e;
		nr_pages += slab_flush(h[i].cls, batch, run);
	}
	return nr_pages;
}

size_t quarantine_add(unsigned cls, struct tcache_entry e)
{
	struct held old[8];
	size_t n = 0;

	if (!quarantine.ring)
		return slab_flush(cls, &e, 1);
	pthread_mutex_lock(&quarantine.lock);
	if (quarantine.count == quarantine.max)
		n = quarantine_take(old, 1, true);
	quarantine_put(&(struct held){e, cls});
	n += quarantine_take(old + n, ARRAY_SIZE(old) - n, false);
	pthread_mutex_unlock(&quarantine.lock);
	return quarantine_release(old, n);
}

/*
 * The hardening quarantine's way into the FIFO: @n objects (at most QUARANTINE_BATCH) at its
 * tail; all that is beyond its bounds then leaves it, oldest first, a batch at a time, checked,
 * for the slabs. The pages given to the pool. Without storage (the arena refused) the objects
 * go back at once, checked.
 */
static size_t shared_add(const struct held *in, size_t n)
{
	struct held old[2 * QUARANTINE_BATCH];
	size_t k = 0, nr_pages;

	kz_assert(n <= QUARANTINE_BATCH);
	if (!quarantine.ring) {
		memcpy(old, in, n * sizeof(*in));
		return quarantine_release(old, n);
	}
	pthread_mutex_lock(&quarantine.lock);
	for (size_t i = 0; i < n; i++) {
		if (quarantine.count == quarantine.max)
			k += quarantine_take(old + k, 1, true);
		quarantine_put(&in[i]);
	}
	k += quarantine_take(old + k, ARRAY_SIZE(old) - k, false);
	pthread_mutex_unlock(&quarantine.lock);
	nr_pages = quarantine_release(old, k);
	/* A full batch: more may be beyond the bytes bound (large objects pushed out small ones).
	 */
	while (k == ARRAY_SIZE(old)) {
		pthread_mutex_lock(&quarantine.lock);
		k = quarantine_take(old, ARRAY_SIZE(old), false);
		pthread_mutex_unlock(&quarantine.lock);
		nr_pages += quarantine_release(old, k);
	}
	return nr_pages;
}

/* The FIFO emptied, a batch at a time; the pages given to the pool. */
static size_t shared_drain(void)
{
	struct held batch[2 * QUARANTINE_BATCH];
	size_t n, nr_pages = 0;

	if (!quarantine.ring)
		return 0;
	do {
		pthread_mutex_lock(&quarantine.lock);
		n = quarantine_take(batch, ARRAY_SIZE(batch), true);
		pthread_mutex_unlock(&quarantine.lock);
		nr_pages += quarantine_release(batch, n);
	} while (n);
	return nr_pages;
}

static void qthread_destroy(void *arg);

static void qthread_key_create(void)
{
	pthread_key_create(&qthread_key, qthread_destroy);
}

/* A thread's first call with the check on: its qthread, recycled or new; NULL without memory. */
static struct qthread *qthread_create(void)
{
	static _Atomic uint64_t nr_created;
	struct qthread *qt;
	size_t slot = 0;

	qthread_state = QTHREAD_LIVE;
	pthread_mutex_lock(&quarantine.lock);
	qt = quarantine.spare;
	if (qt)
		quarantine.spare = qt->next;
	pthread_mutex_unlock(&quarantine.lock);
	if (!qt)
		qt = meta_alloc(qthread_bytes, KZ_CACHE_LINE);
	if (!qt) {
		qthread_state = QTHREAD_NONE; /* try again later */
		return NULL;
	}
	qt->next = NULL;
	qt->rng = qthread_seed ^ (++nr_created * 0x9e3779b97f4a7c15ull);
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		qt->stack[cls] = &qt->storage[slot];
		slot += stack_cap[cls];
	}
	qthread_self = qt;
	/* May allocate (the key's first use, keys past the first 32): the qthread is in place. */
	pthread_once(&qthread_key_once, qthread_key_create);
	pthread_setspecific(qthread_key, qt);
	return qt;
}

static struct qthread *qthread_get(void)
{
	if (likely(qthread_self))
		return qthread_self;
	return qthread_state == QTHREAD_NONE ? qthread_create() : NULL;
}

/*
 * Off the ring into @out, oldest first: all (@all), or as many as make room for one more object
 * of @size bytes, at least QUARANTINE_BATCH once it is full by count; at most QUARANTINE_BATCH.
 */
static size_t ring_take(struct qthread *qt, struct held *out, size_t size, bool all)
{
	size_t n = 0;

	if (!all && qt->count == QUARANTINE_THREAD_MAX)
		all = true;
	while (n < QUARANTINE_BATCH && qt->count &&
	       (all || qt->bytes + size > QUARANTINE_THREAD_BYTES)) {
		out[n++] = qt->ring[qt->first];
		qt->first = (qt->first + 1) % QUARANTINE_THREAD_MAX;
		qt->count--;
		qt->bytes -= kz_class_size[out[n - 1].cls];
	}
	return n;
}

/* Hold @h at the ring's tail, which has room for it. */
static void ring_put(struct qthread *qt, const struct held *h)
{
	kz_assert(qt->count < QUARANTINE_THREAD_MAX);
	qt->ring[(qt->first + qt->count) % QUARANTINE_THREAD_MAX] = *h;
	qt->count++;
	qt->bytes += kz_class_size[h->cls];
}

/* A full ring (by count or bytes): its oldest to the FIFO, for an object of @size bytes. */
__attribute__((noinline)) static size_t ring_make_room(struct qthread *qt, size_t size)
{
	struct held out[QUARANTINE_BATCH];
	size_t n, nr_pages = 0;

	while ((n = ring_take(qt, out, size, false)) != 0)
		nr_pages += shared_add(out, n);
	return nr_pages;
}

size_t quarantine_free(unsigned cls, struct tcache_entry e)
{
	struct qthread *qt = qthread_get();
	struct held h = {e, cls};
	size_t size = kz_class_size[cls], nr_pages = 0;

	/* With KZMALLOC_INIT=alloc free clears nothing: the word the checks read, at least. */
	if (harden_init_on_alloc())
		*(uint64_t *) e.obj = 0;
	if (unlikely(!qt))
		return shared_add(&h, 1);
	if (unlikely(qt->count == QUARANTINE_THREAD_MAX ||
		     qt->bytes + size > QUARANTINE_THREAD_BYTES))
		nr_pages = ring_make_room(qt, size);
	ring_put(qt, &h);
	return nr_pages;
}

void *quarantine_reuse(size_t cls, struct tcache_entry e, size_t size)
{
	quarantine_check(cls, e.obj, "malloc");
	*e.live = 1;
	/* The check above is the whole one KZMALLOC_CHECK=full asks for. */
	return harden_pop(cls, e.obj, harden_pop_check & ~(uint64_t) HARDEN_POP_FULL, size);
}

/* One of the thread's stacked objects of class @cls, taken from a random place. */
static struct tcache_entry stack_pop_random(struct qthread *qt, size_t cls)
{
	struct tcache_entry *stack = qt->stack[cls], e;
	uint32_t i = kz_random_below(&qt->rng, qt->nr[cls]);

	e = stack[i];
	stack[i] = stack[--qt->nr[cls]];
	return e;
}

void *quarantine_alloc(size_t cls, size_t size)
{
	struct qthread *qt = qthread_get();
	struct tcache_entry e;

	if (!qt) {
		if (!slab_refill((unsigned) cls, &e, 1))
			return NULL;
		return quarantine_reuse(cls, e, size);
	}
	if (!qt->nr[cls]) {
		qt->nr[cls] =
			(uint16_t) slab_refill((unsigned) cls, qt->stack[cls], stack_cap[cls]);
		if (!qt->nr[cls])
			return NULL;
	}
	return quarantine_reuse(cls, stack_pop_random(qt, cls), size);
}

/* The thread's stacks back to the slabs, each taken off first; the pages given to the pool. */
static size_t stacks_flush(struct qthread *qt)
{
	struct tcache_entry batch[STACK_MAX];
	size_t nr_pages = 0;

	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		size_t n = qt->nr[cls];

		if (!n)
			continue;
		memcpy(batch, qt->stack[cls], n * sizeof(*batch));
		qt->nr[cls] = 0;
		nr_pages += slab_flush(cls, batch, n);
	}
	return nr_pages;
}

/* The thread's ring to the FIFO (@to_shared, at its exit) or out of the quarantine, checked. */
static size_t ring_flush(struct qthread *qt, bool to_shared)
{
	struct held out[QUARANTINE_BATCH];
	size_t n, nr_pages = 0;

	while ((n = ring_take(qt, out, 0, true)) != 0)
		nr_pages += to_shared ? shared_add(out, n) : quarantine_release(out, n);
	return nr_pages;
}

/* Thread exit: the ring to the FIFO, the stacks to the slabs, the qthread onto the spare list. */
static void qthread_destroy(void *arg)
{
	struct qthread *qt = arg;
	size_t nr_pages = ring_flush(qt, true) + stacks_flush(qt);

	qthread_self = NULL;
	qthread_state = QTHREAD_DEAD;
	pthread_mutex_lock(&quarantine.lock);
	qt->next = quarantine.spare;
	quarantine.spare = qt;
	pthread_mutex_unlock(&quarantine.lock);
	purge_notify(nr_pages);
}

size_t quarantine_trim(void)
{
	struct qthread *qt = qthread_self;
	size_t nr_pages = 0;

	if (!quarantine.check)
		return 0;
	if (qt)
		nr_pages = ring_flush(qt, false) + stacks_flush(qt);
	return nr_pages + shared_drain();
}

size_t quarantine_drain(void)
{
	return quarantine.check ? quarantine_trim() : shared_drain();
}

void quarantine_exit(void)
{
	struct qthread *qt = qthread_self;
	const struct held *h;
	const void *bad = NULL;

	if (!quarantine.check)
		return;
	for (unsigned i = 0; qt && i < qt->count; i++) {
		h = &qt->ring[(qt->first + i) % QUARANTINE_THREAD_MAX];
		quarantine_check(h->cls, h->e.obj, "exit");
	}
	/* Checked under the lock, as no other thread can then give an object back; reported after.
	 */
	pthread_mutex_lock(&quarantine.lock);
	for (size_t i = 0; !bad && i < quarantine.count; i++) {
		h = &quarantine.ring[(quarantine.first + i) & (quarantine.max - 1)];
		if (!quarantine_intact(h->cls, h->e.obj))
			bad = h->e.obj;
	}
	pthread_mutex_unlock(&quarantine.lock);
	if (bad)
		kz_fatal("exit", "write after free", bad);
}

size_t quarantine_held(unsigned cls)
{
	size_t n;

	if (!quarantine.ring)
		return 0;
	pthread_mutex_lock(&quarantine.lock);
	n = quarantine.per_class[cls];
	pthread_mutex_unlock(&quarantine.lock);
	return n;
}

pthread_mutex_t *quarantine_lock(unsigned i)
{
	(void) i;
	return &quarantine.lock;
}
