/*
 * test_quarantine.c - KZMALLOC_CHECK=quarantine (ctest sets it): a freed class object is not
 * handed out again at once, nor within the quarantine's bounds; the quarantine stays within
 * them however long a program frees; kz_trim empties it; threads that exit with objects in it
 * leak nothing; fork while threads free leaves the child a working heap; and the slots a refill
 * hands out come in no predictable order.
 *
 * Under memcheck the hardening quarantine is memcheck's own (quarantine.h): the tests skip.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kztest.h"
#include "quarantine.h"
#include "slab.h"

static size_t pages_slab(void)
{
	struct kz_pool_stats st;

	kz_get_pool_stats(&st);
	return st.pages_slab;
}

/* Class objects the slabs count active (held, or waiting somewhere on their way back). */
static size_t active_objs(void)
{
	size_t n = 0;

	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		struct slab_info info;

		slab_info(cls, &info);
		n += info.active_objs;
	}
	return n;
}

static int setup(void **state)
{
	(void) state;
	if (RUNNING_ON_VALGRIND)
		return 0;
	kz_free(kz_malloc(1)); /* started: the settings are read */
	return 0;
}

#define SKIP_UNDER_MEMCHECK()                                                                      \
	do {                                                                                       \
		if (RUNNING_ON_VALGRIND)                                                           \
			skip();                                                                    \
	} while (0)

/* free(p); malloc(the same size) is another object, in every class. */
static void not_at_once(void **state)
{
	(void) state;
	SKIP_UNDER_MEMCHECK();
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		size_t size = kz_class_size[cls];
		char *p = kz_malloc(size), *q;

		assert_non_null(p);
		kz_free(p);
		q = kz_malloc(size);
		assert_non_null(q);
		assert_ptr_not_equal(p, q);
		assert_true(kzt_is_zero(q, size));
		kz_free(q);
	}
	kz_trim();
}

/*
 * The frees an object of @size bytes is sure to wait in the quarantine (quarantine.h): its
 * thread's ring, then the shared FIFO, each by the bound that binds first, less a batch.
 */
static size_t delay_of(size_t size)
{
	size_t ring = QUARANTINE_THREAD_BYTES / size - 2,
	       shared = QUARANTINE_SHARED_BYTES / size - 2;

	if (ring > QUARANTINE_THREAD_MAX - QUARANTINE_BATCH)
		ring = QUARANTINE_THREAD_MAX - QUARANTINE_BATCH;
	if (shared > QUARANTINE_SHARED_MAX - QUARANTINE_BATCH)
		shared = QUARANTINE_SHARED_MAX - QUARANTINE_BATCH;
	return ring + shared;
}

struct seen {
	uintptr_t addr;
	size_t at;
};

static int by_address_then_time(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* A malloc/free loop of one size: an address comes back only after the quarantine's delay. */
static void not_within_delay(void **state)
{
	static const size_t sizes[] = {32, 96, 1024, 4096, 65536};

	(void) state;
	SKIP_UNDER_MEMCHECK();
	for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
		size_t delay = delay_of(sizes[k]), n = 3 * delay + 100, reused = 0;
		struct seen *log = calloc(n, sizeof(*log));

		assert_non_null(log);
		for (size_t i = 0; i < n; i++) {
			void *p = kz_malloc(sizes[k]);

			assert_non_null(p);
			log[i] = (struct seen){(uintptr_t) p, i};
			kz_free(p);
		}
		qsort(log, n, sizeof(*log), by_address_then_time);
		for (size_t i = 1; i < n; i++) {
			if (log[i].addr != log[i - 1].addr)
				continue;
			reused++;
			if (log[i].at - log[i - 1].at <= delay)
				fail_msg("%zu bytes: %#lx again after %zu frees (delay %zu)",
					 sizes[k], (unsigned long) log[i].addr,
					 log[i].at - log[i - 1].at, delay);
		}
		/* The quarantine is bounded: the loop did reuse slots. */
		assert_true(reused > 0);
		free(log);
		kz_trim();
	}
}

/*
 * A long loop of random sizes up to 16 KiB with a small working set: the slabs stop growing once
 * the quarantine is full, far below what the loop freed.
 */
static void bounded(void **state)
{
	enum { LIVE = 64, ROUNDS = 4 };
	/* The quarantine's objects (one thread) and its stacks, with room for slab tails. */
	const size_t bound = 2 * (QUARANTINE_SHARED_BYTES + QUARANTINE_THREAD_BYTES) + (1 << 20);
	void *live[LIVE] = {0};
	size_t freed = 0, pages[ROUNDS];
	uint64_t rng = kzt_seed(7);

	(void) state;
	SKIP_UNDER_MEMCHECK();
	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned i = 0; i < 100000 / kzt_scale(); i++) {
			unsigned k = (unsigned) (kzt_rand(&rng) % LIVE);
			size_t size = 1 + kzt_rand(&rng) % 16384;

			if (live[k])
				freed += 1;
			kz_free(live[k]);
			live[k] = kz_malloc(size);
			assert_non_null(live[k]);
			freed += size;
		}
		pages[r] = pages_slab();
		assert_true(pages[r] * KZ_PAGE_SIZE <= bound);
	}
	/* The loop freed hundreds of MiB (fewer under the sanitizers); the slabs held a few. */
	assert_true(freed > 50 * bound / kzt_scale());
	print_message("slab pages after each round: %zu %zu %zu %zu (bound %zu)\n", pages[0],
		      pages[1], pages[2], pages[3], bound / KZ_PAGE_SIZE);
	for (unsigned k = 0; k < LIVE; k++)
		kz_free(live[k]);
	kz_trim();
}

