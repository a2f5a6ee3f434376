/*
 * test_stress16.c - sixteen threads, every operation of the malloc family
 * at random, for a fixed time (3 s; `test_stress16 SECONDS` sets it):
 * malloc, calloc, realloc, reallocarray, aligned_alloc, memalign,
 * posix_memalign, valloc, pvalloc, malloc_usable_size, free, free_sized,
 * free_aligned_sized, and frees of objects another thread allocated
 * (through a mailbox per thread). Sizes are mostly small, some large, a
 * few huge.
 *
 * Every object is checked when it is made (aligned, zero, usable size at
 * least what was asked) and carries a pattern naming it, checked whenever
 * it is resized, measured or freed, by whichever thread does it. At the
 * end everything is freed and the heap trimmed: no object may remain in
 * use (mallinfo2), no slab, large or huge block in the pool, and the
 * pool's invariants must hold. The seed is printed; KZ_TEST_SEED replays
 * the choices (not the interleaving).
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>

#include <cmocka.h>

#include "buddy.h"
#include "kzfault.h"

enum { THREADS = 16, LIVE = 128, MAILBOX = 64 };

enum op {
	OP_MALLOC,
	OP_CALLOC,
	OP_REALLOC,
	OP_REALLOCARRAY,
	OP_ALIGNED_ALLOC,
	OP_MEMALIGN,
	OP_POSIX_MEMALIGN,
	OP_VALLOC,
	OP_PVALLOC,
	OP_USABLE_SIZE,
	OP_FREE,
	OP_FREE_SIZED,
	OP_FREE_ALIGNED_SIZED,
	OP_HAND_OVER,
	OP_REMOTE_FREE,
	NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"malloc",
	"calloc",
	"realloc",
	"reallocarray",
	"aligned_alloc",
	"memalign",
	"posix_memalign",
	"valloc",
	"pvalloc",
	"malloc_usable_size",
	"free",
	"free_sized",
	"free_aligned_sized",
	"handed over",
	"remote free",
};

static unsigned seconds = 3;
static atomic_bool stop;

struct mailbox {
	pthread_mutex_t lock;
	struct fx_obj obj[MAILBOX];
	size_t n;
};

struct worker {
	pthread_t thread;
	unsigned index;
	uint64_t seed;
	struct mailbox *inbox, *outbox;
	struct fx_obj live[LIVE];
	unsigned long ops[NR_OPS];
	uint64_t next_id;
	char error[256];
};

static struct mailbox boxes[THREADS];
static struct worker workers[THREADS];

static bool worker_fail(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->error[0]) {
		va_start(ap, fmt);
		vsnprintf(w->error, sizeof(w->error), fmt, ap);
		va_end(ap);
	}
	return false;
}

/* Mostly small objects, some large ones up to 1 MiB, one in five hundred huge. */
static size_t random_size(uint64_t *rng)
{
	uint64_t r = kzt_rand(rng);
	unsigned pick = (unsigned) (r % 1000);

	r >>= 10;
	if (pick < 800)
		return r % 1025;
	if (pick < 960)
		return 1025 + r % (64 * FX_KIB);
	if (pick < 998)
		return 128 * FX_KIB + 1 + r % (1 * FX_MIB);
	return 4 * FX_MIB + 1 + r % (4 * FX_MIB);
}

/* A power of two from 16 up to 64 KiB, rarely up to 8 MiB. */
static size_t random_align(uint64_t *rng)
{
	uint64_t r = kzt_rand(rng);

	return (size_t) 16 << (r % 64 == 0 ? 4 + (r >> 8) % 16 : (r >> 8) % 13);
}

/* A new object in slot @o: every promise of a fresh allocation checked, then a pattern. */
static bool take(struct worker *w, struct fx_obj *o, enum op op, void *p, size_t size, size_t align)
{
	if (!p)
		return worker_fail(w, "%s(%zu) returned NULL", op_names[op], size);
	if ((uintptr_t) p % align)
		return worker_fail(w, "%s(%zu): %p not aligned to %zu", op_names[op], size, p,
				   align);
	if (kz_malloc_usable_size(p) < size)
		return worker_fail(w, "%s(%zu): usable size %zu", op_names[op], size,
				   kz_malloc_usable_size(p));
	if (!fx_zero(p, size))
		return worker_fail(w, "%s(%zu): fresh memory not zero", op_names[op], size);
	*o = (struct fx_obj){p,
			     size,
			     align,
			     0,
			     align > 16 ? FX_ALIGNED : FX_MALLOC,
			     ((uint64_t) w->index << 56) | (++w->next_id << 24)};
	fx_fill(o);
	return true;
}

