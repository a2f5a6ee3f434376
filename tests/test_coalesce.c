/*
 * test_coalesce.c - split and coalesce: a whole chunk taken as order-0
 * pages in random order and freed in another random order merges back into
 * one max-order block, which the next max-order request reuses without
 * mapping a new chunk. Runs with a long purge delay so that no purge
 * unmaps the chunk under the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "buddy.h"
#include "kztest.h"

enum { NR = 1u << KZ_MAX_ORDER };

static void shuffle(void **v, size_t n, uint64_t *rng)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = kzt_rand(rng) % (i + 1);
		void *t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

static void chunk_of_pages_coalesces(void **state)
{
	static void *pages[NR];
	struct kz_pool_stats st;
	uint64_t rng = kzt_seed(0x5eed);
	char *big;

	(void) state;
	kz_get_pool_stats(&st);
	assert_int_equal(st.chunks, 0);

	for (size_t i = 0; i < NR; i++) {
		pages[i] = kz_get_zeroed_page();
		assert_non_null(pages[i]);
		*(uint64_t *) pages[i] = i + 1;
	}
	kz_get_pool_stats(&st);
	assert_int_equal(st.chunks, 1);
	assert_int_equal(st.pages_in_use, NR);

	/* Free in random order; the pool stays consistent at every step. */
	shuffle(pages, NR, &rng);
	for (size_t i = 0; i < NR; i++) {
		kz_free_page(pages[i]);
		if (i % 97 == 0)
			buddy_verify();
	}
	buddy_verify();

	kz_get_pool_stats(&st);
	for (unsigned order = 0; order < KZ_MAX_ORDER; order++)
		assert_int_equal(st.free_blocks[order], 0);
	assert_int_equal(st.free_blocks[KZ_MAX_ORDER], 1);
	assert_int_equal(st.pages_in_use, 0);
	assert_int_equal(st.pages_dirty, NR);

	big = kz_alloc_pages(KZ_MAX_ORDER);
	assert_non_null(big);
	assert_true(kzt_is_zero(big, KZ_PAGE_SIZE << KZ_MAX_ORDER));
	kz_get_pool_stats(&st);
	assert_int_equal(st.chunks, 1);
	assert_int_equal(st.free_blocks[KZ_MAX_ORDER], 0);
	kz_free_pages(big, KZ_MAX_ORDER);
}

/* Mixed orders, allocated and freed in random order, also come back whole. */
static void mixed_orders_coalesce(void **state)
{
	static void *blocks[4 * NR];
	static unsigned orders[4 * NR];
	struct kz_pool_stats st;
	uint64_t rng = kzt_seed(0xc0a1e5ce);
	size_t n = 0, pages = 0;

	(void) state;
	while (pages < 3 * NR) {
		unsigned order = (unsigned) (kzt_rand(&rng) % 6);

		blocks[n] = kz_alloc_pages(order);
		assert_non_null(blocks[n]);
		orders[n++] = order;
		pages += 1u << order;
	}
	buddy_verify();
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = kzt_rand(&rng) % (i + 1);
		void *tb = blocks[i];
		unsigned to = orders[i];

		blocks[i] = blocks[j];
		orders[i] = orders[j];
		blocks[j] = tb;
		orders[j] = to;
	}
	for (size_t i = 0; i < n; i++)
		kz_free_pages(blocks[i], orders[i]);
	buddy_verify();
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_in_use, 0);
	for (unsigned order = 0; order < KZ_MAX_ORDER; order++)
		assert_int_equal(st.free_blocks[order], 0);
	assert_int_equal(st.free_blocks[KZ_MAX_ORDER], st.chunks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chunk_of_pages_coalesces),
		cmocka_unit_test(mixed_orders_coalesce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
