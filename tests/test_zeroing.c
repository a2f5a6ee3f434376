/*
 * test_zeroing.c - background zeroing (purge.h): while the purger thread
 * runs, freed page runs and cached mappings are cleared by it, off the
 * freeing thread, and nothing handed out ever holds an earlier block's
 * bytes. The case is the first argument (ctest runs each):
 *
 *   accounting  a dirty run freed waits on the zero queue (the pool counts
 *               its pages dirty) and, with no allocation, the purger clears
 *               it within half the purge delay: pages_dirty falls back,
 *               pages_zeroed rises by as many, the stale pointer reads zero;
 *               the same for a mapping; buddy_verify at every step (the
 *               queue and its counts, no block left isolated)
 *   extend      realloc grows a run in place while the pages after it are
 *               free; what it grows into reads zero, dirty before or not
 *   reuse       runs and mappings of random sizes, filled whole or in
 *               stripes, freed, allocated again after random pauses, so
 *               that each comes back cleared by the purger, by the
 *               allocation, or partly each: always zero
 *   race        threads allocating, checking, filling and freeing runs and
 *               mappings while the purger clears behind them, and the main
 *               thread runs buddy_verify: every block handed out reads zero
 *   fork        fork while threads free dirty runs and mappings, so the
 *               purger is clearing at the fork: the child's pool verifies,
 *               its blocks read zero, the free pages of a block freed just
 *               before the fork read zero within half the delay (the
 *               thread did not come along), and nothing hangs
 *   clearing    (ctest: no purger thread) a dirty chunk freed to the zero
 *               queue, its first page made read-only here, so that the zero
 *               hook, run by a free once the chunk has waited half the
 *               delay, stops in this program's SIGSEGV handler in the
 *               middle of its clear: the pool must still report the chunk
 *               waiting since its free (buddy_zero_oldest), so that a free
 *               that finds it overdue waits for the clear (purge.h) instead
 *               of leaving its old bytes readable (the wait only makes the
 *               chunk overdue; the fault, not a race, stops the clear)
 *   purging     (ctest: no purger thread) dirty chunks on the zero queue
 *               past the whole delay, purged by a pass (madvise, the pool
 *               lock dropped) while a thread looks under the pool lock: a
 *               queued chunk off the queue must keep it reported waiting
 *
 * ctest sets KZMALLOC_PURGE_DELAY=400, so that half the delay is 200 ms.
 * The seed is printed; KZ_TEST_SEED replays it. Under memcheck the purger
 * does not clear (purge.h), and the cases check the same promises of
 * clearing at free.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "buddy.h"
#include "kztest.h"
#include "options.h"
#include "pagemap.h"
#include "purge.h"

#define KIB ((size_t) 1 << 10)
#define MIB ((size_t) 1 << 20)

enum { THREADS = 3, LIVE = 6, CHILD_ALARM_S = 20 };

static uint64_t seed;

/* Hide a pointer from the optimizer (the kz_ prototypes carry alloc_size). */
static void *opaque(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

/* Fill a block whole (@how 0), one page in three (1), or its first and last pages (2). */
static void fill(char *p, size_t len, unsigned how, uint64_t id)
{
	if (how == 0) {
		kzt_fill(p, len, id);
	} else if (how == 1) {
		for (size_t off = 0; off < len; off += 3 * KZ_PAGE_SIZE)
			memset(p + off, (int) (id | 1), len - off < KZ_PAGE_SIZE ? len - off : 64);
	} else {
		memset(p, 0x5a, len < KZ_PAGE_SIZE ? len : KZ_PAGE_SIZE);
		memset(p + len - (len < KZ_PAGE_SIZE ? len : KZ_PAGE_SIZE), 0xa5,
		       len < KZ_PAGE_SIZE ? len : KZ_PAGE_SIZE);
	}
}

/* A large or huge size: 128 KiB to 4 MiB mostly, up to 24 MiB at times. */
static size_t random_size(uint64_t *rng)
{
	uint64_t r = kzt_rand(rng);

	if (r % 4 == 0)
		return 4 * MIB + 1 + (size_t) (kzt_rand(rng) % (20 * MIB));
	return 128 * KIB + 1 + (size_t) (kzt_rand(rng) % (4 * MIB - 128 * KIB - 1));
}

/* Start the purger thread: a free that leaves memory, then an allocation slow path. */
static void purger_started(void)
{
	kz_free(kz_malloc(1 * MIB));
	kz_free(kz_malloc(1 * MIB));
	print_message("background zeroing %s\n", purge_zeroing() ? "on" : "off (clearing at free)");
}

/* Wait up to half the purge delay (and a little more) for @cond(@arg); whether it came. */
static bool wait_half_delay(bool (*cond)(const void *arg), const void *arg)
{
	double t0 = kzt_now_ms();

	while (!cond(arg))
		if (kzt_now_ms() - t0 < kz_opt.purge_delay_ms / 2.0 + 50)
			usleep(1000);
		else
			return cond(arg);
	return true;
}

/* A block to read through a stale pointer: where, how long. */
struct span {
	const char *p;
	size_t len;
};

static bool span_zero(const void *arg)
{
	const struct span *s = arg;

	return kzt_is_zero(s->p, s->len);
}

/* Is the pool page at @addr in a free block (the page map and descriptors, read unlocked)? */
static bool page_is_free(const char *addr)
{
	struct kz_page *page = pagemap_page(addr), *base;
	size_t idx;

	if (!page)
		return false;
	base = page_chunk(page)->pages;
	idx = page_index(page);
	for (unsigned order = 0; order <= KZ_MAX_ORDER; order++) {
		size_t first = idx & ~(((size_t) 1 << order) - 1);
		const struct kz_page *head = &base[first];

		if ((head->flags & (PG_HEAD | PG_FREE)) == (PG_HEAD | PG_FREE) &&
		    first + ((size_t) 1 << head->order) > idx)
			return true;
	}
	return false;
}

/*
 * The pages of a stale block that are in free blocks read zero: other threads may have been
 * handed parts of it again (their bytes are theirs), never a free page with old bytes.
 */
static bool span_free_pages_zero(const void *arg)
{
	const struct span *s = arg;

	for (size_t off = 0; off < s->len; off += KZ_PAGE_SIZE)
		if (page_is_free(s->p + off) && !kzt_is_zero(s->p + off, KZ_PAGE_SIZE))
			return false;
	return true;
}

static size_t pool_dirty(void)
{
	struct kz_pool_stats st;

	kz_get_pool_stats(&st);
	return st.pages_dirty;
}

static size_t pool_zeroed(void)
{
	struct kz_pool_stats st;

	kz_get_pool_stats(&st);
	return st.pages_zeroed;
}

static bool pool_dirty_is(const void *arg)
{
	return pool_dirty() == *(const size_t *) arg;
}

/*
 * A dirty 1 MiB run freed: queued, counted dirty, then cleared by the purger with no allocation
 * in between; a 6 MiB mapping freed: cleared in its cache. A small run stays allocated next to
 * the first so that its chunk is never wholly free (and unmapped) while the test reads it.
 */
static void accounting(void **state)
{
	const size_t size = 1 * MIB, huge = 6 * MIB;
	size_t dirty0, zeroed0;
	char *keep, *p, *h;

	(void) state;
	purger_started();
	kz_trim();
	keep = kz_malloc(200 * KIB);
	p = kz_malloc(size);
	h = kz_malloc(huge);
	assert_non_null(keep);
	assert_non_null(p);
	assert_non_null(h);
	buddy_verify();
	dirty0 = pool_dirty();
	zeroed0 = pool_zeroed();
	memset(p, 0x77, size);
	memset(h, 0x77, huge);
	kz_free(opaque(p));
	kz_free(opaque(h));
	buddy_verify();
	if (purge_zeroing()) {
		/* Either still waiting (counted dirty) or already cleared (counted zeroed). */
		assert_true(pool_dirty() + pool_zeroed() >= dirty0 + zeroed0 + size / KZ_PAGE_SIZE);
		if (!wait_half_delay(pool_dirty_is, &dirty0))
			fail_msg("%zu pages still dirty half the purge delay after the free",
				 pool_dirty() - dirty0);
		assert_true(pool_zeroed() >= zeroed0 + size / KZ_PAGE_SIZE);
	} else {
		assert_int_equal(pool_dirty(), dirty0);
	}
	buddy_verify();
	/* memcheck reports reads of freed blocks, rightly */
	if (!RUNNING_ON_VALGRIND && (!wait_half_delay(span_zero, &(struct span){opaque(p), size}) ||
				     !wait_half_delay(span_zero, &(struct span){opaque(h), huge})))
		fail_msg("freed blocks hold old bytes half the purge delay after the free");
	p = kz_malloc(size);
	h = kz_malloc(huge);
	assert_non_null(p);
	assert_non_null(h);
	assert_true(kzt_is_zero(p, size));
	assert_true(kzt_is_zero(h, huge));
	kz_free(p);
	kz_free(h);
	kz_free(keep);
	buddy_verify();
}

/*
 * realloc from 256 KiB up to a chunk, by doubling; whether each step stayed in place (counted in
 * @in_place); what it grew into reads zero past the old end.
 */
static void grow_by_doubling(unsigned *in_place, unsigned *steps)
{
	const size_t top = 4 * MIB - 64 * KIB;
	char *p = kz_malloc(256 * KIB), *q;

	assert_non_null(p);
	memset(p, 0x11, 256 * KIB);
	for (size_t size = 512 * KIB, old = 256 * KIB; old < top; old = size, size *= 2) {
		if (size > top)
			size = top;
		q = kz_realloc(p, size);
		assert_non_null(q);
		*in_place += q == p;
		++*steps;
		for (size_t i = 0; i < old; i += KZ_PAGE_SIZE)
			assert_int_equal(q[i], 0x11);
		if (!kzt_is_zero(q + old, size - old))
			fail_msg("realloc to %zu KiB: old bytes past the old end", size / KIB);
		memset(q + old, 0x11, size - old);
		p = q;
		buddy_verify();
	}
	kz_free(p);
	buddy_verify();
}

/*
 * In a chunk of its own, clean (after kz_trim): every step grows in place. Then into pages all
 * written and freed just before, queued dirty (or being cleared: then the step may move): zero.
 */
static void extend(void **state)
{
	unsigned in_place = 0, steps = 0;
	char *dirt;

	(void) state;
	purger_started();
	kz_trim();
	grow_by_doubling(&in_place, &steps);
	assert_int_equal(in_place, steps);
	kz_trim();
	dirt = kz_malloc(4 * MIB - 64 * KIB);
	assert_non_null(dirt);
	memset(dirt, 0xee, 4 * MIB - 64 * KIB);
	kz_free(opaque(dirt));
	in_place = steps = 0;
	grow_by_doubling(&in_place, &steps);
	print_message("into dirty pages: %u of %u steps in place\n", in_place, steps);
}

/* Random sizes, fills and pauses; every block handed out reads zero. */
static void reuse(void **state)
{
	uint64_t rng = seed;
	unsigned rounds = 300 / kzt_scale();
	char *p[LIVE] = {0};
	size_t size[LIVE] = {0};

	(void) state;
	purger_started();
	for (unsigned round = 0; round < rounds; round++) {
		unsigned k = (unsigned) (kzt_rand(&rng) % LIVE);

		kz_free(p[k]);
		size[k] = random_size(&rng);
		p[k] = kz_malloc(size[k]);
		assert_non_null(p[k]);
		if (!kzt_is_zero(p[k], size[k]))
			fail_msg("round %u: a %zu KiB block handed out holds old bytes", round,
				 size[k] / KIB);
		fill(p[k], size[k], (unsigned) (kzt_rand(&rng) % 3), round);
		if (kzt_rand(&rng) % 8 == 0)
			usleep((useconds_t) (kzt_rand(&rng) % 8000));
		if (round % 50 == 0)
			buddy_verify();
	}
	for (unsigned k = 0; k < LIVE; k++)
		kz_free(p[k]);
	buddy_verify();
}

static atomic_bool stop;
static atomic_uint bad_blocks;

/* Allocate, check, fill, free, until told to stop; old bytes in a block handed out are counted. */
static void *churn_run(void *arg)
{
	uint64_t rng = seed ^ (uintptr_t) arg;
	char *p[LIVE / 2] = {0};

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned k = (unsigned) (kzt_rand(&rng) % (LIVE / 2));
		size_t size = random_size(&rng);

		kz_free(p[k]);
		p[k] = kz_malloc(size);
		if (!p[k])
			continue;
		if (!kzt_is_zero(p[k], size))
			atomic_fetch_add(&bad_blocks, 1);
		fill(p[k], size, (unsigned) (kzt_rand(&rng) % 3), (uintptr_t) arg);
		if (kzt_rand(&rng) % 4 == 0)
			usleep((useconds_t) (kzt_rand(&rng) % 3000));
	}
	for (unsigned k = 0; k < LIVE / 2; k++)
		kz_free(p[k]);
	return NULL;
}

