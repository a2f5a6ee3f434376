/*
 * test_faults.c - the OS refusing memory, by injection (a KZ_FAULT_INJECTION
 * build; src/os.h): every entry point fails the documented way or works,
 * nothing crashes, no page and no mapping is lost, and the allocator works
 * again once the faults stop.
 *
 *   - sweeps: for mmap, mremap, madvise, mincore and (with
 *     KZMALLOC_CHECK=guard) mprotect in turn, a round of every API
 *     (kzfault.h) with the n-th such call failing, for every n the round
 *     makes, once (one call) and for good (every call from the n-th on);
 *   - a freed block cleared where it is resident (resident.h) while madvise,
 *     mincore or both fail: each huge and large block, written in part,
 *     freed and allocated again, reads zero;
 *   - the metadata arena and the page map running out: chunks allocated
 *     past the descriptors there are, with half the mmaps failing;
 *   - random faults on all five calls, seeded (KZ_TEST_SEED replays), in
 *     one thread and in four with cross-thread frees;
 *   - guard pages (KZMALLOC_CHECK=guard): a large run freed while the OS
 *     will not lift its guard is freed for the program (a second free is a
 *     double free) and goes back to the pool at the next trim;
 *   - an overcommit limit (vm.overcommit_memory=2): the bytes mapped never
 *     pass it, allocations fail at it, and work again when memory is freed;
 *   - with KZMALLOC_CHECK=zero-size (ctest runs the whole program again so),
 *     the no-access region for malloc(0) refused: NULL with ENOMEM, then
 *     a region once the faults stop. The sweeps then cover malloc(0) and a
 *     realloc from it, too.
 *
 * After each case every object is freed and the heap trimmed; then the
 * pool must be as it was (no page in use but the thread cache's, no slab,
 * no large or huge object, invariants intact) and the bytes the OS layer
 * has mapped must be exactly the pool's chunks, huge mappings and
 * metadata. The sites that saw faults are printed.
 *
 * Run with KZMALLOC_PURGE_THREAD=0 and a long purge delay: the only purges
 * are the round's own trims, so call numbers repeat from run to run. ctest
 * runs it again with KZMALLOC_CHECK=guard, =zero-size and
 * =protect,quarantine (freed large and huge blocks no-access and waiting:
 * the mprotect sweep covers making them accessible again).
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buddy.h"
#include "kzfault.h"
#include "meta.h"
#include "options.h"
#include "os.h"
#include "pagemap.h"
#include "zero_size.h"

#define KIB ((size_t) 1 << 10)
#define MIB ((size_t) 1 << 20)

static const char *const call_names[OS_NR_CALLS] = {"mmap", "madvise", "mremap", "mprotect",
						    "mincore"};
static const unsigned all_calls =
	1u << OS_MMAP | 1u << OS_MADVISE | 1u << OS_MREMAP | 1u << OS_MPROTECT | 1u << OS_MINCORE;

/* Faults injected in this program, per call, for the summary line. */
static unsigned long total_injected[OS_NR_CALLS];

/* The pool with nothing allocated, as the first trim left it. */
static struct kz_pool_stats baseline;

static void pool_settle(void)
{
	kz_malloc_trim(0);
}

static int group_setup(void **state)
{
	(void) state;
	kz_free(kz_malloc(1)); /* this thread's cache exists from here on */
	pool_settle();
	kz_get_pool_stats(&baseline);
	return 0;
}

/* Everything freed: the pool must be back to the baseline and every mapping accounted for. */
static void assert_nothing_lost(void)
{
	struct kz_pool_stats st;
	struct os_fault_stats fs;

	pool_settle();
	kz_get_pool_stats(&st);
	os_fault_get_stats(&fs);
	buddy_verify();
	assert_int_equal(st.pages_in_use, baseline.pages_in_use);
	assert_int_equal(st.pages_slab, 0);
	assert_int_equal(st.pages_large, 0);
	assert_int_equal(st.huge_mappings, 0);
	assert_int_equal(st.huge_bytes, 0);
	assert_int_equal(st.pages_resident, 0);
	assert_int_equal(fs.committed, st.chunks * (KZ_PAGE_SIZE << KZ_MAX_ORDER) + st.huge_bytes +
					       meta_mapped());
}

