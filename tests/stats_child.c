/*
 * stats_child.c - known work for the report's tests (stats_test.sh): it prints its PID (and a
 * forked child's) on stdout, then exits, and kzmalloc reports at exit. Linked with the static
 * library and calling only the kz_ names, so that nothing else allocates from kzmalloc and the
 * counters can be checked exactly:
 *   counts   100 kz_malloc(40) and one kz_malloc(300000), all freed: 101 mallocs, 101 frees,
 *            304000 bytes requested, and kmalloc-48 holds no active object although the thread
 *            cache keeps the 100 objects;
 *   threads  two rounds of four threads, each 1000 kz_malloc(64) and kz_free: 8000 of each, all
 *            from exited threads (the second round reuses the first round's caches);
 *   fork     3 kz_malloc(100) and frees before a fork, then 7 in the child and 5 in the parent
 *            (each its own report: the child's counts start at the fork);
 *   chdir    one kz_malloc(16) and free, then chdir to the directory in argv[2] before exit (a
 *            relative KZMALLOC_STATS=FILE stays in the directory of start-up);
 *   huge     a 64 MiB block and a 1 MiB one live at once, freed, and kz_trim: the peak in use
 *            counts the mapping's pages with the pool's, and the mapping is given back
 *            (unmapped) by the trim.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kzmalloc.h"

static int churn(unsigned n, size_t size)
{
	void *p[128];

	for (unsigned i = 0; i < n; i++)
		if (!(p[i % 128] = kz_malloc(size)))
			return 1;
		else
			kz_free(p[i % 128]);
	return 0;
}

static int counts(void)
{
	void *small[100], *large;

	for (unsigned i = 0; i < 100; i++)
		if (!(small[i] = kz_malloc(40)))
			return 1;
	if (!(large = kz_malloc(300000)))
		return 1;
	for (unsigned i = 0; i < 100; i++)
		kz_free(small[i]);
	kz_free(large);
	return 0;
}

static void *thread_churn(void *arg)
{
	(void) arg;
	return churn(1000, 64) ? arg : NULL;
}

static int threads(void)
{
	for (unsigned round = 0; round < 2; round++) {
		pthread_t t[4];

		for (unsigned i = 0; i < 4; i++)
			if (pthread_create(&t[i], NULL, thread_churn, NULL))
				return 1;
		for (unsigned i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
	}
	return 0;
}

static int forked(void)
{
	int status;
	pid_t child;

	if (churn(3, 100))
		return 1;
	fflush(stdout);
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0)
		return churn(7, 100);
	printf("%ld %ld\n", (long) getpid(), (long) child);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	return churn(5, 100);
}

static int huge(void)
{
	char *map = kz_malloc((size_t) 64 << 20), *run = kz_malloc((size_t) 1 << 20);

	if (!map || !run)
		return 1;
	kz_free(map);
	kz_free(run);
	kz_trim();
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "counts";

	if (!strcmp(mode, "fork"))
		return forked();
	printf("%ld\n", (long) getpid());
	if (!strcmp(mode, "threads"))
		return threads();
	if (!strcmp(mode, "huge"))
		return huge();
	if (!strcmp(mode, "chdir"))
		return churn(1, 16) || argc < 3 || chdir(argv[2]);
	return counts();
}