static void start_churn(pthread_t *threads)
{
	atomic_store(&stop, false);
	atomic_store(&bad_blocks, 0);
	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, churn_run, (void *) (i + 1)), 0);
}

static void stop_churn(pthread_t *threads)
{
	atomic_store(&stop, true);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
}

static void race(void **state)
{
	pthread_t threads[THREADS];
	double t0 = kzt_now_ms(), ms = 3000.0 / kzt_scale();
	unsigned verified = 0;

	(void) state;
	purger_started();
	start_churn(threads);
	while (kzt_now_ms() - t0 < ms) {
		usleep(20000);
		buddy_verify();
		verified++;
	}
	stop_churn(threads);
	print_message("%u pool verifications under the race\n", verified);
	assert_int_equal(atomic_load(&bad_blocks), 0);
	buddy_verify();
}

/*
 * The child: the pool verifies; blocks of every kind read zero (all allocated before the first
 * free, so that no allocation after a free starts a purger thread in the child, which
 * ThreadSanitizer cannot follow across fork); the free pages of the block freed just before the
 * fork read zero within half the delay (the thread did not come along: the free-path decay, or
 * a new thread, clears them), or, under ThreadSanitizer, after kz_trim; elsewhere a thread of its
 * own allocates too. All within the alarm.
 */
