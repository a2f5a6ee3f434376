/*
 * purge.c - the purger thread, the decay on the free path, the shrinkers.
 *
 * The rule (DESIGN.md): purge is told, never called from below, and nothing
 * allocates or starts a thread while an allocator structure is half
 * changed. So the pool and the backends only return what they freed;
 * purge_notify runs at the end of the API's free slow path, when every
 * flush is done and no lock is held; and it never starts the purger
 * itself, because pthread_create allocates (glibc callocs the new thread's
 * TLS vector) and takes glibc's stack-cache lock, which glibc holds while
 * it frees a dead thread's TLS blocks. A free sets purge_thread_wanted
 * instead, and the next allocation slow path starts the thread
 * (purge_start_wanted), before it changes anything. Until then the free
 * path runs the decay itself, so nothing waits for the thread.
 *
 * The thread is not started at start-up: a process that never frees enough
 * to purge stays single-threaded (unshare(CLONE_NEWUSER), for one, refuses
 * a process with two threads).
 *
 * The thread waits on purger.wake until a free finds it idle, then scans
 * every shrinker each half delay until none has anything left, and waits
 * again: no wake-ups while there is nothing to do. It blocks every signal,
 * so the program's signals are never delivered to it.
 *
 * Background zeroing (purge.h has the promise): between scans the thread
 * clears what the shrinkers' zero hooks hold, batch after batch, once it
 * has waited ZERO_AGE_MS (10 ms): a block freed and allocated again soon (a
 * loop of malloc and free, a realloc chain) is still in the cache of the
 * thread that freed it, which clears it faster than this thread could from
 * another core (resident.c has the numbers), and in the meantime this one
 * would only have it out of reach. So the thread naps until the next scan,
 * or until the oldest memory waiting is that old; and a free that finds it
 * in its long nap while memory has waited that long wakes it.
 *
 * No lost wake-up: the thread sets purger_idle before its last look at the
 * shrinkers, and a free reads purger_idle after making memory purgeable;
 * each shrinker's lock orders the two, so one of them sees the other. The
 * free that asks for the thread leaves pending set for it. The same for a
 * long nap: the thread sets purger_napping before its last look at the
 * zero hooks (zero_oldest, sequentially consistent atomics), a free reads
 * it after it queued memory to clear. A free that finds the thread busy
 * pays two loads, and the clock while memory waits: if the oldest has
 * waited half the delay, the thread has fallen behind (or gets no core),
 * and the free clears what is that old itself.
 *
 * State: purger_state moves IDLE -> STARTING -> RUNNING or FAILED, once per
 * process (a forked child starts again at IDLE); purge_zeroing_on is true
 * only while it is RUNNING (and never under memcheck). Lock: purger.lock
 * guards pending; it is a leaf, never held while calling a shrinker (but
 * for zero_oldest, which takes no lock), and never held across
 * pthread_create (which may allocate); fork holds it (init.c's lock order)
 * so that the child resets the purger state in order after the thread's
 * last look. Clearing itself runs under the shrinkers' own locks, which
 * fork holds too, so no fork splits a block's clearing.
 */
#include "purge.h"

#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "os.h"
#include "util.h"
#include "vg.h"

enum purger_state { PURGER_IDLE, PURGER_STARTING, PURGER_RUNNING, PURGER_FAILED };

/*
 * Memory is cleared in the background once it has waited this long (ms): before that it is the
 * freeing thread's, for a reuse while it is hot. Stamps come from the coarse clock (os.h, a tick
 * of 4 ms here), so this is 10 to 14 ms in fact: long enough that a loop which frees and takes
 * back a block every few milliseconds never finds it being cleared (and waits), short enough
 * that a block left alone is cleared long before anyone could care.
 */
#define ZERO_AGE_MS 10

#define MAX_SHRINKERS 4

/* Registered at start-up only, then sealed (KZ_RO_AFTER_INIT). */

KZ_RO_AFTER_INIT static const struct shrinker *shrinkers[MAX_SHRINKERS];
KZ_RO_AFTER_INIT static size_t nr_shrinkers;

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool pending; /* a free woke the purger */
} purger = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};

static _Atomic int purger_state = PURGER_IDLE;
static atomic_bool purger_idle = true;
static _Atomic uint32_t purger_napping; /* 1 in the nap to the next scan: a free may end it */
static_assert(sizeof(purger_napping) == sizeof(uint32_t), "a futex word (os_wait)");
atomic_bool purge_thread_wanted;   /* a free found no thread: the next allocation starts it */
atomic_bool purge_zeroing_on;	   /* the thread runs and clears freed memory (purge.h) */
static _Atomic uint32_t last_pass; /* free-path decay: ms clock of the last pass */
/* Exit: the thread makes no pass once purge_exit has run, and purge_exit waits out one begun. */
static atomic_bool purger_exiting, purger_in_pass;

