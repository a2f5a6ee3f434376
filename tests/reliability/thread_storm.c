/*
 * thread_storm.c - threads start and end all the time while others
 * allocate: rounds of 64 threads created and joined, with 8 MiB and with
 * 64 KiB stacks (glibc caches stacks and frees their TLS blocks at join,
 * under its stack-cache lock), each thread allocating a little, while two
 * threads allocate and free objects of every class, and pass some to each
 * other to free, for a fixed time (3 s; `thread_storm SECONDS`). Every
 * object keeps its pattern until it is freed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "rel.h"

enum { STORM = 64, LIVE = 256, BACKGROUND = 2 };

static atomic_bool stop;
static _Atomic(unsigned char *) mailbox[BACKGROUND][LIVE];

struct live {
	unsigned char *p;
	size_t size, tag;
};

static size_t next_random(size_t *state)
{
	*state = *state * 6364136223846793005u + 1442695040888963407u;
	return *state >> 33;
}

static void *brief(void *arg)
{
	size_t n = (size_t) arg, size = 32 + n * 61 % 3000;
	unsigned char *p = malloc(size), *q = calloc(1, 200);

	rel_check(p && q && q[199] == 0);
	rel_fill(p, size, n);
	rel_check(rel_intact(p, size, n));
	free(q);
	free(p);
	return NULL;
}

/* Objects freed by the other background thread carry size and tag in their first bytes. */
static void hand_over(size_t self, unsigned char *p)
{
	unsigned char *old = atomic_exchange(&mailbox[1 - self][(size_t) p % LIVE], p);

	free(old);
}

static void *background(void *arg)
{
	size_t self = (size_t) arg, rnd = self + 1, tag = 0;
	struct live live[LIVE] = {{0}};

	while (!atomic_load(&stop)) {
		struct live *l = &live[next_random(&rnd) % LIVE];

		if (l->p) {
			rel_check(rel_intact(l->p, l->size, l->tag));
			if (next_random(&rnd) % 4 == 0)
				hand_over(self, l->p);
			else
				free(l->p);
			l->p = NULL;
			continue;
		}
		l->size = 1 + next_random(&rnd) % (next_random(&rnd) % 8 ? 2048 : 200000);
		l->tag = tag++;
		l->p = malloc(l->size);
		rel_check(l->p != NULL);
		rel_fill(l->p, l->size, l->tag);
	}
	for (size_t i = 0; i < LIVE; i++)
		free(live[i].p);
	return NULL;
}

static void storm(size_t stack)
{
	pthread_t t[STORM];
	pthread_attr_t attr;

	rel_check(pthread_attr_init(&attr) == 0);
	rel_check(pthread_attr_setstacksize(&attr, stack) == 0);
	for (size_t i = 0; i < STORM; i++)
		rel_check(pthread_create(&t[i], &attr, brief, (void *) i) == 0);
	for (size_t i = 0; i < STORM; i++)
		rel_check(pthread_join(t[i], NULL) == 0);
	pthread_attr_destroy(&attr);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	pthread_t bg[BACKGROUND];
	struct timespec start, now;
	size_t rounds = 0;

	rel_time_limit((unsigned) seconds + 60);
	for (size_t i = 0; i < BACKGROUND; i++)
		rel_check(pthread_create(&bg[i], NULL, background, (void *) i) == 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		storm(rounds % 2 ? 64 << 10 : 8 << 20);
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((double) (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 <
		 seconds);
	atomic_store(&stop, true);
	for (size_t i = 0; i < BACKGROUND; i++)
		rel_check(pthread_join(bg[i], NULL) == 0);
	for (size_t b = 0; b < BACKGROUND; b++)
		for (size_t i = 0; i < LIVE; i++)
			free(atomic_load(&mailbox[b][i]));
	printf("thread_storm: %zu rounds of %d threads\n", rounds, STORM);
	return 0;
}