static int child_run(const char *stale, size_t stale_size)
{
	static const size_t sizes[] = {200 * KIB, 1 * MIB, 3 * MIB, 5 * MIB, 12 * MIB};
	const struct span span = {stale, stale_size};
	char *p[sizeof(sizes) / sizeof(sizes[0])];
	pthread_t t;

	VALGRIND_CLO_CHANGE("--leak-check=no");
	alarm(CHILD_ALARM_S);
	buddy_verify();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p[i] = kz_malloc(sizes[i]);
		if (!p[i])
			return 2;
		if (!kzt_is_zero(p[i], sizes[i]))
			return 3;
		memset(p[i], 0x33, sizes[i]);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		kz_free(p[i]);
	buddy_verify();
	if (KZT_TSAN) {
		kz_trim();
		return span_free_pages_zero(&span) ? 0 : 4;
	}
	kz_free(kz_malloc(1 * MIB));
	if (!RUNNING_ON_VALGRIND && !wait_half_delay(span_free_pages_zero, &span)) {
		kz_free(kz_malloc(1 * MIB)); /* the free-path decay, if no thread got to it */
		if (!span_free_pages_zero(&span))
			return 4;
	}
	if (pthread_create(&t, NULL, churn_run, (void *) 9) != 0)
		return 5;
	usleep(20000);
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	buddy_verify();
	return atomic_load(&bad_blocks) ? 6 : 0;
}