/* Add this plan's faults to the totals and print where they landed. */
static void report(const char *name)
{
	struct os_fault_stats fs;

	os_fault_get_stats(&fs);
	print_message("%s: calls mmap %lu madvise %lu mremap %lu mprotect %lu mincore %lu; "
		      "injected %lu %lu %lu %lu %lu\n",
		      name, fs.calls[OS_MMAP], fs.calls[OS_MADVISE], fs.calls[OS_MREMAP],
		      fs.calls[OS_MPROTECT], fs.calls[OS_MINCORE], fs.injected[OS_MMAP],
		      fs.injected[OS_MADVISE], fs.injected[OS_MREMAP], fs.injected[OS_MPROTECT],
		      fs.injected[OS_MINCORE]);
	for (unsigned c = 0; c < OS_NR_CALLS; c++)
		total_injected[c] += fs.injected[c];
	/* As offsets from kz_malloc, which addr2line resolves against the binary's symbols. */
	for (size_t i = 0; i < OS_FAULT_SITES && fs.sites[i].caller; i++)
		print_message("  %-7s site kz_malloc%+td: %lu\n", call_names[fs.sites[i].call],
			      (const char *) fs.sites[i].caller - (const char *) (void *) kz_malloc,
			      fs.sites[i].injected);
}

/* Distinct callers that saw faults of @call under the current plan. */
static unsigned sites_hit(enum os_call call)
{
	struct os_fault_stats fs;
	unsigned n = 0;

	os_fault_get_stats(&fs);
	for (size_t i = 0; i < OS_FAULT_SITES; i++)
		n += fs.sites[i].caller && fs.sites[i].call == call;
	return n;
}

/* One round of every API under @plan, everything freed, the faults stopped. */
static void round_under(const struct os_fault_plan *plan, struct fx *fx)
{
	bool ok;

	os_fault_set(plan);
	ok = fx_round(fx);
	buddy_verify(); /* with every kind of object live */
	ok = fx_release(fx) && ok;
	os_fault_set(NULL);
	if (!ok)
		fail_msg("%s", fx->error);
}

/* With the faults off, a round must succeed in full. */
static void assert_recovered(void)
{
	struct fx fx = {0};

	round_under(NULL, &fx);
	assert_int_equal(fx.failed, 0);
	assert_nothing_lost();
}

static void sweep(enum os_call call)
{
	struct os_fault_plan plan = {.calls = 1u << call};
	struct os_fault_stats fs;
	struct fx fx = {0};
	unsigned long calls, injected[OS_NR_CALLS] = {0}, failed = 0;
	unsigned sites = 0;

	/* A dry run counts the calls a round makes (nth 0: no faults, only counts). */
	os_fault_set(&plan);
	if (!fx_round(&fx) || !fx_release(&fx))
		fail_msg("without faults: %s", fx.error);
	os_fault_get_stats(&fs);
	calls = fs.calls[call];
	os_fault_set(NULL);
	pool_settle();
	assert_true(calls > 0);

	for (unsigned forever = 0; forever < 2; forever++) {
		for (unsigned long n = 1; n <= calls + 1; n++) {
			plan.nth = n;
			plan.times = forever ? 0 : 1;
			fx = (struct fx){0};
			os_fault_set(&plan);
			if (!fx_round(&fx) || !fx_release(&fx))
				fail_msg("%s fault %lu (%s): %s", call_names[call], n,
					 forever ? "for good" : "once", fx.error);
			os_fault_get_stats(&fs);
			for (unsigned c = 0; c < OS_NR_CALLS; c++)
				injected[c] += fs.injected[c];
			failed += fx.failed;
			sites = sites_hit(call) > sites ? sites_hit(call) : sites;
			os_fault_set(NULL);
			assert_nothing_lost();
		}
	}
	print_message("%s sweep: %lu calls a round, %lu faults injected, %lu API calls failed "
		      "(ENOMEM), up to %u sites in one round\n",
		      call_names[call], calls, injected[call], failed, sites);
	for (unsigned c = 0; c < OS_NR_CALLS; c++)
		total_injected[c] += injected[c];
	assert_true(injected[call] >= calls);
	assert_recovered();
}

static void sweep_mmap(void **state)
{
	(void) state;
	sweep(OS_MMAP);
}

