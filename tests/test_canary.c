/*
 * test_canary.c - KZMALLOC_CHECK=canary seen from a program that behaves:
 * the canary is invisible. ctest runs it with the setting, once per
 * KZMALLOC_INIT mode (free, alloc, none), the mode's name its argument, and
 * again with KZMALLOC_CHECK=canary,guard (page runs then have no room for
 * the canary, only their last page's slack).
 *
 * Every request gets exactly its size as the usable size (there is no
 * slack to write into, or the canary would be hit), memory still reads
 * zero, an object filled to its last byte frees cleanly, a string filling
 * it ends there (the canary's first byte is zero: strlen stops at the
 * usable size), realloc in place moves the canary (what it uncovers reads
 * zero, what it keeps is kept), the aligned variants keep their alignment,
 * free_sized takes the very size asked, and a freed object holds nothing
 * of the canary. Writing past
 * the end is the misuse programs' part (tests/misuse/malloc_canary_*).
 * Under memcheck the canary is off (its redzones serve): only the sizes'
 * lower bounds are checked there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "kztest.h"
#include "options.h"

#define KIB ((size_t) 1 << 10)
#define MIB ((size_t) 1 << 20)

/* The two sides of each class boundary, a page run's ends, and the step to a huge mapping. */
static const size_t edge_sizes[] = {
	0,	1,	 7,	      8,	   9,		23,	 24,
	25,	40,	 41,	      1016,	   1017,	1024,	 1025,
	4088,	4089,	 131063,      131064,	   131065,	131072,	 131073,
	200000, 1 * MIB, 4 * MIB - 9, 4 * MIB - 8, 4 * MIB - 7, 4 * MIB, 5 * MIB + 3,
};

static bool clears; /* the mode clears objects (free or alloc): fresh memory reads zero */
static bool exact;  /* the canary is on: memcheck's redzones replace it under Valgrind */
static bool guard;  /* KZMALLOC_CHECK=guard too: a run's canary is its last page's slack */

static void check_usable(void *p, size_t size)
{
	if (exact)
		assert_int_equal(kz_malloc_usable_size(p), size);
	else
		assert_true(kz_malloc_usable_size(p) >= size);
}

static void *opaque(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

/* A huge mapping carries no canary: it may be longer than asked. */
static bool is_huge(size_t size)
{
	if (guard) /* a run and its guard page fit one chunk */
		return (size + KZ_PAGE_SIZE - 1) / KZ_PAGE_SIZE + 1 > 1024;
	return size + 8 > 4 * MIB;
}

/*
 * Whether a string filling @size bytes has a terminator after it: not a page-multiple run with
 * the guard page right after it (nor a huge mapping, as long as its pages).
 */
static bool has_slack(size_t size)
{
	return exact && !(size > 128 * KIB - 8 && guard && size % KZ_PAGE_SIZE == 0);
}

/* A string filling @p, an object of @size bytes, ends at its end. */
static void check_string_ends(char *p, size_t size)
{
	if (!has_slack(size))
		return;
	memset(p, 'a', size);
	assert_int_equal(strlen(opaque(p)), size);
}

static bool all_bytes(const void *p, size_t n, unsigned char byte)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != byte)
			return false;
	return true;
}

/* A fresh object: its usable size is the request, it reads zero, and it frees full. */
static void check_fresh(void *p, size_t size)
{
	assert_non_null(p);
	if (!is_huge(size))
		check_usable(p, size);
	else
		assert_true(kz_malloc_usable_size(p) >= size);
	if (clears)
		assert_true(all_bytes(p, size, 0));
	memset(p, 0xa5, size);
}

static void every_size_is_exact(void **state)
{
	(void) state;
	for (size_t size = 0; size <= 5000; size++) {
		void *p = kz_malloc(size);

		check_fresh(p, size);
		kz_free(p);
	}
	for (size_t i = 0; i < sizeof(edge_sizes) / sizeof(edge_sizes[0]); i++) {
		void *p = kz_malloc(edge_sizes[i]), *q = kz_calloc(1, edge_sizes[i]);

		check_fresh(p, edge_sizes[i]);
		check_fresh(q, edge_sizes[i]);
		assert_true(all_bytes(p, edge_sizes[i], 0xa5));
		kz_free(p);
		kz_free_sized(q, edge_sizes[i]);
	}
}