static bool alloc_op(struct worker *w, struct fx_obj *o, enum op op, uint64_t *rng)
{
	size_t size = random_size(rng), align = random_align(rng);
	void *p = NULL;

	switch (op) {
	case OP_CALLOC:
		p = kz_calloc(fx_opaque(size / 8 + 1), 8);
		size = size / 8 * 8 + 8;
		align = 16;
		break;
	case OP_ALIGNED_ALLOC:
		p = kz_aligned_alloc(align, fx_opaque(size));
		break;
	case OP_MEMALIGN:
		p = kz_memalign(align, fx_opaque(size));
		break;
	case OP_POSIX_MEMALIGN:
		if (kz_posix_memalign(&p, align, fx_opaque(size)) != 0)
			p = NULL;
		break;
	case OP_VALLOC:
		p = kz_valloc(fx_opaque(size));
		align = KZ_PAGE_SIZE;
		break;
	case OP_PVALLOC:
		p = kz_pvalloc(fx_opaque(size));
		size = fx_pvalloc_size(size);
		align = KZ_PAGE_SIZE;
		break;
	default:
		p = kz_malloc(fx_opaque(size));
		align = 16;
		break;
	}
	w->ops[op]++;
	return take(w, o, op, p, size, align);
}

/* Check an object's pattern and free it the way @op says (any thread may). */
static bool release(struct worker *w, struct fx_obj *o, enum op op)
{
	if (!fx_intact(o, o->size))
		return worker_fail(w, "a %zu-byte object changed before %s", o->size, op_names[op]);
	if (op == OP_FREE_ALIGNED_SIZED && o->kind == FX_ALIGNED)
		kz_free_aligned_sized(o->p, o->align, o->size);
	else if (op == OP_FREE_SIZED && o->kind == FX_MALLOC)
		kz_free_sized(o->p, o->size);
	else
		kz_free(o->p);
	w->ops[op]++;
	o->p = NULL;
	return true;
}

/* Resize: the contents survive up to the smaller size; realloc keeps only 16-byte alignment. */
static bool resize(struct worker *w, struct fx_obj *o, enum op op, uint64_t *rng)
{
	size_t size = random_size(rng) + 1, keep;
	void *p;

	if (op == OP_REALLOCARRAY) {
		size = size / 16 * 16 + 16;
		p = kz_reallocarray(o->p, fx_opaque(size / 16), 16);
	} else {
		p = kz_realloc(o->p, fx_opaque(size));
	}
	w->ops[op]++;
	if (!p)
		return worker_fail(w, "%s(%zu -> %zu) returned NULL", op_names[op], o->size, size);
	keep = o->size < size ? o->size : size;
	o->p = p;
	if ((uintptr_t) p % 16 || !fx_intact(o, keep))
		return worker_fail(w, "%s(%zu -> %zu) lost the contents", op_names[op], o->size,
				   size);
	if (kz_malloc_usable_size(p) < size)
		return worker_fail(w, "%s(%zu -> %zu): usable size %zu", op_names[op], o->size,
				   size, kz_malloc_usable_size(p));
	o->size = size;
	o->align = 16;
	o->kind = FX_MALLOC;
	o->id = ((uint64_t) w->index << 56) | (++w->next_id << 24);
	fx_fill(o);
	return true;
}

static bool hand_over(struct worker *w, struct fx_obj *o)
{
	bool posted = false;

	pthread_mutex_lock(&w->outbox->lock);
	if (w->outbox->n < MAILBOX) {
		w->outbox->obj[w->outbox->n++] = *o;
		o->p = NULL;
		posted = true;
	}
	pthread_mutex_unlock(&w->outbox->lock);
	w->ops[OP_HAND_OVER] += posted;
	return posted;
}

/* Free what another thread allocated and handed over. */
static bool drain(struct worker *w, struct mailbox *box)
{
	bool ok = true;

	pthread_mutex_lock(&box->lock);
	for (size_t i = 0; i < box->n && ok; i++)
		ok = release(w, &box->obj[i], OP_REMOTE_FREE);
	box->n = 0;
	pthread_mutex_unlock(&box->lock);
	return ok;
}

