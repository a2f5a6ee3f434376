/*
 * test_fork.c - fork while other threads are being born: each new thread's
 * first allocation creates its thread cache, which takes memory from the
 * metadata arena, and another thread reads the arena's size as the stats
 * report does. Every lock those take must be held across fork, or the
 * child inherits it locked and hangs (the alarm turns a hang into a
 * failure). The child allocates on the class, large and huge paths, reads
 * the arena's size, and starts a thread of its own whose first allocation
 * needs the arena; then it exits.
 *
 * Repeated often enough to make the race likely on two cores; fewer rounds
 * under Valgrind. The seed is printed; KZ_TEST_SEED replays it.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "kztest.h"
#include "meta.h"

#define KIB ((size_t) 1 << 10)
#define MIB ((size_t) 1 << 20)

enum { BIRTHERS = 2, ROUNDS = 200, CHILD_ALARM_S = 20 };

static atomic_bool stop;

/* A new thread's first allocation (it creates the thread cache), and one more. */
static void *newborn_run(void *arg)
{
	uint64_t rng = (uint64_t) (uintptr_t) arg;
	size_t size = 16 + kzt_rand(&rng) % 2048;
	void *p = kz_malloc(size), *q = kz_calloc(1, 100);

	if (p)
		memset(p, 0x5a, size);
	kz_free(q);
	kz_free(p);
	return NULL;
}

/* Start short-lived threads, one after another, until told to stop. */
static void *birther_run(void *arg)
{
	uint64_t rng = (uint64_t) (uintptr_t) arg;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * KIB);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		pthread_t t;

		if (pthread_create(&t, &attr, newborn_run, (void *) (uintptr_t) kzt_rand(&rng)) ==
		    0)
			pthread_join(t, NULL);
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* The arena's size, read over and over, as malloc_stats() reads it. */
static void *reader_run(void *arg)
{
	size_t sum = 0;

	(void) arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		sum += meta_mapped();
	return (void *) sum;
}

/* The child: every path, the arena, and a thread of its own. The exit status names the problem. */
static int child_run(void)
{
	static const size_t sizes[] = {1, 100, 3000, 40000, 200 * KIB, 5 * MIB};
	pthread_t t;

	/* What other threads had in flight at the fork is lost here: the fork's leaks, not ours. */
	VALGRIND_CLO_CHANGE("--leak-check=no");
	alarm(CHILD_ALARM_S);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p = kz_malloc(sizes[i]);

		if (!p)
			return 2;
		memset(p, 0x33, sizes[i]);
		kz_free(p);
	}
	if (meta_mapped() == 0)
		return 3;
	if (pthread_create(&t, NULL, newborn_run, (void *) 1) != 0)
		return 4;
	pthread_join(t, NULL);
	return 0;
}

static void fork_while_threads_are_born(void **state)
{
	pthread_t birthers[BIRTHERS], reader;
	uint64_t seed = kzt_seed(0);
	unsigned rounds = ROUNDS / kzt_scale(), round, hung = 0, failed = 0;

	(void) state;
	print_message("seed %#llx\n", (unsigned long long) seed);
	atomic_store(&stop, false);
	for (unsigned i = 0; i < BIRTHERS; i++)
		assert_int_equal(pthread_create(&birthers[i], NULL, birther_run,
						(void *) (uintptr_t) (seed + i)),
				 0);
	assert_int_equal(pthread_create(&reader, NULL, reader_run, NULL), 0);
	for (round = 0; round < rounds; round++) {
		int status;
		pid_t pid;

		usleep(500);
		pid = fork();
		if (pid == 0)
			_exit(child_run());
		if (pid < 0 || waitpid(pid, &status, 0) != pid) {
			failed++;
			continue;
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
			hung++; /* one is enough: each costs the alarm's wait */
			break;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	atomic_store(&stop, true);
	for (unsigned i = 0; i < BIRTHERS; i++)
		pthread_join(birthers[i], NULL);
	pthread_join(reader, NULL);
	print_message("%u forks: %u children hung, %u failed otherwise\n", round, hung, failed);
	assert_int_equal(hung, 0);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fork_while_threads_are_born),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
