/*
 * test_cross_free.c - the shape of rpmalloc's rptest, which once aborted
 * with a false "write after free" under KZMALLOC_INIT=none: threads
 * allocate random sizes from 8 B to 16 KB, keep a working set, and pass
 * objects round a ring of threads (a lock-free single-producer queue to the
 * next one), which check and free them; each round starts fresh threads,
 * so caches are created, flushed at exit and reused, and slabs empty and
 * go back to the pool while the purger runs (ctest sets a short purge
 * delay, and every KZMALLOC_INIT mode). Rounds go on for a fixed time (2 s;
 * `test_cross_free SECONDS`).
 *
 * Every object carries a pattern naming it, checked by whichever thread
 * frees it: an object handed out twice shows as a broken pattern. At the
 * end nothing may be in use and the pool's invariants must hold. The seed
 * is printed; KZ_TEST_SEED replays the choices (not the interleaving).
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>

#include <cmocka.h>

#include "buddy.h"
#include "kztest.h"

enum { THREADS = 4, LIVE = 512, RING = 256, OPS_PER_ROUND = 40000 };

struct object {
	unsigned char *p;
	size_t size;
	uint64_t id;
};

/* One producer (the thread before), one consumer (its owner). */
struct ring {
	struct object slot[RING];
	atomic_size_t head, tail; /* head: next to read; tail: next to write */
};

struct worker {
	pthread_t thread;
	unsigned index;
	uint64_t rnd;
	struct ring *in, *out;
	unsigned long ops;
	char error[128];
};

static struct ring rings[THREADS];
static unsigned seconds = 2;
static struct worker workers[THREADS];

/* Mostly small, a tail up to 16 KB, as rptest's. */
static size_t random_size(uint64_t *rnd)
{
	uint64_t r = kzt_rand(rnd);

	return 8 + (r % 4 == 0 ? r % 16000 : r % 512);
}

static bool object_ok(struct worker *w, const struct object *o)
{
	if (kzt_check(o->p, o->size, o->id))
		return true;
	snprintf(w->error, sizeof(w->error), "object %#" PRIx64 " of %zu bytes at %p overwritten",
		 o->id, o->size, (void *) o->p);
	return false;
}

static bool ring_put(struct ring *r, struct object o)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (tail - atomic_load_explicit(&r->head, memory_order_acquire) == RING)
		return false;
	r->slot[tail % RING] = o;
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return true;
}

static bool ring_get(struct ring *r, struct object *o)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (head == atomic_load_explicit(&r->tail, memory_order_acquire))
		return false;
	*o = r->slot[head % RING];
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

static bool release(struct worker *w, struct object *o)
{
	if (!object_ok(w, o))
		return false;
	kz_free(o->p);
	o->p = NULL;
	return true;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct object live[LIVE] = {{0}}, got;
	uint64_t next_id = (uint64_t) w->index << 48 | (w->rnd & 0xffffff) << 24;
	unsigned long ops = OPS_PER_ROUND / kzt_scale();

	for (unsigned long n = 0; n < ops && !w->error[0]; n++) {
		struct object *o = &live[kzt_rand(&w->rnd) % LIVE];

		while (ring_get(w->in, &got))
			if (!release(w, &got))
				return NULL;
		if (o->p) {
			if (kzt_rand(&w->rnd) % 2 && ring_put(w->out, *o))
				o->p = NULL;
			else if (!release(w, o))
				return NULL;
			continue;
		}
		o->size = random_size(&w->rnd) & ~(size_t) 7;
		o->id = next_id++;
		o->p = kz_malloc(o->size);
		if (!o->p) {
			snprintf(w->error, sizeof(w->error), "malloc(%zu) failed", o->size);
			return NULL;
		}
		kzt_fill(o->p, o->size, o->id);
		w->ops++;
	}
	for (size_t i = 0; i < LIVE; i++)
		if (live[i].p && !release(w, &live[i]))
			break;
	return NULL;
}

static void cross_free_rounds(void **state)
{
	uint64_t seed = kzt_seed(0), rnd;
	unsigned long rounds = 0, ops = 0;
	struct kz_pool_stats stats;
	struct worker spare = {0};
	struct timespec start, now;
	struct object o;

	(void) state;
	rnd = seed;
	print_message("seed %#" PRIx64 ", %u threads, %u s\n", seed, THREADS, seconds);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		for (unsigned i = 0; i < THREADS; i++)
			workers[i] = (struct worker){.index = i,
						     .rnd = kzt_rand(&rnd) | 1,
						     .in = &rings[i],
						     .out = &rings[(i + 1) % THREADS]};
		for (unsigned i = 0; i < THREADS; i++)
			assert_int_equal(
				pthread_create(&workers[i].thread, NULL, worker_run, &workers[i]),
				0);
		for (unsigned i = 0; i < THREADS; i++) {
			pthread_join(workers[i].thread, NULL);
			if (workers[i].error[0])
				fail_msg("round %lu, thread %u: %s", rounds, i, workers[i].error);
			ops += workers[i].ops;
		}
		/* What is left in the rings belongs to threads that are gone. */
		for (unsigned i = 0; i < THREADS; i++)
			while (ring_get(&rings[i], &o))
				if (!release(&spare, &o))
					fail_msg("left in a ring: %s", spare.error);
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < (time_t) seconds);
	print_message("%lu rounds, %lu allocations\n", rounds, ops);

	kz_malloc_trim(0);
	kz_get_pool_stats(&stats);
	buddy_verify();
	assert_int_equal(kz_mallinfo2().uordblks, 0);
	assert_int_equal(stats.pages_slab, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cross_free_rounds),
	};

	if (argc > 1)
		seconds = (unsigned) strtoul(argv[1], NULL, 10);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
