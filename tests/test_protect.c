/*
 * test_protect.c - freed large and huge blocks under KZMALLOC_CHECK=protect
 * and =quarantine (run with either or both set; each case checks what the
 * settings promise, and is skipped where they promise nothing):
 *
 *   - freed_faults (protect): a read and a write through a pointer to a
 *     freed page run, and to a freed (cached) mapping, die by SIGSEGV in a
 *     child, also after the run merged into a larger free block;
 *   - reuse_accessible (protect): the pages of a protected run, handed out
 *     again as a slab's, a page block's, a larger run's and a run grown in
 *     place by realloc, and a protected cached mapping reused, are
 *     readable, writable and zero;
 *   - reuse_delayed (quarantine): free(p) then malloc of the same size gives
 *     another block, for runs and mappings; a double free of a
 *     quarantined block is still a double free (in a child);
 *   - realloc_blocks: realloc of runs and mappings up, down and across the
 *     kinds keeps the data, and (protect) the block it left faults;
 *   - trim_empties: malloc_trim(0) empties the quarantine and the cache: no
 *     run or mapping is left counted, no free page resident, and the
 *     memory went back (RSS);
 *   - purger_empties (quarantine, a short purge delay): the purger thread
 *     pushes out what waited the delay, and the cache of mappings empties;
 *   - verify_mixed: random allocations, frees and reallocs of every kind
 *     keep the pool's invariants (buddy_verify) and the counters adding up.
 *
 * An argument runs the one case it names. Run with a long purge delay, so that nothing leaves the
 * quarantine or the cache on a timer.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buddy.h"
#include "kztest.h"
#include "options.h"

#define KIB ((size_t) 1 << 10)
#define MIB ((size_t) 1 << 20)

static bool protect_on(void)
{
	return kz_opt.check & KZ_CHECK_PROTECT;
}

static bool quarantine_on(void)
{
	return kz_opt.check & KZ_CHECK_QUARANTINE;
}

/* Hide a size from the compiler (the kz_ prototypes carry alloc_size). */
static size_t opaque(size_t n)
{
	__asm__ volatile("" : "+r"(n));
	return n;
}

/* How a child that reads (or writes, @write) the byte at @p ends. */
static int child_touch(void *p, bool write)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		if (write)
			((volatile char *) p)[0] = 0x5a;
		else
			(void) ((volatile char *) p)[0];
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_faults(const char *what, void *p)
{
	for (int write = 0; write < 2; write++) {
		int status = child_touch(p, write);

		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
			fail_msg("%s: a %s through the freed pointer %p did not fault (status %#x)",
				 what, write ? "write" : "read", p, status);
	}
}

static void freed_faults(void **state)
{
	char *p, *q, *huge;

	(void) state;
	if (!protect_on())
		skip();
	p = kz_malloc(opaque(256 * KIB));
	memset(p, 0xa5, 256 * KIB);
	kz_free(p);
	assert_faults("run 256 KiB, first byte", p);
	assert_faults("run 256 KiB, last byte", p + 256 * KIB - 1);

	/* two neighbours freed: the merged block is no-access throughout */
	p = kz_malloc(opaque(300 * KIB));
	q = kz_malloc(opaque(300 * KIB));
	kz_free(q);
	kz_free(p);
	assert_faults("run 300 KiB freed before its neighbour", p + 100 * KIB);
	assert_faults("run 300 KiB freed after its neighbour", q);

	huge = kz_malloc(opaque(8 * MIB));
	memset(huge, 0xa5, 8 * MIB);
	kz_free(huge);
	assert_faults("mapping 8 MiB", huge);
	assert_faults("mapping 8 MiB, last byte", huge + 8 * MIB - 1);
	buddy_verify();
}

/* Let freed blocks through the quarantine (kz_trim), so that their pages can be reused. */
static void quarantine_flush(void)
{
	if (quarantine_on())
		kz_malloc_trim(0);
}

