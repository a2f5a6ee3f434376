/*
 * micro_threads.c - the threaded micro cases, at 1, 2, 4, 8 and 16 threads,
 * timed in wall-clock time; items_per_second is all threads' allocator
 * operations (one malloc and its free) per second.
 *
 *  churn     each thread replaces random objects of its own working set of
 *            1024 (16..1024 B): thread-local malloc and free.
 *  prodcons  each thread allocates objects (16..512 B) and hands every one
 *            to the next thread (a ring), which frees it: with 2 or more
 *            threads every free is on a thread other than the allocating
 *            one. Hand-over is a lock-free stack per thread whose links are
 *            in the objects; a producer waits while 4096 of its objects
 *            are not yet freed, or while it is 4096 objects further on than
 *            its consumer: the threads keep in step, so that none finishes
 *            early and leaves its producer without a consumer.
 *  larson    a server simulation after Larson and Krishnan: one shared array
 *            of 1024 slots per thread; each operation takes a random slot of
 *            the whole array, puts a new object of random size (16..1000 B,
 *            its first 64 bytes written, like a request buffer) in it and
 *            frees the one it held, which another thread allocated with
 *            probability (threads - 1) / threads.
 *
 * Set-up before the state loop and tear-down after it are outside the
 * timing; the shim's barriers order them against every thread's loop.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kzbench.h"

#define MAX_THREADS 64
#define SLOTS	    1024 /* per thread */
#define CACHE_LINE  64
#define HANDOFF_MAX 4096 /* objects a producer may be ahead of its consumer */

static const int thread_counts[] = {1, 2, 4, 8, 16};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t seed_for(const struct kzb_state *st)
{
	return 0x9e3779b97f4a7c15u * (uint64_t) (kzb_thread_index(st) + 1);
}

static void churn(struct kzb_state *st)
{
	void *slot[SLOTS];
	uint64_t seed = seed_for(st);
	long n = kzb_max_iterations(st);

	for (int i = 0; i < SLOTS; i++)
		slot[i] = malloc(16 + xorshift(&seed) % 1009);
	while (kzb_keep_running_batch(st, n)) {
		for (long i = 0; i < n; i++) {
			uint64_t r = xorshift(&seed);
			char *p = malloc(16 + (r >> 16) % 1009);

			if (!p) {
				kzb_skip_with_error(st, "allocation failed");
				break;
			}
			memset(p, 1, 16);
			free(slot[r % SLOTS]);
			slot[r % SLOTS] = p;
		}
	}
	for (int i = 0; i < SLOTS; i++)
		free(slot[i]);
	kzb_set_items_processed(st, kzb_iterations(st));
}

/* An object in hand-over: the link is in the object itself. */
struct handoff {
	struct handoff *next;
};

/* One per consumer; its only producer is the previous thread of the ring. */
struct inbox {
	_Atomic(struct handoff *) head;
	atomic_long freed __attribute__((aligned(CACHE_LINE))); /* by the consumer, this run */
	atomic_long sent; /* by the consumer, as the next one's producer: its progress */
	atomic_bool done; /* the consumer left its loop */
} __attribute__((aligned(CACHE_LINE)));

static struct inbox inbox[MAX_THREADS];

static void inbox_push(struct inbox *in, struct handoff *h)
{
	struct handoff *head = atomic_load_explicit(&in->head, memory_order_relaxed);

	do
		h->next = head;
	while (!atomic_compare_exchange_weak_explicit(&in->head, &head, h, memory_order_release,
						      memory_order_relaxed));
}

/* Frees everything waiting in the inbox (only its consumer calls this). */
static void inbox_drain(struct inbox *in)
{
	struct handoff *h = atomic_exchange_explicit(&in->head, NULL, memory_order_acquire);
	long freed = 0;

	while (h) {
		struct handoff *next = h->next;

		free(h);
		h = next;
		freed++;
	}
	atomic_fetch_add_explicit(&in->freed, freed, memory_order_relaxed);
}

