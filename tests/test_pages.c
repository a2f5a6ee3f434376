/*
 * test_pages.c - the page API's contract: get_order, alignment, zeroing,
 * errno, and the zeroing accounting (fresh and purged pages are never
 * cleared again, dirty ones always are).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "kztest.h"

static void get_order_table(void **state)
{
	static const struct {
		size_t size;
		unsigned order;
	} table[] = {
		{0, 0},
		{1, 0},
		{4095, 0},
		{4096, 0},
		{4097, 1},
		{8192, 1},
		{8193, 2},
		{16384, 2},
		{16385, 3},
		{65536, 4},
		{65537, 5},
		{1 << 20, 8},
		{(1 << 20) + 1, 9},
		{2 << 20, 9},
		{4 << 20, 10},
		{(4 << 20) + 1, 11},
		{(size_t) 1 << 32, 20},
		{((size_t) 1 << 40) + 5, 29},
	};

	(void) state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		assert_int_equal(kz_get_order(table[i].size), table[i].order);
	for (unsigned order = 0; order <= KZ_MAX_ORDER; order++) {
		assert_int_equal(kz_get_order(KZ_PAGE_SIZE << order), order);
		if (order)
			assert_int_equal(kz_get_order((KZ_PAGE_SIZE << (order - 1)) + 1), order);
	}
}

static void every_order_aligned_zero(void **state)
{
	(void) state;
	for (unsigned order = 0; order <= KZ_MAX_ORDER; order++) {
		size_t size = KZ_PAGE_SIZE << order;
		char *p = kz_alloc_pages(order);

		assert_non_null(p);
		assert_true(((uintptr_t) p & (size - 1)) == 0);
		assert_true(kzt_is_zero(p, size));
		memset(p, 0xff, size);
		kz_free_pages(p, order);

		/* The same block again (the pool reuses dirty blocks first): zero. */
		p = kz_alloc_pages(order);
		assert_non_null(p);
		assert_true(kzt_is_zero(p, size));
		kz_free_pages(p, order);
	}
}

static void refill_every_page_of_a_chunk(void **state)
{
	enum { N = 1u << KZ_MAX_ORDER };
	static char *pages[N];

	(void) state;
	for (unsigned i = 0; i < N; i++) {
		pages[i] = kz_get_zeroed_page();
		assert_non_null(pages[i]);
		memset(pages[i], 0xff, KZ_PAGE_SIZE);
	}
	for (unsigned i = 0; i < N; i++)
		kz_free_page(pages[i]);
	for (unsigned i = 0; i < N; i++) {
		pages[i] = kz_get_zeroed_page();
		assert_true(kzt_is_zero(pages[i], KZ_PAGE_SIZE));
	}
	for (unsigned i = 0; i < N; i++)
		kz_free_page(pages[i]);
}

static void bad_arguments(void **state)
{
	(void) state;
	errno = 0;
	assert_null(kz_alloc_pages(KZ_MAX_ORDER + 1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(kz_alloc_pages(~0u));
	assert_int_equal(errno, EINVAL);
	kz_free_pages(NULL, 0);
	kz_free_pages(NULL, KZ_MAX_ORDER);
	kz_free_page(NULL);

	/* The pool keeps working after a refused request. */
	void *p = kz_alloc_pages(3);
	assert_non_null(p);
	kz_free_pages(p, 3);
}

static void zeroing_accounting(void **state)
{
	struct kz_pool_stats before, after;
	char *p;

	(void) state;
	kz_trim(); /* start from a pool that holds no dirty page */

	/* Fresh (or purged) pages: no memset. */
	kz_get_pool_stats(&before);
	p = kz_alloc_pages(4);
	kz_get_pool_stats(&after);
	assert_int_equal(after.pages_zeroed, before.pages_zeroed);
	assert_int_equal(after.pages_in_use, before.pages_in_use + 16);

	/* Dirty pages: cleared once each, counted. */
	memset(p, 0x5a, KZ_PAGE_SIZE << 4);
	kz_free_pages(p, 4);
	kz_get_pool_stats(&after);
	assert_int_equal(after.pages_dirty, before.pages_dirty + 16);
	p = kz_alloc_pages(4);
	kz_get_pool_stats(&after);
	assert_int_equal(after.pages_zeroed, before.pages_zeroed + 16);
	assert_true(kzt_is_zero(p, KZ_PAGE_SIZE << 4));

	/* Purged pages read zero without a memset. */
	memset(p, 0x5a, KZ_PAGE_SIZE << 4);
	kz_free_pages(p, 4);
	assert_true(kz_trim() >= (KZ_PAGE_SIZE << 4));
	kz_get_pool_stats(&before);
	assert_int_equal(before.pages_dirty, 0);
	p = kz_alloc_pages(4);
	kz_get_pool_stats(&after);
	assert_int_equal(after.pages_zeroed, before.pages_zeroed);
	assert_true(kzt_is_zero(p, KZ_PAGE_SIZE << 4));
	kz_free_pages(p, 4);
}

static void stats_report(void **state)
{
	char buf[2048];
	int fds[2];
	ssize_t n;

	(void) state;
	assert_int_equal(pipe(fds), 0);
	kz_stats_print(fds[1]);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "kzmalloc buddyinfo: pool "));
	assert_non_null(strstr(buf, "kzmalloc pool: chunks "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_order_table),
		cmocka_unit_test(every_order_aligned_zero),
		cmocka_unit_test(refill_every_page_of_a_chunk),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(zeroing_accounting),
		cmocka_unit_test(stats_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