static void sweep_mremap(void **state)
{
	(void) state;
	sweep(OS_MREMAP);
}

static void sweep_madvise(void **state)
{
	(void) state;
	sweep(OS_MADVISE);
}

/* With KZMALLOC_CHECK=protect freed blocks are purged, not cleared where resident: no mincore. */
static void sweep_mincore(void **state)
{
	(void) state;
	if (kz_opt.check & KZ_CHECK_PROTECT)
		skip();
	sweep(OS_MINCORE);
}

/* Only guard pages and KZMALLOC_CHECK=protect call mprotect. */
static void sweep_mprotect(void **state)
{
	(void) state;
	if (!(kz_opt.check & (KZ_CHECK_GUARD | KZ_CHECK_PROTECT)))
		skip();
	sweep(OS_MPROTECT);
}

/* How a child that frees @p ends. */
static int child_free(void *p)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL);
		close(STDERR_FILENO); /* the expected "double free" line */
		kz_free(p);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/*
 * The OS refuses every guard page (vm.max_map_count reached): a page run and a mapping are
 * served without one, as on any allocator, and work; nothing is lost.
 */
static void guard_refused(void **state)
{
	struct os_fault_plan plan = {.calls = 1u << OS_MPROTECT, .nth = 1};
	struct kz_pool_stats before, st;
	char *run, *map;

	(void) state;
	/* with protect, a free calls mprotect too (guard_stuck's case) */
	if (!(kz_opt.check & KZ_CHECK_GUARD) || (kz_opt.check & KZ_CHECK_PROTECT))
		skip();
	kz_get_pool_stats(&before);
	os_fault_set(&plan);
	run = kz_malloc(fx_opaque(300 * KIB));
	map = kz_malloc(fx_opaque(8 * MIB));
	assert_non_null(run);
	assert_non_null(map);
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_large - before.pages_large, 75); /* no page for a guard */
	assert_int_equal(st.huge_bytes - before.huge_bytes, 8 * MIB);
	assert_true(fx_zero(run, 300 * KIB) && fx_zero(map, 8 * MIB));
	memset(run, 0x5a, 300 * KIB);
	memset(map, 0x5a, 8 * MIB);
	buddy_verify();
	kz_free(run);
	kz_free(map);
	report("guard refused");
	os_fault_set(NULL);
	assert_nothing_lost();
	assert_recovered();
}

/*
 * A large run freed while the OS will not make its guard page accessible
 * again: freed for the program at once (a second free is a double free),
 * held by the pool until a purge pass lifts the guard, then given back.
 */
static void guard_stuck(void **state)
{
	struct os_fault_plan plan = {.calls = 1u << OS_MPROTECT, .nth = 1};
	struct kz_pool_stats st, held;
	void *p[3], *q;
	int status;

	(void) state;
	/* with protect a freed run's guard is never lifted (the whole run is no-access): none
	 * sticks */
	if (!(kz_opt.check & KZ_CHECK_GUARD) || (kz_opt.check & KZ_CHECK_PROTECT))
		skip();
	for (size_t i = 0; i < 3; i++) {
		p[i] = kz_malloc(fx_opaque(300 * KIB));
		assert_non_null(p[i]);
		memset(p[i], 0x5a, 300 * KIB);
	}
	kz_get_pool_stats(&held); /* the three runs and their guards (and canaries, if on) */
	os_fault_set(&plan);	  /* every mprotect from now on */
	q = kz_malloc(fx_opaque(500 * KIB)); /* its guard refused: a run without one */
	assert_non_null(q);
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_large - held.pages_large, 125);
	memset(q, 0x5a, 500 * KIB);
	kz_free(q); /* no guard to lift: given back */
	for (size_t i = 0; i < 3; i++)
		kz_free(p[i]);
	kz_malloc_trim(0); /* still refused: they stay */
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_large, held.pages_large);
	assert_true(held.pages_large >= 3 * (75 + 1));
	buddy_verify();
	status = child_free(p[1]);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fail_msg("a second free of a stuck run was not a double free (status %#x)", status);
	report("guard stuck");
	os_fault_set(NULL);
	assert_nothing_lost(); /* its trim lifts the guards */
	assert_recovered();
}