static void fork_while_clearing(void **state)
{
	pthread_t threads[THREADS];
	unsigned rounds = 40 / kzt_scale(), failed = 0, hung = 0, round;
	char *keep = kz_malloc(100 * KIB);

	(void) state;
	assert_non_null(keep);
	purger_started();
	start_churn(threads);
	for (round = 0; round < rounds; round++) {
		size_t size = 2 * MIB;
		char *stale = kz_malloc(size);
		int status;
		pid_t pid;

		assert_non_null(stale);
		memset(stale, 0x44, size);
		kz_free(opaque(stale));
		pid = fork();
		if (pid == 0)
			_exit(child_run(stale, size));
		if (pid < 0 || waitpid(pid, &status, 0) != pid) {
			failed++;
			continue;
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
			hung++;
			break;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			print_message("child %u: %s %d\n", round,
				      WIFEXITED(status) ? "exit" : "signal",
				      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			failed++;
		}
	}
	stop_churn(threads);
	kz_free(keep);
	print_message("%u forks: %u children hung, %u failed otherwise\n", round, hung, failed);
	assert_int_equal(hung, 0);
	assert_int_equal(failed, 0);
	assert_int_equal(atomic_load(&bad_blocks), 0);
	buddy_verify();
}

/* What the SIGSEGV handler saw in the middle of the zero hook's clear. */
static struct {
	char *page; /* the read-only page: the first the clear writes */
	struct kz_page *head;
	volatile sig_atomic_t hits, isolated, waiting;
	uint32_t oldest;
} trap;

/* A write to trap.page: note what the pool says, make the page writable, let the clear go on. */
static void trap_write(int sig, siginfo_t *info, void *context)
{
	const char *addr = info->si_addr;
	uint32_t oldest = 0;

	(void) context;
	if (addr < trap.page || addr >= trap.page + KZ_PAGE_SIZE) {
		struct sigaction dfl = {.sa_handler = SIG_DFL};

		sigaction(sig, &dfl, NULL); /* not ours: the same fault again, fatal */
		return;
	}
	trap.hits++;
	trap.isolated = (trap.head->flags & PG_ISOLATED) != 0;
	trap.waiting = buddy_zero_oldest(&oldest);
	trap.oldest = oldest;
	mprotect(trap.page, KZ_PAGE_SIZE, PROT_READ | PROT_WRITE);
}

/*
 * A whole chunk (no buddy to merge with) freed dirty to the zero queue, its first page read-only;
 * after half the delay a free runs the zero hook (the free-path decay: no thread), which faults
 * on that page with the chunk isolated, purge_lock held and the pool lock dropped.
 */
static void clearing_still_waits(void **state)
{
	struct sigaction sa = {.sa_sigaction = trap_write, .sa_flags = SA_SIGINFO}, old;
	uint32_t stamp, oldest;
	struct kz_page *head;
	char *trigger, *p;

	(void) state;
	if (RUNNING_ON_VALGRIND || purge_zeroing()) {
		print_message("skipped: %s\n",
			      RUNNING_ON_VALGRIND ? "under Valgrind" : "the purger thread runs");
		return;
	}
	trigger = kz_malloc(1 * MIB); /* allocated first: no allocation takes the queued chunk */
	assert_non_null(trigger);
	head = buddy_alloc(KZ_CHUNK_PAGES, 0, KIND_LARGE);
	assert_non_null(head);
	p = page_address(head);
	memset(p, 0x5a, KZ_CHUNK_SIZE);
	assert_int_equal(buddy_free_to_zero(head, KZ_CHUNK_PAGES, KIND_LARGE, BUDDY_DIRTY),
			 BUDDY_OK);
	stamp = head->free.stamp;
	assert_true(buddy_zero_oldest(&oldest));
	assert_true((int32_t) (oldest - stamp) <= 0);
	buddy_verify();
	trap.page = p;
	trap.head = head;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
	assert_int_equal(mprotect(p, KZ_PAGE_SIZE, PROT_READ), 0);
	usleep((useconds_t) (kz_opt.purge_delay_ms / 2 + 20) * 1000);
	kz_free(trigger); /* purge_notify: the decay clears what waited half the delay */
	assert_int_equal(sigaction(SIGSEGV, &old, NULL), 0);
	assert_int_equal(trap.hits, 1);
	assert_true(trap.isolated);
	if (!trap.waiting)
		fail_msg("while the zero hook cleared a dirty chunk, the pool said nothing waits");
	assert_true((int32_t) (trap.oldest - stamp) <= 0);
	assert_true(kzt_is_zero(p, KZ_CHUNK_SIZE));
	assert_false(buddy_zero_oldest(&oldest));
	buddy_verify();
}

enum { PURGING_CHUNKS = 8 };

/* What the watcher of a purge pass saw, each time it held the pool lock. */
static struct {
	struct kz_page *head[PURGING_CHUNKS];
	atomic_bool stop;
	atomic_ulong looks; /* the main thread waits for the first */
	unsigned long isolated, bad;
} watch;

/*
 * Under the pool lock, where the pool is consistent: a queued chunk a purge pass has taken
 * (isolated, still marked for zeroing) must keep the queue reported waiting.
 */
static void *watch_purge(void *arg)
{
	(void) arg;
	while (!atomic_load(&watch.stop)) {
		uint32_t oldest;
		bool isolated = false;

		pthread_mutex_lock(buddy_pool_lock(0));
		for (unsigned i = 0; i < PURGING_CHUNKS; i++)
			isolated |= (watch.head[i]->flags & (PG_ISOLATED | PG_ZEROING)) ==
				    (PG_ISOLATED | PG_ZEROING);
		atomic_fetch_add(&watch.looks, 1);
		watch.isolated += isolated;
		watch.bad += isolated && !buddy_zero_oldest(&oldest);
		pthread_mutex_unlock(buddy_pool_lock(0));
		sched_yield();
	}
	return NULL;
}

/*
 * Dirty chunks on the zero queue past the whole delay are purged instead of cleared; while a
 * pass has them off the queue (the pool lock dropped for madvise), the queue still counts them
 * waiting, so that a free that finds them overdue waits for the purge. A watcher thread looks,
 * under the pool lock, as often as it can; the purge is long enough (32 MiB of resident pages)
 * that it sees the pass at work in practice, and it can only report a broken promise.
 */
static void purging_still_waits(void **state)
{
	pthread_t watcher;

	(void) state;
	if (RUNNING_ON_VALGRIND || purge_zeroing()) {
		print_message("skipped: %s\n",
			      RUNNING_ON_VALGRIND ? "under Valgrind" : "the purger thread runs");
		return;
	}
	for (unsigned i = 0; i < PURGING_CHUNKS; i++) {
		struct kz_page *head = buddy_alloc(KZ_CHUNK_PAGES, 0, KIND_LARGE);

		assert_non_null(head);
		memset(page_address(head), 0x5a, KZ_CHUNK_SIZE);
		watch.head[i] = head;
	}
	for (unsigned i = 0; i < PURGING_CHUNKS; i++)
		assert_int_equal(
			buddy_free_to_zero(watch.head[i], KZ_CHUNK_PAGES, KIND_LARGE, BUDDY_DIRTY),
			BUDDY_OK);
	usleep((useconds_t) (kz_opt.purge_delay_ms + 50) * 1000); /* all of them expired */
	assert_int_equal(pthread_create(&watcher, NULL, watch_purge, NULL), 0);
	while (atomic_load(&watch.looks) == 0)
		sched_yield();
	assert_true(buddy_purge(false) >= PURGING_CHUNKS * KZ_CHUNK_SIZE);
	atomic_store(&watch.stop, true);
	pthread_join(watcher, NULL);
	print_message("watcher: %lu looks, %lu with a queued chunk off the queue, %lu broken\n",
		      atomic_load(&watch.looks), watch.isolated, watch.bad);
	if (watch.bad)
		fail_msg(
			"while a purge pass had queued chunks off the queue, the pool said nothing "
			"waits (%lu of %lu looks)",
			watch.bad, watch.isolated);
	for (unsigned i = 0; i < PURGING_CHUNKS; i++)
		assert_true(kzt_is_zero(page_address(watch.head[i]), KZ_CHUNK_SIZE));
	buddy_verify();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest accounting_test[] = {cmocka_unit_test(accounting)};
	const struct CMUnitTest extend_test[] = {cmocka_unit_test(extend)};
	const struct CMUnitTest reuse_test[] = {cmocka_unit_test(reuse)};
	const struct CMUnitTest race_test[] = {cmocka_unit_test(race)};
	const struct CMUnitTest fork_test[] = {cmocka_unit_test(fork_while_clearing)};
	const struct CMUnitTest clearing_test[] = {cmocka_unit_test(clearing_still_waits)};
	const struct CMUnitTest purging_test[] = {cmocka_unit_test(purging_still_waits)};
	const char *name = argc > 1 ? argv[1] : "";

	seed = kzt_seed(0);
	print_message("seed %#llx\n", (unsigned long long) seed);
	if (!strcmp(name, "accounting"))
		return cmocka_run_group_tests(accounting_test, NULL, NULL);
	if (!strcmp(name, "extend"))
		return cmocka_run_group_tests(extend_test, NULL, NULL);
	if (!strcmp(name, "reuse"))
		return cmocka_run_group_tests(reuse_test, NULL, NULL);
	if (!strcmp(name, "race"))
		return cmocka_run_group_tests(race_test, NULL, NULL);
	if (!strcmp(name, "fork"))
		return cmocka_run_group_tests(fork_test, NULL, NULL);
	if (!strcmp(name, "clearing"))
		return cmocka_run_group_tests(clearing_test, NULL, NULL);
	if (!strcmp(name, "purging"))
		return cmocka_run_group_tests(purging_test, NULL, NULL);
	fprintf(stderr, "usage: %s accounting|extend|reuse|race|fork|clearing|purging\n", argv[0]);
	return 2;
}
