/*
 * test_malloc_stress.c - the malloc family under load:
 *
 *   - eight threads doing random malloc / calloc / realloc / free of mostly
 *     small, some large and rare huge objects, each object filled with a
 *     pattern naming its owner and checked before it goes; some objects go
 *     through a mailbox to the next thread, which frees them (cross-thread
 *     frees);
 *   - 2000 short-lived threads, each leaving objects in its thread cache
 *     and a few for the main thread to free: the caches of exited threads
 *     must come back, so RSS stays bounded;
 *   - fork while four threads allocate: the child allocates on every path.
 *
 * Loops are counted in operations, not time, and shrink under Valgrind.
 * The seed is printed; KZ_TEST_SEED replays it.
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "kmalloc.h"
#include "kztest.h"
#include "meta.h"
#include "tcache.h"

#define KIB	      ((size_t) 1 << 10)
#define MIB	      ((size_t) 1 << 20)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum { THREADS = 8, OPS = 20000, LIVE = 64, MAILBOX = 32 };
enum { CHURN_THREADS = 2000, CHURN_BATCH = 16, CHURN_OBJECTS = 100, CHURN_KEPT = 4 };
enum { FORK_THREADS = 4, LOOPER_SLOTS = 16, FORKS = 8, CHILD_OBJECTS = 256 };

/* After 2000 threads, RSS may have grown by at most this much. */
#define CHURN_RSS_SLACK	 (64 * MIB)
#define CHURN_META_SLACK (4 * MIB)

struct object {
	void *p;
	size_t size;
	uint64_t id;
};

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Mostly small objects, some large ones up to 1 MiB, one in a thousand huge. */
static size_t random_size(uint64_t *rng)
{
	uint64_t r = kzt_rand(rng);
	unsigned pick = (unsigned) (r % 1000);

	r >>= 10;
	if (pick < 850)
		return r % 1025;
	if (pick < 970)
		return 1025 + r % (64 * KIB);
	if (pick < 999)
		return 128 * KIB + 1 + r % (1 * MIB - 128 * KIB);
	return 4 * MIB + 1 + r % (4 * MIB);
}

static bool object_alloc(struct object *o, size_t size, bool zeroed, uint64_t id)
{
	o->p = zeroed ? kz_calloc(1, size) : kz_malloc(size);
	o->size = size;
	o->id = id;
	if (!o->p || (zeroed && !kzt_is_zero(o->p, size)))
		return false;
	kzt_fill(o->p, size, id);
	return true;
}

/* Check the owner's pattern and free: sized half the time. */
static bool object_release(struct object *o)
{
	bool ok = kzt_check(o->p, o->size, o->id);

	if (o->id & 1)
		kz_free_sized(o->p, o->size);
	else
		kz_free(o->p);
	o->p = NULL;
	return ok;
}

/* Resize: the old pattern must survive up to the smaller size; realloc(p, 0) frees (glibc). */
static bool object_resize(struct object *o, size_t size, uint64_t id)
{
	void *p = kz_realloc(o->p, size);

	if (size == 0) {
		o->p = NULL;
		return p == NULL;
	}
	if (!p || !kzt_check(p, min_size(o->size, size), o->id))
		return false;
	o->p = p;
	o->size = size;
	o->id = id;
	kzt_fill(p, size, id);
	return true;
}

struct mailbox {
	pthread_mutex_t lock;
	struct object obj[MAILBOX];
	size_t n;
};

struct worker {
	pthread_t thread;
	unsigned index;
	size_t ops;
	uint64_t seed;
	struct mailbox *inbox, *outbox;
	char error[128];
};

static bool mailbox_post(struct mailbox *box, struct object *o)
{
	bool posted = false;

	pthread_mutex_lock(&box->lock);
	if (box->n < MAILBOX) {
		box->obj[box->n++] = *o;
		o->p = NULL;
		posted = true;
	}
	pthread_mutex_unlock(&box->lock);
	return posted;
}

/* Free what other threads handed over; false if one of them changed meanwhile. */
static bool mailbox_drain(struct mailbox *box)
{
	bool ok = true;

	pthread_mutex_lock(&box->lock);
	for (size_t i = 0; i < box->n; i++)
		ok &= object_release(&box->obj[i]);
	box->n = 0;
	pthread_mutex_unlock(&box->lock);
	return ok;
}