/*
 * A block written in part (every third 64 KiB piece whole, one page of the
 * next, the third untouched), freed and allocated again: zero everywhere.
 * Large runs come from purged pages, so that they are cleared page by page.
 */
static bool partly_written_comes_back_zero(size_t size)
{
	char *p, *q;
	bool zero = true;

	p = kz_malloc(fx_opaque(size));
	if (!p)
		return false;
	for (size_t off = 0; off < size; off += 64 * KIB)
		if (off / (64 * KIB) % 3 == 0)
			memset(p + off, 0xa5, size - off < 64 * KIB ? size - off : 64 * KIB);
		else if (off / (64 * KIB) % 3 == 1)
			p[off + KZ_PAGE_SIZE + 7] = 0x5a;
	kz_free(p);
	q = kz_malloc(fx_opaque(size));
	if (!q)
		return false;
	for (size_t i = 0; i < size && zero; i++)
		zero = q[i] == 0;
	kz_free(q);
	return zero;
}

static void sparse_clear_refused(void **state)
{
	static const unsigned plans[] = {1u << OS_MADVISE, 1u << OS_MINCORE,
					 1u << OS_MADVISE | 1u << OS_MINCORE};
	static const size_t sizes[] = {300 * KIB, 2 * MIB, 4 * MIB - KZ_PAGE_SIZE, 9 * MIB,
				       24 * MIB};
	unsigned long injected[OS_NR_CALLS] = {0};
	struct os_fault_stats fs;

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(plans); i++) {
		struct os_fault_plan plan = {.calls = plans[i], .nth = 1};

		for (size_t j = 0; j < ARRAY_SIZE(sizes); j++) {
			bool zero;

			kz_malloc_trim(0);   /* before the faults: the pool's free pages purged */
			os_fault_set(&plan); /* every such call from now on */
			zero = partly_written_comes_back_zero(sizes[j]);
			buddy_verify();
			os_fault_get_stats(&fs);
			for (unsigned c = 0; c < OS_NR_CALLS; c++)
				injected[c] += fs.injected[c];
			os_fault_set(NULL);
			if (!zero)
				fail_msg("%zu KiB written in part, freed while %#x refused: not "
					 "zero",
					 sizes[j] / KIB, plans[i]);
		}
	}
	print_message("sparse clear refused: %lu madvise, %lu mincore faults injected\n",
		      injected[OS_MADVISE], injected[OS_MINCORE]);
	for (unsigned c = 0; c < OS_NR_CALLS; c++)
		total_injected[c] += injected[c];
	assert_true(injected[OS_MADVISE] > 0 && injected[OS_MINCORE] > 0);
	assert_nothing_lost();
	assert_recovered();
}

/*
 * Whole chunks (order-10 page blocks) past every descriptor the arena has
 * carved: chunk descriptors and page-map leaves come from fresh metadata
 * regions, and half of all mmaps fail, those too.
 */
static void metadata_runs_out(void **state)
{
	enum { BLOCKS = 160 };
	struct os_fault_plan plan = {.calls = 1u << OS_MMAP, .permille = 500, .seed = 7};
	static void *block[BLOCKS];
	size_t got = 0, tries = 0;

	(void) state;
	os_fault_set(&plan);
	while (got < BLOCKS && tries++ < 4 * BLOCKS) {
		errno = 0;
		block[got] = kz_alloc_pages(KZ_MAX_ORDER);
		if (block[got])
			got++;
		else
			assert_int_equal(errno, ENOMEM);
	}
	report("metadata");
	assert_true(sites_hit(OS_MMAP) >= 2); /* the pool's chunks and the metadata arena */
	os_fault_set(NULL);
	for (size_t i = 0; i < got; i++)
		kz_free_pages(block[i], KZ_MAX_ORDER);
	assert_true(got > BLOCKS / 2);
	assert_nothing_lost();
	assert_recovered();
}

