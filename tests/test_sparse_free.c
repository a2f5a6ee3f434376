/*
 * test_sparse_free.c - freeing a big block costs what the program touched,
 * not what it asked for, in the KZMALLOC_INIT mode named by the first
 * argument (ctest sets the variable to match, and runs the program again
 * with KZMALLOC_CHECK=guard):
 *
 *   - sparse huge: malloc(1 GiB) and malloc(4 GiB), the first and the last
 *     byte written, free, and the same size again (a reused mapping in the
 *     1 GiB case): the peak RSS (ru_maxrss) of the whole program under
 *     16 MiB (each round under 250 ms too, a loose bound), and the two bytes
 *     read zero;
 *   - full reuse: a 64 MiB mapping and a 1 MiB page run written whole,
 *     freed and allocated again, and a 64 MiB mapping written in stripes
 *     (whole 2 MiB pieces, single pages, untouched gaps): they read zero
 *     everywhere;
 *   - a page run half touched (the first 2 MiB of a 4 MiB run from purged
 *     pages), freed: its untouched half is still not resident after the
 *     free and after the run is allocated again, the pool counts only the
 *     touched pages resident, and the run reads zero everywhere.
 *
 * The sparse cases run first, so that ru_maxrss is theirs. Timing and RSS
 * are not checked under Valgrind (its own memory and speed), residency is.
 * Run with a long purge delay, so that freed mappings wait for reuse and
 * no purge changes what is resident behind the test's back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "buddy.h"
#include "kztest.h"
#include "options.h"

#define KIB ((size_t) 1 << 10)
#define MIB ((size_t) 1 << 20)
#define GIB ((size_t) 1 << 30)

/*
 * The check is the peak RSS: a free that touched every page would make them resident. The time
 * bound is only a loose second witness (writing 1 GiB takes about a second on the project's VM,
 * a sparse free well under 1 ms), loose enough that a loaded machine never trips it: speed is
 * the benchmarks' to measure.
 */
#define SPARSE_MAX_MS  250
#define SPARSE_MAX_RSS (16 * MIB)

static const char *const mode_names[] = {"free", "alloc", "none"};

/* Hide a size from the compiler (the kz_ prototypes carry alloc_size). */
static size_t opaque(size_t n)
{
	__asm__ volatile("" : "+r"(n));
	return n;
}

static size_t peak_rss(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (size_t) ru.ru_maxrss * KIB;
}

/* Pages of [p, p + len) that hold memory, by mincore (the test's own view, not kzmalloc's). */
static size_t resident_pages(const void *p, size_t len)
{
	static unsigned char vec[1024];
	size_t n = 0;

	for (size_t off = 0; off < len; off += sizeof(vec) * KZ_PAGE_SIZE) {
		size_t piece = len - off < sizeof(vec) * KZ_PAGE_SIZE ? len - off
								      : sizeof(vec) * KZ_PAGE_SIZE;

		assert_int_equal(mincore((char *) p + off, piece, vec), 0);
		for (size_t i = 0; i < (piece + KZ_PAGE_SIZE - 1) / KZ_PAGE_SIZE; i++)
			n += vec[i] & 1;
	}
	return n;
}

/* One round: @size bytes, the first and last written (or, @check, read as zero); ms taken. */
static double sparse_round(size_t size, bool check)
{
	double t0 = kzt_now_ms();
	volatile char *p = kz_malloc(opaque(size));

	assert_non_null(p);
	if (check) {
		assert_int_equal(p[0], 0);
		assert_int_equal(p[size - 1], 0);
	}
	p[0] = 0x5a;
	p[size - 1] = 0x5a;
	kz_free((void *) p);
	return kzt_now_ms() - t0;
}

static void sparse(size_t size)
{
	double first, again;

	kz_malloc_trim(0); /* nothing cached from before: the first round maps afresh */
	first = sparse_round(size, false);
	again = sparse_round(size, true);
	print_message("%zu MiB: %.2f ms, again %.2f ms; peak RSS %zu KiB\n", size / MIB, first,
		      again, peak_rss() / KIB);
	buddy_verify();
	if (RUNNING_ON_VALGRIND)
		return;
	if (first > SPARSE_MAX_MS || again > SPARSE_MAX_MS)
		fail_msg("%zu MiB, two bytes written, freed: %.2f ms, again %.2f ms (over %d ms)",
			 size / MIB, first, again, SPARSE_MAX_MS);
	if (peak_rss() > SPARSE_MAX_RSS)
		fail_msg("%zu MiB, two bytes written, freed: peak RSS %zu KiB (over %zu)",
			 size / MIB, peak_rss() / KIB, SPARSE_MAX_RSS / KIB);
}

