/*
 * threads.c - the malloc family from several threads at once, for helgrind
 * (and DRD): four workers allocate objects of every kind (class objects of
 * many sizes, runs of pages, a huge mapping now and then), pass half of
 * them to the next worker through a mailbox under a mutex, and free what
 * they receive; workers exit and are replaced, so thread caches are
 * created and flushed at exit; the purger thread runs meanwhile. Every
 * object is written by the allocating thread and checked by the freeing
 * one, so a race inside kzmalloc (an object handed to two threads, a cache
 * reused without ordering) shows up as a report or a wrong byte.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WORKERS = 4, GENERATIONS = 3, OPS = 1500, MAILBOX = 16 };

struct mailbox {
	pthread_mutex_t lock;
	void *slot[MAILBOX];
	size_t size[MAILBOX];
	unsigned count;
};

static struct mailbox boxes[WORKERS];
static int failed;
static pthread_mutex_t failed_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char *what)
{
	pthread_mutex_lock(&failed_lock);
	failed = 1;
	pthread_mutex_unlock(&failed_lock);
	fprintf(stderr, "threads: %s\n", what);
}

static size_t size_of(uint64_t r)
{
	switch (r % 16) {
	case 0:
		return 200 * 1024 + r % 4096; /* a run of pages */
	case 1:
		return r % 64 ? 20000 : 5 << 20; /* rarely, a huge mapping */
	default:
		return 1 + r % 2048; /* class objects */
	}
}

static void *fill(size_t size, unsigned char c)
{
	unsigned char *p = malloc(size);

	if (!p)
		fail("malloc failed");
	else
		memset(p, c, size);
	return p;
}

static void check_free(void *p, size_t size)
{
	const unsigned char *b = p;

	if (b[0] != b[size - 1] || b[0] != b[size / 2])
		fail("an object changed under its owner");
	free(p);
}

static void *worker(void *arg)
{
	unsigned id = (unsigned) (uintptr_t) arg;
	struct mailbox *mine = &boxes[id], *next = &boxes[(id + 1) % WORKERS];
	uint64_t r = 0x9e3779b97f4a7c15ULL * (id + 1);

	for (unsigned op = 0; op < OPS; op++) {
		size_t size;
		void *p;

		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		size = size_of(r);
		p = fill(size, (unsigned char) r);
		if (!p)
			break;
		if (op % 2) {
			check_free(p, size);
			continue;
		}
		pthread_mutex_lock(&next->lock);
		if (next->count < MAILBOX) {
			next->slot[next->count] = p;
			next->size[next->count++] = size;
			p = NULL;
		}
		pthread_mutex_unlock(&next->lock);
		if (p)
			check_free(p, size);
		pthread_mutex_lock(&mine->lock);
		while (mine->count) {
			mine->count--;
			check_free(mine->slot[mine->count], mine->size[mine->count]);
		}
		pthread_mutex_unlock(&mine->lock);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[WORKERS];

	for (unsigned i = 0; i < WORKERS; i++)
		pthread_mutex_init(&boxes[i].lock, NULL);
	for (unsigned gen = 0; gen < GENERATIONS; gen++) {
		for (unsigned i = 0; i < WORKERS; i++)
			if (pthread_create(&t[i], NULL, worker, (void *) (uintptr_t) i))
				return 2;
		for (unsigned i = 0; i < WORKERS; i++)
			pthread_join(t[i], NULL);
	}
	for (unsigned i = 0; i < WORKERS; i++)
		while (boxes[i].count) {
			boxes[i].count--;
			check_free(boxes[i].slot[boxes[i].count], boxes[i].size[boxes[i].count]);
		}
	puts(failed ? "threads: failed" : "threads: ok");
	return failed;
}
