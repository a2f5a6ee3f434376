/*
 * stress.c - kzwork's threaded stress, after mimalloc-bench's mstress
 * (mimalloc's test/test-stress.c): rounds of threads that are created, run
 * and exit, allocating a long tail of sizes, trading objects through a
 * shared array and keeping some for their whole life.
 *
 *   kzwork mstress [SCALE]
 *
 * Each of STRESS_ROUNDS rounds starts STRESS_THREADS threads and joins
 * them. A thread takes 4000..16000 steps (times SCALE; some threads do four
 * times what others do); a step allocates an object, three in four kept in
 * the thread's working set and one in four retained until the thread exits,
 * then with probability 2/3 frees a random object of the working set and
 * with probability 1/4 swaps one for an object in the shared transfer array
 * (STRESS_TRANSFERS slots, atomic exchange), which another thread, or a
 * thread of a later round, frees. Between rounds the main thread frees each
 * transfer slot with probability 1/2, so objects of threads that exited are
 * freed elsewhere and the rest live on into the next round.
 *
 * Sizes have a long tail: 16..255 B (85%), up to 4 KiB (14%), up to 64 KiB
 * (0.9%), up to 512 KiB (0.1%). Every object is written in full and checked
 * when freed (its size in its first word, a byte of it in its last), so an
 * allocator that hands out overlapping memory fails the run. The peak live
 * size is not counted: counting it would put one shared atomic in every
 * step. Each thread's sequence of sizes and choices comes from a seed of
 * its round and index; which objects it is handed depends on the schedule.
 */
#include "stress.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRESS_THREADS	 16
#define STRESS_ROUNDS	 20
#define STRESS_TRANSFERS 1024
#define KiB		 ((size_t) 1024)

static _Atomic(uint64_t *) transfer[STRESS_TRANSFERS];
static double stress_scale;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t stress_size(uint64_t r)
{
	unsigned pick = (unsigned) (r % 1000);
	uint64_t x = r >> 16;

	if (pick == 0)
		return 64 * KiB + x % (448 * KiB);
	if (pick < 10)
		return 4 * KiB + x % (60 * KiB);
	if (pick < 150)
		return 256 + x % (4 * KiB - 256);
	return 16 + x % 240;
}

static void stress_fail(const char *what)
{
	fprintf(stderr, "kzwork mstress: %s\n", what);
	exit(1);
}

/* An object of size bytes, written in full: its size first, then a byte of the size. */
static uint64_t *stress_alloc(size_t size)
{
	uint64_t *p = malloc(size);

	if (!p)
		stress_fail("out of memory");
	memset(p, (int) (size & 0xff), size);
	p[0] = size;
	return p;
}

static void stress_free(uint64_t *p)
{
	size_t size;

	if (!p)
		return;
	size = p[0];
	if (size < 16 || size > 512 * KiB || ((unsigned char *) p)[size - 1] != (size & 0xff))
		stress_fail("an object was overwritten");
	free(p);
}

static void *stress_thread(void *arg)
{
	uintptr_t id = (uintptr_t) arg; /* round * STRESS_THREADS + thread */
	uint64_t seed = 0x9e3779b97f4a7c15u * (id + 1);
	long steps = (long) (4000 * stress_scale * (double) (1 + id % 4));
	uint64_t **data = calloc((size_t) steps + 1, sizeof(*data));
	uint64_t **retained = calloc((size_t) steps + 1, sizeof(*retained));
	long ndata = 0, nretained = 0;

	if (!data || !retained)
		stress_fail("out of memory");
	for (long i = 0; i < steps; i++) {
		uint64_t r = xorshift(&seed);
		uint64_t *p = stress_alloc(stress_size(xorshift(&seed)));

		if (r % 4)
			data[ndata++] = p;
		else
			retained[nretained++] = p;
		if (ndata && (r >> 8) % 3 < 2) {
			long k = (long) ((r >> 16) % (uint64_t) ndata);

			stress_free(data[k]);
			data[k] = NULL;
		}
		if (ndata && (r >> 32) % 4 == 0) {
			long k = (long) ((r >> 40) % (uint64_t) ndata);
			_Atomic(uint64_t *) *slot = &transfer[xorshift(&seed) % STRESS_TRANSFERS];

			data[k] = atomic_exchange(slot, data[k]);
		}
	}
	for (long i = 0; i < nretained; i++)
		stress_free(retained[i]);
	for (long i = 0; i < ndata; i++)
		stress_free(data[i]);
	free(retained);
	free(data);
	return NULL;
}

void stress_mstress(double scale)
{
	pthread_t thread[STRESS_THREADS];
	uint64_t seed = 0x2545f4914f6cdd1du;

	stress_scale = scale;
	for (uintptr_t round = 0; round < STRESS_ROUNDS; round++) {
		for (uintptr_t t = 0; t < STRESS_THREADS; t++)
			if (pthread_create(&thread[t], NULL, stress_thread,
					   (void *) (round * STRESS_THREADS + t)))
				stress_fail("pthread_create failed");
		for (int t = 0; t < STRESS_THREADS; t++)
			pthread_join(thread[t], NULL);
		for (int i = 0; i < STRESS_TRANSFERS; i++)
			if (xorshift(&seed) % 2)
				stress_free(atomic_exchange(&transfer[i], NULL));
	}
	for (int i = 0; i < STRESS_TRANSFERS; i++)
		stress_free(atomic_exchange(&transfer[i], NULL));
}