/* @obj of @size bytes lies in [@lo, @lo + @len): zero, and takes a write. */
static bool check_reused(const char *what, char *obj, size_t size, const char *lo, size_t len)
{
	if (obj + size <= lo || obj >= lo + len)
		return false;
	print_message("%-28s %p reuses the protected run at %p\n", what, (void *) obj,
		      (const void *) lo);
	assert_true(kzt_is_zero(obj, size));
	memset(obj, 0x3c, size);
	return true;
}

static void reuse_accessible(void **state)
{
	enum { MAX_OBJS = 1 << 16, MAX_PAGES = 4 * KZ_CHUNK_PAGES, MAX_RUNS = 64 };
	static void *objs[MAX_OBJS], *pages[MAX_PAGES], *runs[MAX_RUNS];
	size_t n, found;
	char *p, *q, *r, *huge, *anchor;

	(void) state;
	if (!protect_on())
		skip();
	/* keeps the chunk mapped when a trim lets the freed runs through the quarantine */
	anchor = kz_malloc(opaque(200 * KIB));

	/* a slab's page */
	p = kz_malloc(opaque(256 * KIB));
	memset(p, 0xa5, 256 * KIB);
	kz_free(p);
	quarantine_flush();
	for (n = found = 0; n < MAX_OBJS && !found; n++) {
		objs[n] = kz_malloc(opaque(2048));
		assert_non_null(objs[n]);
		found = check_reused("kmalloc-2k object", objs[n], 2048, p, 256 * KIB);
	}
	assert_true(found);
	while (n)
		kz_free(objs[--n]);

	/* a block of the page API */
	p = kz_malloc(opaque(256 * KIB));
	memset(p, 0xa5, 256 * KIB);
	kz_free(p);
	quarantine_flush();
	for (n = found = 0; n < MAX_PAGES && !found; n++) {
		pages[n] = kz_alloc_pages(1);
		assert_non_null(pages[n]);
		found = check_reused("order-1 page block", pages[n], 2 * KZ_PAGE_SIZE, p,
				     256 * KIB);
	}
	assert_true(found);
	while (n)
		kz_free_pages(pages[--n], 1);

	/* a smaller run inside a larger freed one */
	p = kz_malloc(opaque(1 * MIB));
	memset(p, 0xa5, 1 * MIB);
	kz_free(p);
	quarantine_flush();
	for (n = found = 0; n < MAX_RUNS && !found; n++) {
		runs[n] = kz_malloc(opaque(600 * KIB));
		assert_non_null(runs[n]);
		found = check_reused("run 600 KiB", runs[n], 600 * KIB, p, 1 * MIB);
	}
	assert_true(found);
	while (n)
		kz_free(runs[--n]);

	/*
	 * A run grown in place over freed pages (protected ones if the 1 MiB block it starts is the
	 * freed run's): an aligned run leaves the rest of its 1 MiB block free to grow into.
	 */
	p = kz_malloc(opaque(1 * MIB));
	memset(p, 0xa5, 1 * MIB);
	kz_free(p);
	quarantine_flush();
	q = kz_memalign(1 * MIB, opaque(200 * KIB));
	assert_non_null(q);
	kzt_fill(q, 200 * KIB, 7);
	r = kz_realloc(q, opaque(900 * KIB));
	if (!(kz_opt.check & KZ_CHECK_GUARD)) /* a guarded run never grows in place */
		assert_ptr_equal(r, q);
	print_message("realloc 200 KiB -> 900 KiB %s%s\n", r == q ? "in place" : "moved",
		      r == p ? ", over the protected run" : "");
	assert_true(kzt_check(r, 200 * KIB, 7));
	assert_true(kzt_is_zero(r + 200 * KIB, 700 * KIB));
	memset(r + 200 * KIB, 0x3c, 700 * KIB);
	kz_free(r);

	/* a cached mapping, protected while cached */
	huge = kz_malloc(opaque(8 * MIB));
	memset(huge, 0xa5, 8 * MIB);
	kz_free(huge);
	if (!quarantine_on()) {
		q = kz_malloc(opaque(8 * MIB));
		assert_ptr_equal(q, huge);
		assert_true(kzt_is_zero(q, 8 * MIB));
		memset(q, 0x3c, 8 * MIB);
		kz_free(q);
	}
	kz_free(anchor);
	buddy_verify();
}