static void aligned_variants(void **state)
{
	static const size_t aligns[] = {32, 64, 256, 4096, 64 * KIB, 2 * MIB};
	static const size_t sizes[] = {0, 1, 40, 1000, 4096, 70000, 300000};

	(void) state;
	for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t align = aligns[a], size = sizes[s];
			void *p = kz_aligned_alloc(align, size), *q = NULL;

			assert_int_equal(kz_posix_memalign(&q, align, size), 0);
			assert_int_equal((uintptr_t) p % align, 0);
			assert_int_equal((uintptr_t) q % align, 0);
			check_fresh(p, size);
			check_fresh(q, size);
			kz_free_aligned_sized(p, align, size);
			kz_free(q);
		}
	}
	void *v = kz_pvalloc(5000);

	check_fresh(v, 8192); /* pvalloc asks for whole pages */
	kz_free(v);
}

/*
 * A string filling an object's usable size ends there, in class objects and page runs: the
 * canary's first byte is zero, so strlen stops there rather than reading on through the pattern.
 */
static void strings_end_at_the_usable_size(void **state)
{
	/* 1272 and 4 MiB - 8: a slack of the word alone */
	static const size_t sizes[] = {1016,	    1017,	    1272,	   4088,
				       131063,	    131064,	    131072,	   131073,
				       200000,	    256 * KIB - 7,  256 * KIB - 1, 256 * KIB,
				       1 * MIB + 1, 4 * MIB - 4097, 4 * MIB - 8};

	(void) state;
	if (!exact) /* memcheck's to report: the read past the end */
		skip();
	for (size_t size = 1; size <= 600; size++) {
		char *p = kz_malloc(size);

		check_string_ends(p, size);
		kz_free(p);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *p = kz_malloc(sizes[i]);

		assert_non_null(p);
		if (!is_huge(sizes[i])) {
			assert_int_equal(kz_malloc_usable_size(p), sizes[i]);
			check_string_ends(p, sizes[i]);
		}
		kz_free(p);
	}
}

/* Grow and shrink within one class, then into a page run and back. */
static void realloc_moves_the_canary(void **state)
{
	static const size_t steps[] = {20,     24,     10,     1,      0,	  23,
				       150000, 150007, 140000, 150001, 256 * KIB, 256 * KIB - 3,
				       100,    5};
	char *p = kz_malloc(17);
	size_t have = 17;

	(void) state;
	memset(p, 'a', have);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t size = steps[i], keep = size < have ? size : have;
		char *q = kz_realloc(p, size);

		if (size == 0) { /* realloc(p, 0) frees, as glibc's does */
			assert_null(q);
			p = kz_malloc(0);
			have = 0;
			continue;
		}
		assert_non_null(q);
		check_usable(q, size);
		assert_true(all_bytes(q, keep, 'a'));
		if (clears)
			assert_true(all_bytes(q + keep, size - keep, 0));
		check_string_ends(q, size);
		memset(q, 'a', size); /* to the last byte: the next realloc must not object */
		p = q;
		have = size;
	}
	kz_free_sized(p, have);
}

/* In the default mode a freed object reads zero: the canary's bytes too. */
static void freed_object_holds_no_canary(void **state)
{
	(void) state;
	/* Only the default mode clears at free; memcheck would rightly report the read. */
	if ((getenv("KZMALLOC_INIT") && strcmp(getenv("KZMALLOC_INIT"), "free")) ||
	    RUNNING_ON_VALGRIND)
		skip();
	for (size_t size = 1; size <= 200; size++) {
		unsigned char *p = kz_malloc(size);
		size_t room = (size + 8 + 15) / 16 * 16; /* at least its class: the canary's end */

		memset(p, 0xa5, size);
		kz_free(opaque(p));
		assert_true(all_bytes(p, room, 0));
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_size_is_exact),
		cmocka_unit_test(aligned_variants),
		cmocka_unit_test(strings_end_at_the_usable_size),
		cmocka_unit_test(realloc_moves_the_canary),
		cmocka_unit_test(freed_object_holds_no_canary),
	};

	clears = argc < 2 || strcmp(argv[1], "none");
	exact = !RUNNING_ON_VALGRIND;
	guard = kz_opt.check & KZ_CHECK_GUARD;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
