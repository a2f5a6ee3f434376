/*
 * test_model.c - 100,000 random allocations and frees of random orders,
 * checked against a reference model: blocks never overlap, each keeps the
 * contents its owner wrote, each arrives zeroed, the pool's counters match
 * the model, the invariants hold throughout, and after the last free the
 * pool is whole chunks again. Once with a fixed seed, once with a random
 * one (printed; KZ_TEST_SEED replays it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "buddy.h"
#include "kztest.h"

enum { MAX_LIVE = 256, OPS = 100000, VERIFY_EVERY = 2000 };

struct block {
	char *addr;
	unsigned order;
	uint64_t id;
};

static struct block live[MAX_LIVE];
static size_t nr_live, pages_live;

/* Small orders are common, large ones rare: about 2^-order. */
static unsigned random_order(uint64_t *rng)
{
	unsigned order = 0;

	while (order < KZ_MAX_ORDER && (kzt_rand(rng) & 1))
		order++;
	return order;
}

/* Whole contents for small blocks; for big ones the first and last 64 bytes of every page. */
static void block_touch(struct block *b, int (*check)(const void *, size_t, uint64_t), int fill)
{
	size_t size = KZ_PAGE_SIZE << b->order;

	if (b->order <= 2) {
		if (fill)
			kzt_fill(b->addr, size, b->id);
		else
			assert_true(check(b->addr, size, b->id));
		return;
	}
	for (size_t off = 0; off < size; off += KZ_PAGE_SIZE) {
		uint64_t id = b->id ^ off;

		if (fill) {
			kzt_fill(b->addr + off, 64, id);
			kzt_fill(b->addr + off + KZ_PAGE_SIZE - 64, 64, ~id);
		} else {
			assert_true(check(b->addr + off, 64, id));
			assert_true(check(b->addr + off + KZ_PAGE_SIZE - 64, 64, ~id));
		}
	}
}

static int check_zero(const void *p, size_t len, uint64_t id)
{
	(void) id;
	return kzt_is_zero(p, len);
}

static void model_alloc(uint64_t *rng, uint64_t id)
{
	struct block b = {.order = random_order(rng), .id = id};
	size_t size = KZ_PAGE_SIZE << b.order;

	b.addr = kz_alloc_pages(b.order);
	assert_non_null(b.addr);
	assert_true(((uintptr_t) b.addr & (size - 1)) == 0);
	for (size_t i = 0; i < nr_live; i++) {
		size_t other = KZ_PAGE_SIZE << live[i].order;

		assert_true(b.addr + size <= live[i].addr || live[i].addr + other <= b.addr);
	}
	block_touch(&b, check_zero, 0);
	block_touch(&b, NULL, 1);
	live[nr_live++] = b;
	pages_live += 1u << b.order;
}

static void model_free(size_t i)
{
	block_touch(&live[i], kzt_check, 0);
	kz_free_pages(live[i].addr, live[i].order);
	pages_live -= 1u << live[i].order;
	live[i] = live[--nr_live];
}

static void run_model(uint64_t seed)
{
	uint64_t rng = seed;
	struct kz_pool_stats st;
	size_t ops = OPS / kzt_scale();

	print_message("model: seed %#llx, %zu operations\n", (unsigned long long) seed, ops);
	for (size_t op = 0; op < ops; op++) {
		int grow = nr_live == 0 || (nr_live < MAX_LIVE && kzt_rand(&rng) % 100 < 52);

		if (grow)
			model_alloc(&rng, op + 1);
		else
			model_free(kzt_rand(&rng) % nr_live);
		if (op % VERIFY_EVERY == 0) {
			buddy_verify();
			kz_get_pool_stats(&st);
			assert_int_equal(st.pages_in_use, pages_live);
		}
		if (op % (OPS / 4) == OPS / 8)
			kz_trim(); /* purge and unmap mid-run too */
	}
	while (nr_live)
		model_free(nr_live - 1);
	buddy_verify();
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_in_use, 0);
	for (unsigned order = 0; order < KZ_MAX_ORDER; order++)
		assert_int_equal(st.free_blocks[order], 0);
	assert_int_equal(st.free_blocks[KZ_MAX_ORDER], st.chunks);
	kz_trim();
	kz_get_pool_stats(&st);
	assert_int_equal(st.chunks, 0);
}

static void model_fixed_seed(void **state)
{
	(void) state;
	run_model(0x2545F4914F6CDD1DULL);
}

static void model_random_seed(void **state)
{
	(void) state;
	run_model(kzt_seed(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(model_fixed_seed),
		cmocka_unit_test(model_random_seed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