static void sparse_1g(void **state)
{
	(void) state;
	sparse(1 * GIB);
}

static void sparse_4g(void **state)
{
	(void) state;
	sparse(4 * GIB);
}

/* @size bytes written whole, freed, allocated again (several rounds): zero everywhere. */
static void full_reuse(size_t size)
{
	for (int round = 0; round < 3; round++) {
		char *p = kz_malloc(opaque(size));

		assert_non_null(p);
		if (!kzt_is_zero(p, size))
			fail_msg("%zu KiB, round %d: not zero", size / KIB, round);
		memset(p, 0xa5, size);
		kz_free(p);
	}
	buddy_verify();
}

static void full_huge(void **state)
{
	(void) state;
	full_reuse(64 * MIB);
}

static void full_large(void **state)
{
	(void) state;
	full_reuse(1 * MIB);
}

/*
 * A 64 MiB mapping written in stripes: whole 2 MiB pieces, one page in five,
 * untouched gaps, differently each round, so that what is resident and
 * what is not alternate at every scale; freed, allocated again: all zero.
 */
static void striped_huge(void **state)
{
	const size_t size = 64 * MIB;

	(void) state;
	for (size_t round = 0; round < 4; round++) {
		char *p = kz_malloc(opaque(size));

		assert_non_null(p);
		if (!kzt_is_zero(p, size))
			fail_msg("striped round %zu: not zero", round);
		for (size_t off = 0; off < size; off += 2 * MIB) {
			size_t piece = off / (2 * MIB) + round;

			if (piece % 3 == 0)
				memset(p + off, 0xa5, 2 * MIB);
			else if (piece % 3 == 1)
				for (size_t pg = round; pg < 512; pg += 5)
					p[off + pg * KZ_PAGE_SIZE + pg] = 0x5a;
		}
		kz_free(p);
	}
	buddy_verify();
}

/*
 * A 4 MiB page run (a page less, so that it stays a run with its guard
 * page) from purged pages, its first half written: the free neither
 * writes nor keeps the untouched half, and the pool knows it.
 */
static void large_half_touched(void **state)
{
	const size_t size = 4 * MIB - KZ_PAGE_SIZE, half = 2 * MIB;
	struct kz_pool_stats st;
	size_t before;
	char *p, *q;

	(void) state;
	kz_malloc_trim(0); /* the pool's free pages purged: the run comes from clean pages */
	kz_get_pool_stats(&st);
	before = st.pages_resident;
	p = kz_malloc(opaque(size));
	assert_non_null(p);
	assert_int_equal(resident_pages(p, size), 0);
	memset(p, 0xa5, half);
	kz_free(p);
	kz_get_pool_stats(&st);
	buddy_verify();
	print_message("half touched: %zu pages resident after the free, the pool counts %zu\n",
		      resident_pages(p + half, size - half), st.pages_resident - before);
	assert_int_equal(resident_pages(p + half, size - half), 0);
	assert_true(st.pages_resident - before >= half / KZ_PAGE_SIZE);
	assert_true(st.pages_resident - before <= half / KZ_PAGE_SIZE + 1);

	q = kz_malloc(opaque(size));
	assert_non_null(q);
	if (q == p) /* the same run again: still nothing written in its untouched half */
		assert_int_equal(resident_pages(q + half, size - half), 0);
	if (!kzt_is_zero(q, size))
		fail_msg("a half-touched run freed and allocated again is not zero");
	kz_free(q);
	buddy_verify();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sparse_1g),	cmocka_unit_test(sparse_4g),
		cmocka_unit_test(full_huge),	cmocka_unit_test(full_large),
		cmocka_unit_test(striped_huge), cmocka_unit_test(large_half_touched),
	};
	const char *name = argc > 1 ? argv[1] : "free";
	size_t m = 0;

	while (m < sizeof(mode_names) / sizeof(mode_names[0]) && strcmp(name, mode_names[m]))
		m++;
	if (m == sizeof(mode_names) / sizeof(mode_names[0])) {
		fprintf(stderr, "usage: %s free|alloc|none\n", argv[0]);
		return 2;
	}
	kz_free(kz_malloc(1)); /* the settings are read */
	if ((int) kz_opt.init != (int) m)
		fprintf(stderr, "warning: KZMALLOC_INIT is not %s\n", name);
	print_message("KZMALLOC_INIT=%s%s\n", name,
		      kz_opt.check & KZ_CHECK_GUARD ? ", KZMALLOC_CHECK=guard" : "");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