static void random_faults(void **state)
{
	uint64_t seed = kzt_seed(0);
	struct os_fault_plan plan = {
		.calls = all_calls,
		.permille = 150,
		.seed = seed,
	};
	unsigned long failed = 0;
	struct os_fault_stats fs;

	(void) state;
	print_message("seed %#" PRIx64 "\n", seed);
	os_fault_set(&plan);
	for (unsigned round = 0; round < 40 / kzt_scale() + 8; round++) {
		struct fx fx = {0};

		if (!fx_round(&fx) || !fx_release(&fx))
			fail_msg("round %u: %s", round, fx.error);
		failed += fx.failed;
		if (round % 8 == 7)
			kz_malloc_trim(0);
	}
	report("random");
	print_message("random: %lu API calls failed (ENOMEM)\n", failed);
	os_fault_get_stats(&fs);
	assert_true(fs.injected[OS_MMAP] + fs.injected[OS_MADVISE] + fs.injected[OS_MREMAP] +
			    fs.injected[OS_MPROTECT] + fs.injected[OS_MINCORE] >
		    0);
	if (kz_opt.check & KZ_CHECK_GUARD)
		assert_true(fs.injected[OS_MPROTECT] > 0);
	os_fault_set(NULL);
	assert_nothing_lost();
	assert_recovered();
}

enum { THREADS = 4, THREAD_ROUNDS = 12 };

struct worker {
	pthread_t thread;
	struct fx fx;
	bool ok;
};

/* Rounds of every API; the last round's objects are left for the main thread to free. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;

	w->ok = true;
	for (unsigned round = 0; w->ok && round < THREAD_ROUNDS / kzt_scale(); round++) {
		w->ok = fx_round(&w->fx);
		if (round + 1 < THREAD_ROUNDS / kzt_scale())
			w->ok = fx_release(&w->fx) && w->ok;
	}
	return NULL;
}

static void random_faults_threads(void **state)
{
	static struct worker workers[THREADS];
	uint64_t seed = kzt_seed(0);
	struct os_fault_plan plan = {
		.calls = all_calls,
		.permille = 100,
		.seed = seed,
	};

	(void) state;
	print_message("seed %#" PRIx64 "\n", seed);
	os_fault_set(&plan);
	for (unsigned i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){0};
		assert_int_equal(pthread_create(&workers[i].thread, NULL, worker_run, &workers[i]),
				 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(workers[i].thread, NULL);
	report("threads");
	os_fault_set(NULL);
	/* cross-thread frees: objects of threads that have exited; all of them before any
	 * failure is reported, so that a failure here does not leave the next test's pool dirty */
	bool released[THREADS];
	for (unsigned i = 0; i < THREADS; i++)
		released[i] = fx_release(&workers[i].fx);
	for (unsigned i = 0; i < THREADS; i++) {
		if (!workers[i].ok)
			fail_msg("thread %u: %s", i, workers[i].fx.error);
		if (!released[i])
			fail_msg("thread %u's objects: %s", i, workers[i].fx.error);
	}
	assert_nothing_lost();
	assert_recovered();
}

/*
 * vm.overcommit_memory=2: a cap on the bytes mapped. Rounds of every API
 * under it (each call works or fails with ENOMEM), then each way of asking
 * for memory until it fails; the cap is never passed; a failed realloc
 * keeps its object; freed memory serves again under the cap, and
 * everything works once the cap is lifted.
 */