/* The purger's state is lock-free by design (the header comment says why no wake-up is lost). */
void purge_init(void)
{
	vg_atomics(&purger_state, sizeof(purger_state));
	vg_atomics(&purger_idle, sizeof(purger_idle));
	vg_atomics(&purger_napping, sizeof(purger_napping));
	vg_atomics(&purge_zeroing_on, sizeof(purge_zeroing_on));
	vg_atomics(&purge_thread_wanted, sizeof(purge_thread_wanted));
	vg_atomics(&last_pass, sizeof(last_pass));
	vg_atomics(&purger_exiting, sizeof(purger_exiting));
	vg_atomics(&purger_in_pass, sizeof(purger_in_pass));
}

void purge_register(const struct shrinker *shrinker)
{
	kz_assert(nr_shrinkers < MAX_SHRINKERS);
	shrinkers[nr_shrinkers++] = shrinker;
}

static size_t purge_pass(bool all)
{
	size_t bytes = 0;

	for (size_t i = nr_shrinkers; i-- > 0;)
		bytes += shrinkers[i]->scan(all);
	return bytes;
}

static bool purge_pending(void)
{
	for (size_t i = 0; i < nr_shrinkers; i++)
		if (shrinkers[i]->pending())
			return true;
	return false;
}

size_t purge_all(void)
{
	return purge_pass(true);
}

/* The free time of the oldest memory waiting for a zero hook; false if none waits. No lock. */
static bool zero_waiting(uint32_t *oldest)
{
	bool waiting = false;
	uint32_t stamp;

	for (size_t i = 0; i < nr_shrinkers; i++) {
		if (!shrinkers[i]->zero_oldest || !shrinkers[i]->zero_oldest(&stamp))
			continue;
		if (!waiting || (int32_t) (stamp - *oldest) < 0)
			*oldest = stamp;
		waiting = true;
	}
	return waiting;
}

/* One batch of every zero hook, of what waited @min_age ms or more; bytes cleared. */
static size_t zero_batch(uint32_t min_age)
{
	size_t bytes = 0;

	for (size_t i = 0; i < nr_shrinkers; i++)
		if (shrinkers[i]->zero)
			bytes += shrinkers[i]->zero(min_age);
	return bytes;
}

/* Batches until nothing that old is left; bytes cleared. */
static size_t zero_pass(uint32_t min_age)
{
	size_t bytes = 0, more;

	while ((more = zero_batch(min_age)) != 0)
		bytes += more;
	return bytes;
}

static void sleep_ms(uint32_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts))
		;
}

/*
 * One round of the thread's, unless the process is exiting: then the thread parks for good,
 * holding no lock (it has every signal blocked, so pause() never returns). Flags in Dekker's
 * order against purge_exit: each sets its own, then reads the other's. A round is a batch of
 * clearing, and a scan of every shrinker if @scan; whether anything was cleared.
 */
static bool purger_round(bool scan)
{
	bool cleared;

	atomic_store(&purger_in_pass, true);
	if (atomic_load(&purger_exiting)) {
		atomic_store(&purger_in_pass, false);
		for (;;)
			pause();
	}
	cleared = zero_batch(ZERO_AGE_MS) != 0;
	if (scan)
		purge_pass(false);
	atomic_store(&purger_in_pass, false);
	return cleared;
}

/*
 * Wait up to @ms for the next scan, or less while memory younger than ZERO_AGE_MS waits (until it
 * is that old); a free that finds the thread in the long nap wakes it when memory has waited that
 * long (os_wake on purger_napping: a futex, since glibc's timed condition wait trips helgrind).
 */
static void purger_nap(uint32_t ms)
{
	uint32_t oldest = 0;

	atomic_store(&purger_napping, 1);
	if (zero_waiting(&oldest)) {
		uint32_t age = os_now_ms() - oldest;
		uint32_t due = age < ZERO_AGE_MS ? ZERO_AGE_MS - age : 1;

		atomic_store(&purger_napping, 0);
		sleep_ms(due < ms ? due : ms);
		return;
	}
	os_wait(&purger_napping, 1, ms);
	atomic_store(&purger_napping, 0);
}

/*
 * Woken by a free: clear what has waited ZERO_AGE_MS, batch after batch, scan every half delay,
 * nap in between; after a scan that leaves no shrinker anything, idle again (so a free wakes the
 * thread at most once per half delay).
 */
static void *purge_thread(void *arg)
{
	uint32_t half = kz_opt.purge_delay_ms / 2 + 1, oldest = 0;

	(void) arg;
	for (;;) {
		uint32_t last;

		pthread_mutex_lock(&purger.lock);
		while (!purger.pending)
			pthread_cond_wait(&purger.wake, &purger.lock);
		purger.pending = false;
		pthread_mutex_unlock(&purger.lock);
		last = os_now_ms();
		for (;;) {
			uint32_t now = os_now_ms();
			bool scan = os_ms_elapsed(now, last, half);

			if (scan)
				last = now;
			if (purger_round(scan))
				continue;
			if (scan) {
				atomic_store(&purger_idle, true);
				if (!purge_pending() && !zero_waiting(&oldest))
					break;
				atomic_store(&purger_idle, false);
			}
			now = os_now_ms() - last;
			purger_nap(now < half ? half - now : 1);
		}
	}
	return NULL;
}