static void reuse_delayed(void **state)
{
	static const size_t sizes[] = {256 * KIB, 300 * KIB + 1, 4 * MIB - 4 * KIB, 8 * MIB,
				       20 * MIB + 5};
	int status;
	pid_t pid;

	(void) state;
	if (!quarantine_on())
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char *p = kz_malloc(opaque(sizes[i])), *q;

		memset(p, 0xa5, sizes[i]);
		kz_free(p);
		q = kz_malloc(opaque(sizes[i]));
		assert_non_null(q);
		assert_ptr_not_equal(q, p);
		assert_true(kzt_is_zero(q, sizes[i]));
		kz_free(q);
	}
	/* a block in the quarantine is freed to every lookup */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *p = kz_malloc(opaque(256 * KIB));

		close(STDERR_FILENO);
		kz_free(p);
		kz_free(p);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	buddy_verify();
}

static void realloc_blocks(void **state)
{
	static const size_t steps[] = {200 * KIB, 900 * KIB, 300 * KIB, 3 * MIB,   9 * MIB,
				       30 * MIB,  5 * MIB,   2 * MIB,	150 * KIB, 64 * KIB};
	size_t have = 100 * KIB;
	char *p = kz_malloc(opaque(have));

	(void) state;
	kzt_fill(p, have, 11);
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		char *q = kz_realloc(p, opaque(steps[i]));
		size_t keep = have < steps[i] ? have : steps[i];

		assert_non_null(q);
		assert_true(kzt_check(q, keep, 11));
		if (steps[i] > keep)
			assert_true(kzt_is_zero(q + keep, steps[i] - keep));
		kzt_fill(q, steps[i], 11);
		/* the block left behind, a run or a mapping, faults (not a slab object) */
		if (q != p && protect_on() && have > 128 * KIB)
			assert_faults("the block realloc moved from", p);
		p = q;
		have = steps[i];
	}
	kz_free(p);
	buddy_verify();
}

static void trim_empties(void **state)
{
	enum { NR = 48 };
	static void *blocks[NR];
	struct kz_pool_stats st;
	struct mallinfo2 mi;
	size_t base, peak, after;

	(void) state;
	kz_malloc_trim(0);
	base = kzt_rss();
	for (size_t i = 0; i < NR; i++) {
		size_t size = i % 8 == 7 ? 6 * MIB : (256 + 64 * (i % 5)) * KIB;

		blocks[i] = kz_malloc(opaque(size));
		assert_non_null(blocks[i]);
		memset(blocks[i], 0x5a, size);
	}
	peak = kzt_rss();
	for (size_t i = 0; i < NR; i++)
		kz_free(blocks[i]);
	kz_get_pool_stats(&st);
	mi = kz_mallinfo2();
	assert_int_equal(mi.arena, mi.uordblks + mi.fordblks);
	if (quarantine_on()) /* waiting, still counted in use */
		assert_true(st.pages_large > 0 && st.huge_mappings > st.huge_cached);
	buddy_verify();
	assert_int_equal(kz_malloc_trim(0), 1);
	after = kzt_rss();
	print_message("rss: start %zu KiB, peak %zu KiB, after free + malloc_trim %zu KiB\n",
		      base >> 10, peak >> 10, after >> 10);
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_large, 0);
	assert_int_equal(st.huge_mappings, 0);
	assert_int_equal(st.huge_bytes, 0);
	assert_int_equal(st.pages_resident, 0);
	assert_true(after <= base + (peak - base) / 8);
	mi = kz_mallinfo2();
	assert_int_equal(mi.arena, mi.uordblks + mi.fordblks);
	buddy_verify();
}

/*
 * Run with a short purge delay (ctest: test_protect.expiry): the purger thread pushes out of the
 * quarantine what waited the delay, so an idle program gets its memory back without a trim.
 */