/*
 * A producer waits (draining its own inbox, so a ring of waiting threads still
 * moves) while HANDOFF_MAX of its objects wait to be freed, and while it is
 * HANDOFF_MAX objects further on than its consumer. The first bound alone
 * lets the threads drift apart: a consumer frees all its inbox at each drain,
 * so its producer may run up to HANDOFF_MAX / 32 times faster, and where a
 * free costs more than a malloc the thread behind falls further behind. The
 * thread ahead then leaves its loop early, and its producer runs the rest of
 * its iterations with nobody freeing. The second bound keeps them in step: a
 * producer is at most HANDOFF_MAX (+ 32) objects short of the end when its
 * consumer leaves, so what is left in the inbox at the end stays bounded.
 * The thread furthest behind never waits on the second, so nobody deadlocks.
 */
static void prodcons(struct kzb_state *st)
{
	int self = kzb_thread_index(st);
	struct inbox *mine = &inbox[self];
	struct inbox *next = &inbox[(self + 1) % kzb_threads(st)];
	uint64_t seed = seed_for(st);
	long n = kzb_max_iterations(st);
	long sent = 0;

	atomic_store(&mine->freed, 0);
	atomic_store(&mine->sent, 0);
	atomic_store(&mine->done, false);
	while (kzb_keep_running_batch(st, n)) {
		for (long i = 0; i < n; i++) {
			struct handoff *h = malloc(16 + xorshift(&seed) % 497);

			if (!h) {
				kzb_skip_with_error(st, "allocation failed");
				break;
			}
			inbox_push(next, h);
			sent++;
			if (i % 32 == 0) {
				inbox_drain(mine);
				atomic_store_explicit(&mine->sent, sent, memory_order_relaxed);
			}
			while ((sent - atomic_load_explicit(&next->freed, memory_order_relaxed) >
					HANDOFF_MAX ||
				sent - atomic_load_explicit(&next->sent, memory_order_relaxed) >
					HANDOFF_MAX) &&
			       !atomic_load_explicit(&next->done, memory_order_relaxed)) {
				inbox_drain(mine);
				sched_yield();
			}
		}
		atomic_store(&mine->done, true);
	}
	/* Every producer has passed the closing barrier: what is left is final. */
	inbox_drain(mine);
	kzb_set_items_processed(st, kzb_iterations(st));
}

static _Atomic(void *) larson_slot[MAX_THREADS * SLOTS];

static void larson(struct kzb_state *st)
{
	int self = kzb_thread_index(st);
	long nslots = (long) kzb_threads(st) * SLOTS;
	uint64_t seed = seed_for(st);
	long n = kzb_max_iterations(st);

	for (long i = self * SLOTS; i < (self + 1) * SLOTS; i++)
		atomic_store(&larson_slot[i], malloc(16 + xorshift(&seed) % 985));
	while (kzb_keep_running_batch(st, n)) {
		for (long i = 0; i < n; i++) {
			uint64_t r = xorshift(&seed);
			size_t size = 16 + (r >> 32) % 985;
			char *p = malloc(size);

			if (!p) {
				kzb_skip_with_error(st, "allocation failed");
				break;
			}
			memset(p, 1, 64 < size ? 64 : size);
			free(atomic_exchange(&larson_slot[r % (uint64_t) nslots], p));
		}
	}
	for (long i = self * SLOTS; i < (self + 1) * SLOTS; i++)
		free(atomic_exchange(&larson_slot[i], NULL));
	kzb_set_items_processed(st, kzb_iterations(st));
}

KZB_REGISTER(micro_threads_register)
{
	for (size_t i = 0; i < sizeof(thread_counts) / sizeof(thread_counts[0]); i++) {
		int t = thread_counts[i];

		kzb_register(&(struct kzb_benchmark){.name = "churn", .body = churn, .threads = t});
		kzb_register(&(struct kzb_benchmark){
			.name = "prodcons", .body = prodcons, .threads = t});
		kzb_register(
			&(struct kzb_benchmark){.name = "larson", .body = larson, .threads = t});
	}
}