/* Start the thread with every signal blocked (it inherits our mask while we create it). */
static bool purger_start(void)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t thread;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 << 10);
	err = pthread_create(&thread, &attr, purge_thread, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return false;
	if (vg_memcheck) /* libc allocated its TLS for us, for as long as the process lives */
		vg_keep(os_thread_tls_block(thread));
	pthread_setname_np(thread, "kzmalloc-purge");
	return true;
}

static void purger_wake(void)
{
	pthread_mutex_lock(&purger.lock);
	purger.pending = true;
	pthread_cond_signal(&purger.wake);
	pthread_mutex_unlock(&purger.lock);
}

void purge_thread_start(void)
{
	int state = PURGER_IDLE;

	/* Cleared first: the allocations inside pthread_create find nothing to start. */
	atomic_store(&purge_thread_wanted, false);
	if (!atomic_compare_exchange_strong(&purger_state, &state, PURGER_STARTING))
		return;
	if (purger_start()) {
		atomic_store(&purger_state, PURGER_RUNNING);
		atomic_store(&purge_zeroing_on, !vg_memcheck);
	} else {
		atomic_store(&purger_state, PURGER_FAILED);
	}
	atomic_store(&purger_idle, false);
	purger_wake(); /* for the free that asked */
}

/*
 * No thread: every half delay, a free runs the pass the thread would have run, and clears what
 * waited half the delay for a thread that is gone (at exit, in a forked child).
 */
static void purge_on_free(void)
{
	uint32_t now = os_now_ms(), last = atomic_load_explicit(&last_pass, memory_order_relaxed);

	if (!os_ms_elapsed(now, last, kz_opt.purge_delay_ms / 2))
		return;
	if (atomic_compare_exchange_strong(&last_pass, &last, now)) {
		zero_pass(kz_opt.purge_delay_ms / 2);
		purge_pass(false);
	}
}

/*
 * The thread runs: wake it if it idles, or if it is in its long nap while memory has waited
 * ZERO_AGE_MS; and if the oldest has waited half the delay (the thread fell behind, or gets no
 * core), clear what is that old here.
 */
static void purge_tell_thread(void)
{
	uint32_t oldest = 0, now;

	/* Woken or not, memory overdue is cleared here: the thread may get no core for a while. */
	if (atomic_load(&purger_idle) && atomic_exchange(&purger_idle, false))
		purger_wake();
	if (!zero_waiting(&oldest))
		return;
	now = os_now_ms();
	if (os_ms_elapsed(now, oldest, ZERO_AGE_MS) && atomic_load(&purger_napping) &&
	    atomic_exchange(&purger_napping, 0))
		os_wake(&purger_napping);
	if (os_ms_elapsed(now, oldest, kz_opt.purge_delay_ms / 2))
		zero_pass(kz_opt.purge_delay_ms / 2);
}

void purge_exit(void)
{
	atomic_store(&purge_zeroing_on, false);
	atomic_store(&purger_exiting, true);
	/* Late frees (other destructors) run the decay themselves. */
	atomic_store(&purger_state, PURGER_FAILED);
	for (int i = 0; i < 1000 && atomic_load(&purger_in_pass); i++)
		sleep_ms(1);
}

void purge_notify(size_t nr_pages)
{
	int state;

	if (!nr_pages)
		return;
	if (kz_opt.purge_delay_ms == 0) {
		purge_pass(false);
		return;
	}
	state = atomic_load_explicit(&purger_state, memory_order_relaxed);
	if (state == PURGER_RUNNING) {
		purge_tell_thread();
		return;
	}
	if (state == PURGER_IDLE && kz_opt.purge_thread)
		atomic_store_explicit(&purge_thread_wanted, true, memory_order_relaxed);
	purge_on_free();
}

/* The purger thread did not come along: the next free asks for one again. */
void purge_fork_child(void)
{
	atomic_store(&purge_zeroing_on, false);
	pthread_cond_init(&purger.wake, NULL);
	purger.pending = false;
	atomic_store(&purger_idle, true);
	atomic_store(&purger_napping, 0);
	atomic_store(&purge_thread_wanted, false);
	/* Running, or being started by a thread that did not come along either. */
	if (atomic_load(&purger_state) != PURGER_FAILED)
		atomic_store(&purger_state, PURGER_IDLE);
}

pthread_mutex_t *purge_purger_lock(unsigned i)
{
	(void) i;
	return &purger.lock;
}