/* kz_trim empties the quarantine: nothing is active, every slab goes back. */
static void trim_empties(void **state)
{
	enum { N = 3000 };
	static void *p[N];

	(void) state;
	SKIP_UNDER_MEMCHECK();
	for (unsigned i = 0; i < N; i++)
		assert_non_null(p[i] = kz_malloc(16 + (i * 40503u) % 8192));
	for (unsigned i = 0; i < N; i++)
		kz_free(p[i]);
	assert_true(active_objs() >= 1000); /* waiting in the quarantine: 4 MiB and more */
	kz_trim();
	assert_int_equal(active_objs(), 0);
	assert_int_equal(pages_slab(), 0);
}

static void *churn(void *arg)
{
	uint64_t rng = (uintptr_t) arg | 1;
	void *held[32] = {0};

	for (unsigned i = 0; i < 5000; i++) {
		unsigned k = (unsigned) (kzt_rand(&rng) % 32);

		kz_free(held[k]);
		held[k] = kz_malloc(1 + kzt_rand(&rng) % 4096);
		if (!held[k])
			return arg;
	}
	for (unsigned k = 0; k < 32; k++)
		kz_free(held[k]);
	return NULL; /* exits with its ring and stacks full */
}

/* Threads exit with objects in their rings and stacks: all of it comes back. */
static void thread_exit_leaks_nothing(void **state)
{
	enum { THREADS = 8, ROUNDS = 3 };

	(void) state;
	SKIP_UNDER_MEMCHECK();
	for (unsigned r = 0; r < ROUNDS; r++) {
		pthread_t t[THREADS];
		void *ret;

		for (uintptr_t i = 0; i < THREADS; i++)
			assert_int_equal(
				pthread_create(&t[i], NULL, churn, (void *) (i + 1 + r * 64)), 0);
		for (unsigned i = 0; i < THREADS; i++) {
			assert_int_equal(pthread_join(t[i], &ret), 0);
			assert_null(ret);
		}
	}
	kz_trim();
	assert_int_equal(active_objs(), 0);
	assert_int_equal(pages_slab(), 0);
}

static atomic_bool stop_churn;

static void *churn_until_stopped(void *arg)
{
	while (!atomic_load(&stop_churn))
		if (churn(arg))
			return arg;
	return NULL;
}

/*
 * fork while threads free into their quarantines and the shared one: the child's heap works, its
 * own quarantine delays and empties, and no lock is left held.
 */
static void fork_while_threads_free(void **state)
{
	enum { THREADS = 4, FORKS = 8 };
	pthread_t t[THREADS];

	(void) state;
	SKIP_UNDER_MEMCHECK();
	if (KZT_ASAN)
		skip(); /* ASan's own allocator is not fork-safe with threads (as for test_fork) */
	atomic_store(&stop_churn, false);
	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn_until_stopped, (void *) (i + 1)),
				 0);
	for (unsigned f = 0; f < FORKS; f++) {
		int status;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			void *p = kz_malloc(64), *q;

			kz_free(p);
			q = kz_malloc(64);
			if (!q || q == p || churn((void *) 99))
				_exit(1);
			kz_free(q);
			kz_trim();
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	atomic_store(&stop_churn, true);
	for (unsigned i = 0; i < THREADS; i++) {
		void *ret;

		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	kz_trim();
}

/* The offsets from the lowest of @n objects of @size bytes, taken from fresh slabs. */
static void fresh_order(size_t size, uintptr_t *off, unsigned n)
{
	void *p[64];
	uintptr_t low = UINTPTR_MAX;

	kz_trim();
	for (unsigned i = 0; i < n; i++) {
		p[i] = kz_malloc(size);
		assert_non_null(p[i]);
		if ((uintptr_t) p[i] < low)
			low = (uintptr_t) p[i];
	}
	for (unsigned i = 0; i < n; i++) {
		off[i] = (uintptr_t) p[i] - low;
		kz_free(p[i]);
	}
}

/*
 * The same allocations from fresh slabs twice: the slots come in another order each time, and
 * not in address order (which is what a refill without the quarantine gives, run after run).
 */
static void random_order(void **state)
{
	enum { N = 24 };
	uintptr_t first[N], second[N];
	unsigned rising = 0, falling = 0;

	(void) state;
	SKIP_UNDER_MEMCHECK();
	fresh_order(96, first, N);
	fresh_order(96, second, N);
	assert_memory_not_equal(first, second, sizeof(first));
	for (unsigned i = 1; i < N; i++) {
		rising += first[i] > first[i - 1];
		falling += first[i] < first[i - 1];
	}
	assert_true(rising > 0 && falling > 0);
	kz_trim();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_at_once),
		cmocka_unit_test(not_within_delay),
		cmocka_unit_test(bounded),
		cmocka_unit_test(trim_empties),
		cmocka_unit_test(thread_exit_leaks_nothing),
		cmocka_unit_test(fork_while_threads_free),
		cmocka_unit_test(random_order),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