/* One random step on one slot; false (with a message) on the first thing wrong. */
static bool worker_step(struct worker *w, struct object *o, uint64_t *rng, uint64_t id)
{
	unsigned action = (unsigned) (kzt_rand(rng) % 8);

	if (!o->p) {
		if (!object_alloc(o, random_size(rng), action < 2, id)) {
			snprintf(w->error, sizeof(w->error), "%s(%zu) failed or not zero",
				 action < 2 ? "calloc" : "malloc", o->size);
			return false;
		}
	} else if (action < 2) {
		size_t old = o->size;

		if (!object_resize(o, random_size(rng), id)) {
			snprintf(w->error, sizeof(w->error), "realloc from %zu bytes", old);
			return false;
		}
	} else if (action < 4 && mailbox_post(w->outbox, o)) {
		/* the next thread frees it */
	} else if (!object_release(o)) {
		snprintf(w->error, sizeof(w->error), "a %zu-byte object changed", o->size);
		return false;
	}
	return true;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct object live[LIVE] = {{0}};
	uint64_t rng = w->seed + w->index;

	for (size_t op = 0; op < w->ops; op++) {
		uint64_t id = ((uint64_t) w->index << 48) | op;

		if (!worker_step(w, &live[kzt_rand(&rng) % LIVE], &rng, id))
			break;
		if ((op & 31) == 0 && !mailbox_drain(w->inbox)) {
			snprintf(w->error, sizeof(w->error), "an object handed over changed");
			break;
		}
	}
	for (size_t i = 0; i < LIVE; i++)
		if (live[i].p && !object_release(&live[i]) && !w->error[0])
			snprintf(w->error, sizeof(w->error), "an object changed before the end");
	return NULL;
}

