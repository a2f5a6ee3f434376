/*
 * test_purge.c - free pages go back to the OS: at once on kz_trim(), after
 * the purge delay when the program is idle (the purger thread), on the
 * free path when the thread is off, and at every free with a zero delay.
 * The mode is the first argument; ctest sets KZMALLOC_PURGE_* to match.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "buddy.h"
#include "kztest.h"

enum { BIG = 64 << 20 }; /* 16 chunks */
enum { NR_BLOCKS = BIG / (KZ_PAGE_SIZE << KZ_MAX_ORDER) };

static void *blocks[NR_BLOCKS];

static void touch_and_free_big(void)
{
	for (size_t i = 0; i < NR_BLOCKS; i++) {
		blocks[i] = kz_alloc_pages(KZ_MAX_ORDER);
		assert_non_null(blocks[i]);
		memset(blocks[i], 0x77, KZ_PAGE_SIZE << KZ_MAX_ORDER);
	}
	for (size_t i = 0; i < NR_BLOCKS; i++)
		kz_free_pages(blocks[i], KZ_MAX_ORDER);
}

/* Poll the pool for up to 10 s: the purger owes us progress, not punctuality. */
static int wait_until_clean(void)
{
	struct kz_pool_stats st;

	for (int i = 0; i < 1000; i++) {
		kz_get_pool_stats(&st);
		if (st.pages_resident == 0 && st.chunks == 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void trim_drops_rss(void **state)
{
	struct kz_pool_stats st;
	size_t base, peak, after, released;

	(void) state;
	base = kzt_rss();
	touch_and_free_big();
	peak = kzt_rss();
	released = kz_trim();
	after = kzt_rss();
	print_message("rss: before %zu KiB, after the cycle %zu KiB, after kz_trim %zu KiB "
		      "(%zu KiB released)\n",
		      base >> 10, peak >> 10, after >> 10, released >> 10);
	assert_true(peak >= base + BIG / 2);
	assert_true(after + BIG / 2 <= peak);
	assert_true(released >= BIG);
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_resident, 0);
	assert_int_equal(st.chunks, 0);
	assert_true(st.chunks_unmapped >= NR_BLOCKS);

	/* And the pool works after giving everything back. */
	void *p = kz_alloc_pages(KZ_MAX_ORDER);
	assert_non_null(p);
	assert_true(kzt_is_zero(p, KZ_PAGE_SIZE << KZ_MAX_ORDER));
	kz_free_pages(p, KZ_MAX_ORDER);
	kz_trim();
}

/*
 * KZMALLOC_PURGE_DELAY=100: an idle program's free memory goes back by itself. The purger
 * thread is started by the first allocation slow path after a free left memory to purge
 * (purge.h: never from inside a free), so the work runs twice, as a program's would.
 */
static void decay_when_idle(void **state)
{
	size_t peak;

	(void) state;
	touch_and_free_big();
	touch_and_free_big();
	peak = kzt_rss();
	assert_true(wait_until_clean());
	print_message("rss: %zu KiB after the frees, %zu KiB after the purger ran\n", peak >> 10,
		      kzt_rss() >> 10);
	assert_true(kzt_rss() + BIG / 2 <= peak);
}

/* KZMALLOC_PURGE_THREAD=0: the decay runs on later frees instead. */
static void decay_on_free_path(void **state)
{
	int clean = 0;

	(void) state;
	touch_and_free_big();
	for (int i = 0; i < 1000 && !clean; i++) {
		struct kz_pool_stats st;

		usleep(10000);
		kz_free_page(kz_get_zeroed_page());
		kz_get_pool_stats(&st);
		clean = st.chunks <= 1 && st.pages_dirty <= 1;
	}
	assert_true(clean);
}

/* KZMALLOC_PURGE_DELAY=0: nothing dirty stays behind a free. */
static void purge_at_once(void **state)
{
	struct kz_pool_stats st;

	(void) state;
	touch_and_free_big();
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_resident, 0);
	assert_int_equal(st.chunks, 0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "trim";
	const struct CMUnitTest trim[] = {cmocka_unit_test(trim_drops_rss)};
	const struct CMUnitTest idle[] = {cmocka_unit_test(decay_when_idle)};
	const struct CMUnitTest on_free[] = {cmocka_unit_test(decay_on_free_path)};
	const struct CMUnitTest at_once[] = {cmocka_unit_test(purge_at_once)};

	if (!strcmp(mode, "idle"))
		return cmocka_run_group_tests(idle, NULL, NULL);
	if (!strcmp(mode, "on-free"))
		return cmocka_run_group_tests(on_free, NULL, NULL);
	if (!strcmp(mode, "at-once"))
		return cmocka_run_group_tests(at_once, NULL, NULL);
	return cmocka_run_group_tests(trim, NULL, NULL);
}
