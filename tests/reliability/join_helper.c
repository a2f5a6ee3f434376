/*
 * join_helper.c - glibc frees a joined thread's TLS blocks while it holds
 * its stack-cache lock (once its cached stacks pass 40 MiB); a free that
 * started the purger thread there (pthread_create takes the same lock)
 * hung for good. Main first fills its thread cache's stacks to the brim,
 * so that those frees flush and give slabs back; then a helper thread
 * creates eight threads with the default 8 MiB stacks and main joins
 * them, for several rounds (the sixth join hung); and the same in a child
 * forked from a thread of a threaded parent (CPython's
 * test_3_join_in_forked_from_thread).
 */
#include <pthread.h>
#include <semaphore.h>
#include <sys/wait.h>

#include "rel.h"

enum { THREADS = 8, ROUNDS = 12 };

static pthread_t workers[THREADS];
static sem_t created, joined;

/* The workers allocate nothing: their ends must not start the purger first. */
static void *work(void *arg)
{
	return arg;
}

/* Objects of every size to 512 B, all freed: each of those stacks (128 slots) full, none flushed.
 */
static void fill_thread_cache(void)
{
	enum { CAP = 128 };
	void *p[CAP];

	for (size_t size = 16; size <= 512; size += 16) {
		for (size_t i = 0; i < CAP; i++)
			rel_check((p[i] = malloc(size)) != NULL);
		for (size_t i = 0; i < CAP; i++)
			free(p[i]);
	}
}

/* Lives through every round (its own exit would flush its cache): creates, main joins. */
static void *spawn(void *arg)
{
	(void) arg;
	for (int round = 0; round < ROUNDS; round++) {
		for (size_t i = 0; i < THREADS; i++)
			rel_check(pthread_create(&workers[i], NULL, work, (void *) i) == 0);
		sem_post(&created);
		sem_wait(&joined);
	}
	return NULL;
}

static void joins_from_main(void)
{
	pthread_t helper;

	rel_check(sem_init(&created, 0, 0) == 0 && sem_init(&joined, 0, 0) == 0);
	fill_thread_cache();
	rel_check(pthread_create(&helper, NULL, spawn, NULL) == 0);
	for (int round = 0; round < ROUNDS; round++) {
		sem_wait(&created);
		for (size_t i = 0; i < THREADS; i++)
			rel_check(pthread_join(workers[i], NULL) == 0);
		sem_post(&joined);
	}
	rel_check(pthread_join(helper, NULL) == 0);
}

/* From a thread: fork; the child does the joins, the parent waits for it. */
static void *fork_and_join(void *arg)
{
	int status;
	pid_t pid;

	(void) arg;
	pid = fork();
	rel_check(pid >= 0);
	if (pid == 0) {
		joins_from_main();
		_exit(0);
	}
	rel_check(waitpid(pid, &status, 0) == pid);
	rel_check(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return NULL;
}

int main(void)
{
	pthread_t t;

	rel_time_limit(60);
	joins_from_main();
	for (int i = 0; i < 4; i++) {
		rel_check(pthread_create(&t, NULL, fork_and_join, NULL) == 0);
		rel_check(pthread_join(t, NULL) == 0);
	}
	return 0;
}