static void threads_random_ops(void **state)
{
	static struct mailbox boxes[THREADS];
	static struct worker workers[THREADS];
	uint64_t seed = kzt_seed(0);

	(void) state;
	print_message("seed %#" PRIx64 "\n", seed);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_mutex_init(&boxes[i].lock, NULL);
	for (unsigned i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){.index = i,
					     .ops = OPS / kzt_scale(),
					     .seed = seed,
					     .inbox = &boxes[i],
					     .outbox = &boxes[(i + 1) % THREADS]};
		assert_int_equal(pthread_create(&workers[i].thread, NULL, worker_run, &workers[i]),
				 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(workers[i].thread, NULL);
	/* What is left in the mailboxes belongs to threads that are gone. */
	for (unsigned i = 0; i < THREADS; i++)
		assert_true(mailbox_drain(&boxes[i]));
	for (unsigned i = 0; i < THREADS; i++)
		if (workers[i].error[0])
			fail_msg("thread %u: %s", i, workers[i].error);
}

/* Several classes, up to 16 KiB, so a leaked thread cache holds real memory. */
static const size_t churn_sizes[] = {16, 64, 200, 768, 2000, 6000, 16000};

struct churner {
	pthread_t thread;
	unsigned index;
	struct object kept[CHURN_KEPT];
	bool ok;
};

/* Allocate, then free most objects here (into this thread's cache) and keep a few. */
static void *churner_run(void *arg)
{
	struct churner *c = arg;
	struct object obj[CHURN_OBJECTS];
	size_t n = 0;

	c->ok = true;
	for (; n < CHURN_OBJECTS; n++) {
		/*
		 * Its cache, there after the first allocation, is metadata: out of the heap,
		 * between guard pages. (Under memcheck no thread has one.)
		 */
		if (n == 1 && !RUNNING_ON_VALGRIND &&
		    (tcache_self == &tcache_none || kmalloc_owns((uintptr_t) tcache_self) ||
		     (c->index == 0 && !kzt_between_guards(tcache_self))))
			c->ok = false;
		uint64_t id = ((uint64_t) c->index << 16) | n;

		if (!object_alloc(&obj[n], churn_sizes[n % ARRAY_SIZE(churn_sizes)], n % 5 == 0,
				  id)) {
			c->ok = false;
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (i < CHURN_KEPT)
			c->kept[i] = obj[i];
		else
			c->ok &= object_release(&obj[i]);
	}
	return NULL;
}

static void thread_churn_bounded_rss(void **state)
{
	static struct churner churners[CHURN_BATCH];
	unsigned threads = CHURN_THREADS / kzt_scale();
	size_t before = kzt_rss(), after, meta_before = meta_mapped();

	(void) state;
	for (unsigned start = 0; start < threads; start += CHURN_BATCH) {
		unsigned batch = threads - start < CHURN_BATCH ? threads - start : CHURN_BATCH;

		for (unsigned i = 0; i < batch; i++) {
			churners[i] = (struct churner){.index = start + i};
			assert_int_equal(pthread_create(&churners[i].thread, NULL, churner_run,
							&churners[i]),
					 0);
		}
		for (unsigned i = 0; i < batch; i++) {
			pthread_join(churners[i].thread, NULL);
			assert_true(churners[i].ok);
			/* Objects of a thread that has exited, freed from here. */
			for (unsigned k = 0; k < CHURN_KEPT; k++)
				assert_true(object_release(&churners[i].kept[k]));
		}
	}
	after = kzt_rss();
	print_message("rss %zu KiB before, %zu KiB after %u threads\n", before >> 10, after >> 10,
		      threads);
	assert_true(after < before + CHURN_RSS_SLACK);
	/* Exited threads' caches are reused: the arena holds about a batch's worth, not 2,000. */
	print_message("metadata %zu KiB before, %zu KiB after\n", meta_before >> 10,
		      meta_mapped() >> 10);
	assert_true(meta_mapped() <= meta_before + CHURN_META_SLACK);
}

static atomic_bool fork_stop;

/*
 * The loopers' live objects. Global, not on their stacks: in a child those
 * threads are gone, and memcheck's leak check would call objects that only
 * a dead thread's stack points to lost.
 */
static void *looper_slots[FORK_THREADS][LOOPER_SLOTS];

struct looper {
	pthread_t thread;
	uint64_t seed;
	void **slot;
};

/* Allocate and free until told to stop, so that fork finds the allocator busy. */
static void *looper_run(void *arg)
{
	struct looper *l = arg;
	uint64_t rng = l->seed;
	void **slot = l->slot;

	while (!atomic_load_explicit(&fork_stop, memory_order_relaxed)) {
		size_t i = kzt_rand(&rng) % LOOPER_SLOTS;

		if (slot[i]) {
			kz_free(slot[i]);
			slot[i] = NULL;
		} else {
			size_t size = random_size(&rng);

			slot[i] = kz_malloc(size);
			if (slot[i])
				memset(slot[i], 0x5a, min_size(size, 256));
		}
	}
	for (size_t i = 0; i < LOOPER_SLOTS; i++) {
		kz_free(slot[i]);
		slot[i] = NULL;
	}
	return NULL;
}

/*
 * The child of a fork: only this thread came along, so a lock another
 * thread held at the fork would hang it (the alarm turns that into a
 * failure). Every path must work. The exit status names the first problem.
 *
 * Objects the loopers had in flight at the fork (allocated, not yet
 * stored) are unreachable here: the fork's leaks, not the allocator's,
 * so memcheck's leak check is off in the child; its other checks stay on.
 */
static int child_run(void)
{
	static const size_t sizes[] = {0,    1,	    24,	   100,	  500,	  1000,	    3000,
				       5000, 12000, 40000, 70000, 131072, 200 * KIB};
	static const size_t big[] = {1 * MIB, 3 * MIB, 5 * MIB, 9 * MIB};
	static struct object obj[CHILD_OBJECTS + ARRAY_SIZE(big)];
	const size_t n = ARRAY_SIZE(obj);

	VALGRIND_CLO_CHANGE("--leak-check=no");
	alarm(60);
	for (size_t i = 0; i < n; i++) {
		size_t size =
			i < CHILD_OBJECTS ? sizes[i % ARRAY_SIZE(sizes)] : big[i - CHILD_OBJECTS];

		if (!object_alloc(&obj[i], size, i % 3 == 0, i))
			return 2;
	}
	for (size_t i = 0; i < n; i += 2)
		if (!object_resize(&obj[i], obj[i].size / 2 + 64, i + n))
			return 3;
	for (size_t i = 0; i < n; i++)
		if (!object_release(&obj[i]))
			return 4;
	return 0;
}

static void fork_while_threads_allocate(void **state)
{
	static struct looper loopers[FORK_THREADS];
	int status[FORKS];
	uint64_t seed = kzt_seed(0);

	(void) state;
	atomic_store(&fork_stop, false);
	for (unsigned i = 0; i < FORK_THREADS; i++) {
		loopers[i] = (struct looper){.seed = seed + i, .slot = looper_slots[i]};
		assert_int_equal(pthread_create(&loopers[i].thread, NULL, looper_run, &loopers[i]),
				 0);
	}
	for (unsigned round = 0; round < FORKS; round++) {
		pid_t pid;

		usleep(2000);
		pid = fork();
		if (pid == 0)
			_exit(child_run());
		status[round] = -1;
		if (pid > 0 && waitpid(pid, &status[round], 0) != pid)
			status[round] = -1;
	}
	atomic_store(&fork_stop, true);
	for (unsigned i = 0; i < FORK_THREADS; i++)
		pthread_join(loopers[i].thread, NULL);
	for (unsigned round = 0; round < FORKS; round++) {
		int s = status[round];

		if (s == -1)
			fail_msg("fork %u: fork or waitpid failed", round);
		if (WIFSIGNALED(s))
			fail_msg("fork %u: child killed by signal %d", round, WTERMSIG(s));
		if (WEXITSTATUS(s) != 0)
			fail_msg("fork %u: child exited with %d", round, WEXITSTATUS(s));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threads_random_ops),
		cmocka_unit_test(thread_churn_bounded_rss),
		cmocka_unit_test(fork_while_threads_allocate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