static void purger_empties(void **state)
{
	struct kz_pool_stats st;
	double start;
	void *p, *huge;

	(void) state;
	if (!quarantine_on() || kz_opt.purge_delay_ms > 1000 || !kz_opt.purge_thread)
		skip();
	p = kz_malloc(opaque(256 * KIB));
	huge = kz_malloc(opaque(8 * MIB));
	memset(p, 0x5a, 256 * KIB);
	memset(huge, 0x5a, 8 * MIB);
	kz_free(p);
	kz_free(huge);
	kz_free(kz_malloc(opaque(200 * KIB))); /* an allocation slow path starts the purger */
	start = kzt_now_ms();
	do {
		usleep(10000);
		kz_get_pool_stats(&st);
	} while ((st.pages_large || st.huge_mappings) && kzt_now_ms() - start < 10000);
	print_message("quarantine and cache empty after %.0f ms (delay %u ms)\n",
		      kzt_now_ms() - start, kz_opt.purge_delay_ms);
	assert_int_equal(st.pages_large, 0);
	assert_int_equal(st.huge_mappings, 0);
	buddy_verify();
}

/* What verify_mixed writes and checks of a block: its first and last page (the rest costs time). */
static void mark_ends(char *p, size_t size, uint64_t id)
{
	size_t end = size < KZ_PAGE_SIZE ? size : KZ_PAGE_SIZE;

	/* The tail's pattern starts on a word: the fill writes whole words. */
	kzt_fill(p, end, id);
	kzt_fill(p + ((size - end) & ~(size_t) 7), end, id);
}

static bool ends_marked(const char *p, size_t size, uint64_t id)
{
	size_t end = size < KZ_PAGE_SIZE ? size : KZ_PAGE_SIZE;

	return kzt_check(p, end, id) && kzt_check(p + ((size - end) & ~(size_t) 7), end, id);
}

static bool ends_zero(const char *p, size_t size)
{
	size_t end = size < KZ_PAGE_SIZE ? size : KZ_PAGE_SIZE;

	return kzt_is_zero(p, end) && kzt_is_zero(p + size - end, end);
}

static void verify_mixed(void **state)
{
	enum { SLOTS = 128, OPS = 3000 };
	static char *slot[SLOTS];
	static size_t size[SLOTS];
	uint64_t seed = kzt_seed(0x9e3779b97f4a7c15ull);
	unsigned ops = OPS / kzt_scale();

	(void) state;
	print_message("seed %#llx\n", (unsigned long long) seed);
	for (unsigned op = 0; op < ops; op++) {
		size_t i = kzt_rand(&seed) % SLOTS, kind = kzt_rand(&seed) % 32;
		size_t want = kind < 16	  ? kzt_rand(&seed) % (4 * KIB) + 1
			      : kind < 30 ? kzt_rand(&seed) % (1 * MIB) + 128 * KIB
					  : kzt_rand(&seed) % (8 * MIB) + 4 * MIB;

		if (slot[i] && kind % 3 == 0) {
			char *q = kz_realloc(slot[i], opaque(want));
			size_t keep = size[i] < want ? size[i] : want;

			assert_non_null(q);
			assert_true(kzt_check(q, keep < KZ_PAGE_SIZE ? keep : KZ_PAGE_SIZE, i));
			slot[i] = q;
		} else {
			if (slot[i]) {
				assert_true(ends_marked(slot[i], size[i], i));
				kz_free(slot[i]);
			}
			slot[i] = kz_malloc(opaque(want));
			assert_non_null(slot[i]);
			assert_true(ends_zero(slot[i], want));
		}
		size[i] = want;
		mark_ends(slot[i], want, i);
		if (op % 500 == 499)
			buddy_verify();
	}
	for (size_t i = 0; i < SLOTS; i++) {
		kz_free(slot[i]);
		slot[i] = NULL;
	}
	buddy_verify();
	kz_malloc_trim(0);
	buddy_verify();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(freed_faults),	 cmocka_unit_test(reuse_accessible),
		cmocka_unit_test(reuse_delayed), cmocka_unit_test(realloc_blocks),
		cmocka_unit_test(trim_empties),	 cmocka_unit_test(purger_empties),
		cmocka_unit_test(verify_mixed),
	};

	print_message("KZMALLOC_CHECK: protect %s, quarantine %s\n", protect_on() ? "on" : "off",
		      quarantine_on() ? "on" : "off");
	if (argc > 1) /* one case, by name */
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
