/*
 * test_faults_rlimit.c - a real `ulimit -v`: in a child whose address space
 * is capped (RLIMIT_AS) a little above what it uses, rounds of every API
 * (kzfault.h) until the cap bites, then each way of asking for memory until
 * it fails. Every failure must be NULL with ENOMEM (posix_memalign: the
 * code), no object may change, and once everything is freed the same cap
 * must serve a full round again. Any build but the fault-injection one
 * will do; skipped under Valgrind and the sanitizers that reserve address
 * space (their shadow memory does not fit under the cap).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "kzfault.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define AS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
	__has_feature(memory_sanitizer)
#define AS_SANITIZER 1
#endif
#endif
#ifndef AS_SANITIZER
#define AS_SANITIZER 0
#endif

enum { ROUNDS = 6, HELD_MAX = 1 << 20 };

/* The cap: this much address space above what the process has mapped. */
#define HEADROOM (160 * FX_MIB)

static size_t vm_size(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (size_t) sysconf(_SC_PAGESIZE);
}

static int child_fail(const char *what, const struct fx *fx)
{
	fprintf(stderr, "child: %s: %s\n", what, fx->error);
	return 1;
}

/* In the child, under the cap; the exit status says whether every promise held. */
static int child_run(void)
{
	static struct fx rounds[ROUNDS];
	static struct fx_held held[HELD_MAX];
	struct rlimit lim;
	struct fx fx = {0};
	unsigned long failed = 0;
	size_t nheld = 0;

	lim.rlim_cur = lim.rlim_max = vm_size() + HEADROOM;
	if (setrlimit(RLIMIT_AS, &lim) != 0) {
		perror("setrlimit");
		return 1;
	}
	for (unsigned i = 0; i < ROUNDS; i++) {
		if (!fx_round(&rounds[i]))
			return child_fail("a round under the cap", &rounds[i]);
		failed += rounds[i].failed;
	}
	if (failed == 0) {
		fprintf(stderr, "child: %d rounds never reached the cap\n", ROUNDS);
		return 1;
	}
	for (enum fx_ask ask = 0; ask < FX_NR_ASKS; ask++) {
		if (!fx_exhaust(&fx, ask, held, &nheld, HELD_MAX))
			return child_fail("exhausting", &fx);
		printf("rlimit: %-28s fails with ENOMEM after %zu objects held\n",
		       fx_ask_names[ask], nheld);
	}
	fx_held_free(held, nheld);
	for (unsigned i = 0; i < ROUNDS; i++)
		if (!fx_release(&rounds[i]))
			return child_fail("freeing the rounds", &rounds[i]);
	kz_malloc_trim(0);
	/* Everything back: the cap holds a full round again. */
	if (!fx_round(&fx) || !fx_release(&fx))
		return child_fail("a round after freeing everything", &fx);
	if (fx.failed) {
		fprintf(stderr, "child: %lu calls failed after freeing everything\n", fx.failed);
		return 1;
	}
	printf("rlimit: %lu calls failed with ENOMEM in %d rounds; a round after freeing: %lu "
	       "calls, none failed\n",
	       failed, ROUNDS, fx.ok);
	return 0;
}

static void address_space_limit(void **state)
{
	pid_t pid;
	int status;

	(void) state;
	if (RUNNING_ON_VALGRIND || AS_SANITIZER)
		skip();
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int ret = child_run();

		fflush(stdout);
		_exit(ret);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(address_space_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
