/*
 * test_malloc_trim.c - memory freed by the program goes back to the OS:
 * after a large allocate/free cycle (class objects, large runs, huge
 * mappings) and malloc_trim(0), RSS falls back near where it started, and
 * the slabs emptied by the frees went back to the pool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "kztest.h"

enum { SMALL = 24 << 10, NR_SMALL = 2048, LARGE = 1 << 20, NR_LARGE = 32, HUGE = 16 << 20 };

static void trim_returns_freed_memory(void **state)
{
	static void *small[NR_SMALL], *large[NR_LARGE];
	struct kz_pool_stats st;
	size_t base, peak, after;
	void *huge;

	(void) state;
	kz_malloc_trim(0);
	base = kzt_rss();
	for (size_t i = 0; i < NR_SMALL; i++) {
		small[i] = kz_malloc(SMALL);
		assert_non_null(small[i]);
		memset(small[i], 0x5a, SMALL);
	}
	for (size_t i = 0; i < NR_LARGE; i++) {
		large[i] = kz_malloc(LARGE);
		assert_non_null(large[i]);
		memset(large[i], 0x5a, LARGE);
	}
	huge = kz_malloc(HUGE);
	assert_non_null(huge);
	memset(huge, 0x5a, HUGE);
	peak = kzt_rss();
	for (size_t i = 0; i < NR_SMALL; i++)
		kz_free(small[i]);
	for (size_t i = 0; i < NR_LARGE; i++)
		kz_free(large[i]);
	kz_free(huge);
	assert_int_equal(kz_malloc_trim(0), 1);
	after = kzt_rss();
	print_message("rss: start %zu KiB, peak %zu KiB, after free + malloc_trim %zu KiB\n",
		      base >> 10, peak >> 10, after >> 10);
	assert_true(peak >= base + (NR_SMALL * (size_t) SMALL + NR_LARGE * (size_t) LARGE) / 2);
	assert_true(after <= base + (peak - base) / 8);
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_slab, 0);
	assert_int_equal(st.pages_large, 0);
	assert_int_equal(st.huge_mappings, 0);
	assert_int_equal(st.pages_resident, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(trim_returns_freed_memory)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