static void overcommit_limit(void **state)
{
	enum { ROUNDS = 2, HELD_MAX = 2 << 20 };
	static struct fx rounds[ROUNDS];
	struct os_fault_plan plan = {0};
	struct os_fault_stats fs;
	struct fx fx = {0};
	struct fx_held *held = malloc(HELD_MAX * sizeof(*held)); /* glibc's: not counted */
	size_t nheld = 0, start;
	void *small;

	(void) state;
	assert_non_null(held);
	os_fault_get_stats(&fs);
	start = fs.committed;
	plan.commit_limit = start + 128 * MIB;
	os_fault_set(&plan);
	for (unsigned i = 0; i < ROUNDS; i++) {
		rounds[i] = (struct fx){0};
		if (!fx_round(&rounds[i]))
			fail_msg("round %u under the limit: %s", i, rounds[i].error);
	}
	small = kz_malloc(fx_opaque(100));
	assert_non_null(small);
	memset(small, 0x5a, 100);
	for (enum fx_ask ask = 0; ask < FX_NR_ASKS; ask++) {
		if (!fx_exhaust(&fx, ask, held, &nheld, HELD_MAX))
			fail_msg("%s", fx.error);
		print_message("overcommit: %-28s fails with ENOMEM after %zu objects held\n",
			      fx_ask_names[ask], nheld);
	}
	/* Full: a realloc that needs memory fails and keeps the object. */
	errno = 0;
	assert_null(kz_realloc(small, fx_opaque(2 * MIB)));
	assert_int_equal(errno, ENOMEM);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(((unsigned char *) small)[i], 0x5a);
	os_fault_get_stats(&fs);
	report("overcommit");
	print_message("overcommit: limit 128 MiB over the start, peak %zu KiB over\n",
		      (fs.committed_peak - start) >> 10);
	assert_true(fs.committed_peak <= plan.commit_limit);
	assert_true(fs.injected[OS_MMAP] > 0);
	/* Freed memory serves again under the same limit. */
	fx_held_free(held, nheld);
	kz_free(small);
	for (unsigned i = 0; i < ROUNDS; i += 2)
		if (!fx_release(&rounds[i]))
			fail_msg("%s", rounds[i].error);
	fx = (struct fx){0};
	if (!fx_round(&fx) || !fx_release(&fx))
		fail_msg("after frees: %s", fx.error);
	assert_true(fx.ok > 0);
	for (unsigned i = 1; i < ROUNDS; i += 2)
		if (!fx_release(&rounds[i]))
			fail_msg("%s", rounds[i].error);
	os_fault_set(NULL);
	free(held);
	assert_nothing_lost();
	assert_recovered();
}

/*
 * malloc(0) with every mmap failing, until the regions there are run out: then NULL with ENOMEM
 * (a reservation is all a new region needs from the OS, and the metadata arena may need a map
 * too); with the faults off the next malloc(0) gets a new region, and the heap works as before.
 */
static void zero_size_region_refused(void **state)
{
	struct os_fault_plan plan = {.calls = 1u << OS_MMAP, .nth = 1};
	size_t cap = 2 * (KZ_CHUNK_SIZE / ZERO_SIZE_SLOT), n = 0, regions, regions_after, live;
	void **held;
	void *p;

	(void) state;
	if (!(kz_opt.check & KZ_CHECK_ZERO_SIZE))
		skip();
	held = kz_malloc(cap * sizeof(*held));
	assert_non_null(held);
	zero_size_stats(&regions, &live);
	os_fault_set(&plan);
	for (;;) {
		errno = 0;
		p = kz_malloc(fx_opaque(0));
		if (!p)
			break;
		assert_true(n < cap);
		held[n++] = p;
	}
	zero_size_stats(&regions_after, &live);
	assert_int_equal(regions_after, regions);
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_null(kz_calloc(fx_opaque(0), 8)); /* the same way in */
	assert_int_equal(errno, ENOMEM);
	report("zero-size");
	assert_true(sites_hit(OS_MMAP) >= 1);
	os_fault_set(NULL);
	p = kz_malloc(fx_opaque(0));
	assert_non_null(p);
	assert_true(compound_head(pagemap_page(p))->kind == KIND_ZERO);
	zero_size_stats(&regions_after, &live);
	assert_int_equal(regions_after, regions + 1);
	kz_free(p);
	while (n)
		kz_free(held[--n]);
	kz_free(held);
	assert_nothing_lost();
	assert_recovered();
}

static int group_teardown(void **state)
{
	(void) state;
	print_message("faults injected in all: mmap %lu, madvise %lu, mremap %lu, mprotect %lu, "
		      "mincore %lu\n",
		      total_injected[OS_MMAP], total_injected[OS_MADVISE],
		      total_injected[OS_MREMAP], total_injected[OS_MPROTECT],
		      total_injected[OS_MINCORE]);
	return 0;
}

/* An argument runs only the cases whose names match it (a glob), e.g. "*threads". */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sweep_mmap),
		cmocka_unit_test(sweep_mremap),
		cmocka_unit_test(sweep_madvise),
		cmocka_unit_test(sweep_mincore),
		cmocka_unit_test(sweep_mprotect),
		cmocka_unit_test(sparse_clear_refused),
		cmocka_unit_test(guard_refused),
		cmocka_unit_test(guard_stuck),
		cmocka_unit_test(metadata_runs_out),
		cmocka_unit_test(random_faults),
		cmocka_unit_test(random_faults_threads),
		cmocka_unit_test(overcommit_limit),
		cmocka_unit_test(zero_size_region_refused),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
