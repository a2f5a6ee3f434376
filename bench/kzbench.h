/*
 * kzbench.h - Google Benchmark for benchmarks written in C.
 *
 * The C++ shim (kzbench.cc) owns main() and Google Benchmark; C files
 * register their cases from constructors (KZB_REGISTER) with a name, a
 * body, data for the body, arguments and a thread count, and the bodies
 * use the state loop through these functions:
 *
 *	static void pair(struct kzb_state *st)
 *	{
 *		long n = kzb_max_iterations(st);
 *
 *		while (kzb_keep_running_batch(st, n))
 *			... n iterations ...
 *		kzb_set_items_processed(st, kzb_iterations(st) * items_per_iteration);
 *	}
 *
 * A threaded case (threads > 0) runs its body in that many threads at once
 * and is timed in wall-clock time; every thread passes a barrier on the
 * way into and out of the loop, so code before the loop is set-up and code
 * after it is tear-down that no other thread's loop overlaps.
 */
#ifndef KZBENCH_H
#define KZBENCH_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kzb_state;
typedef void (*kzb_body)(struct kzb_state *st);

#define KZB_MAX_ARGS 4

struct kzb_benchmark {
	const char *name;	 /* static storage; arguments and threads are appended */
	kzb_body body;		 /* called once per measured run, per thread */
	const void *data;	 /* kzb_data() */
	long args[KZB_MAX_ARGS]; /* kzb_arg(); the first nargs are appended to the name */
	int nargs;
	int threads; /* 0: the calling thread, CPU time; > 0: that many threads */
};

/* Registers a case; the shim copies *b. Call before main (KZB_REGISTER). */
void kzb_register(const struct kzb_benchmark *b);

/* Runs fn(void) before main: a C file's self-registration. */
#define KZB_REGISTER(fn)                                                                           \
	static void fn(void) __attribute__((constructor));                                         \
	static void fn(void)

/* The state loop (Google Benchmark's KeepRunning and KeepRunningBatch). */
bool kzb_keep_running(struct kzb_state *st);
bool kzb_keep_running_batch(struct kzb_state *st, long n);
long kzb_max_iterations(const struct kzb_state *st);
long kzb_iterations(const struct kzb_state *st);

const void *kzb_data(const struct kzb_state *st);
long kzb_arg(const struct kzb_state *st, int i);
int kzb_thread_index(const struct kzb_state *st);
int kzb_threads(const struct kzb_state *st);

/* Allocator operations done by this thread: reported as items_per_second. */
void kzb_set_items_processed(struct kzb_state *st, long items);
/* Marks the run failed (an allocation returned NULL, say); the loop then ends. */
void kzb_skip_with_error(struct kzb_state *st, const char *message);

/* Makes the compiler assume *p is read: no malloc/free pair is elided. */
static inline void kzb_escape(void *p)
{
	__asm__ volatile("" : : "g"(p) : "memory");
}

#ifdef __cplusplus
}
#endif

#endif