static bool step(struct worker *w, uint64_t *rng)
{
	struct fx_obj *o = &w->live[kzt_rand(rng) % LIVE];
	unsigned pick = (unsigned) (kzt_rand(rng) % 100);

	if (!o->p) {
		static const enum op allocs[] = {OP_MALLOC,	   OP_MALLOC,	OP_MALLOC,
						 OP_MALLOC,	   OP_CALLOC,	OP_CALLOC,
						 OP_ALIGNED_ALLOC, OP_MEMALIGN, OP_POSIX_MEMALIGN,
						 OP_VALLOC,	   OP_PVALLOC};

		return alloc_op(w, o, allocs[pick % (sizeof(allocs) / sizeof(allocs[0]))], rng);
	}
	if (pick < 15)
		return resize(w, o, pick < 10 ? OP_REALLOC : OP_REALLOCARRAY, rng);
	if (pick < 30) {
		w->ops[OP_USABLE_SIZE]++;
		if (kz_malloc_usable_size(o->p) < o->size || !fx_intact(o, o->size))
			return worker_fail(w, "a %zu-byte object changed or shrank", o->size);
		return true;
	}
	if (pick < 50 && hand_over(w, o))
		return true;
	if (pick < 65)
		return release(w, o, OP_FREE_SIZED);
	if (pick < 80)
		return release(w, o, OP_FREE_ALIGNED_SIZED);
	return release(w, o, OP_FREE);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint64_t rng = w->seed ^ (w->index * 0x9E3779B97F4A7C15ULL);
	unsigned long n = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (!step(w, &rng))
			break;
		if (++n % 64 == 0 && !drain(w, w->inbox))
			break;
	}
	for (size_t i = 0; i < LIVE; i++)
		if (w->live[i].p)
			release(w, &w->live[i], OP_FREE);
	return NULL;
}

static void sixteen_threads(void **state)
{
	uint64_t seed = kzt_seed(0), total = 0;
	struct kz_pool_stats before, after;
	struct mallinfo2 mi;
	struct worker spare = {0};

	(void) state;
	print_message("seed %#" PRIx64 ", %u threads for %u s\n", seed, THREADS, seconds);
	kz_free(kz_malloc(1));
	kz_malloc_trim(0);
	kz_get_pool_stats(&before);
	atomic_store(&stop, false);
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_mutex_init(&boxes[i].lock, NULL);
		workers[i] = (struct worker){.index = i,
					     .seed = seed,
					     .inbox = &boxes[i],
					     .outbox = &boxes[(i + 1) % THREADS]};
	}
	for (unsigned i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&workers[i].thread, NULL, worker_run, &workers[i]),
				 0);
	sleep(seconds);
	atomic_store(&stop, true);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(workers[i].thread, NULL);
	/* What is left in the mailboxes belongs to threads that are gone. */
	for (unsigned i = 0; i < THREADS; i++)
		if (!drain(&spare, &boxes[i]))
			fail_msg("a handed-over object: %s", spare.error);
	for (unsigned op = 0; op < NR_OPS; op++) {
		unsigned long n = spare.ops[op];

		for (unsigned i = 0; i < THREADS; i++)
			n += workers[i].ops[op];
		print_message("  %-20s %lu\n", op_names[op], n);
		total += n;
		if (op != OP_REMOTE_FREE)
			assert_true(n > 0); /* every operation ran */
	}
	print_message("%" PRIu64 " operations\n", total);
	for (unsigned i = 0; i < THREADS; i++)
		if (workers[i].error[0])
			fail_msg("thread %u: %s", i, workers[i].error);

	/* Nothing lost: the threads' caches came back with them; nothing is in use. */
	kz_malloc_trim(0);
	kz_get_pool_stats(&after);
	mi = kz_mallinfo2();
	buddy_verify();
	assert_int_equal(mi.uordblks, 0);
	assert_int_equal(after.pages_in_use, before.pages_in_use);
	assert_int_equal(after.pages_slab, 0);
	assert_int_equal(after.pages_large, 0);
	assert_int_equal(after.huge_mappings, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sixteen_threads),
	};

	if (argc > 1)
		seconds = (unsigned) strtoul(argv[1], NULL, 10);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
