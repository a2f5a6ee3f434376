/*
 * test_malloc_zero.c - the zero contract of the malloc family, in the
 * KZMALLOC_INIT mode named by the first argument (ctest sets the variable
 * to match):
 *
 *   free   (default) objects are cleared when freed: malloc is always zero
 *   alloc  objects are cleared when handed out: malloc is always zero
 *   none   malloc may return old bytes; calloc still zeroes
 *
 * Each size class, large and huge size is allocated, dirtied with 0xa5 and
 * freed, several objects and rounds at a time so that the same memory comes
 * back, and must then read zero: through malloc and realloc's new bytes in
 * the clearing modes, through calloc in every mode. A huge block never
 * allocated before comes from fresh pages and reads zero in every mode. In
 * the default mode a freed object (a class object or a page run) reads zero
 * through the stale pointer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "kztest.h"
#include "options.h"

#define KIB	      ((size_t) 1 << 10)
#define MIB	      ((size_t) 1 << 20)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Objects live at once per size, and rounds of allocate, dirty, free. */
enum { LIVE = 4, ROUNDS = 3, DIRT = 0xa5 };

static enum init_mode { INIT_FREE, INIT_ALLOC, INIT_NONE } mode;
static const char *const mode_names[] = {"free", "alloc", "none"};

/* The slab classes, kmalloc-32 to kmalloc-128k: four per power of two from 64 B up. */
static const size_t class_sizes[] = {
	32,    48,    64,    80,    96,	   112,	  128,	 160,	192,   224,    256,    320,
	384,   448,   512,   640,   768,   896,	  1024,	 1280,	1536,  1792,   2048,   2560,
	3072,  3584,  4096,  5120,  6144,  7168,  8192,	 10240, 12288, 14336,  16384,  20480,
	24576, 28672, 32768, 40960, 49152, 57344, 65536, 81920, 98304, 114688, 131072,
};

/* Past the classes: page blocks (large), then direct mappings (huge). */
static const size_t page_sizes[] = {200 * KIB, 1 * MIB, 3 * MIB, 5 * MIB, 20 * MIB};

#define NR_SIZES (ARRAY_SIZE(class_sizes) + ARRAY_SIZE(page_sizes))

static size_t size_at(size_t i)
{
	return i < ARRAY_SIZE(class_sizes) ? class_sizes[i]
					   : page_sizes[i - ARRAY_SIZE(class_sizes)];
}

/* Allocated nowhere else in this program, so its pages can only be fresh. */
#define FRESH_SIZE (64 * MIB)

/*
 * Hide a pointer from the optimizer: the kz_ prototypes carry alloc_size,
 * and these tests write and read the whole usable size, past the request.
 */
static void *opaque_ptr(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

static unsigned rounds(void)
{
	return kzt_scale() > 1 ? 2 : ROUNDS;
}

/* Dirty everything the caller may use, the usable size, not just the request. */
static void dirty(void *p)
{
	memset(opaque_ptr(p), DIRT, kz_malloc_usable_size(p));
}

/*
 * The bytes that must read zero: in the clearing modes the whole usable
 * size (nothing of an earlier object may show), under none only what
 * calloc was asked for.
 */
static size_t zero_span(void *p, size_t size)
{
	return mode == INIT_NONE ? size : kz_malloc_usable_size(p);
}

static void assert_zero(void *p, size_t len, const char *what, size_t size, unsigned round)
{
	if (!kzt_is_zero(opaque_ptr(p), len))
		fail_msg("%s(%zu), round %u, KZMALLOC_INIT=%s: old bytes in the object", what, size,
			 round, mode_names[mode]);
}

/* Leave LIVE dirty objects of @size freed, for the next allocations to reuse. */
static void leave_dirty(size_t size)
{
	void *p[LIVE];

	for (unsigned i = 0; i < LIVE; i++) {
		p[i] = kz_malloc(size);
		assert_non_null(p[i]);
		dirty(p[i]);
	}
	for (unsigned i = 0; i < LIVE; i++)
		kz_free(p[i]);
}

static void fresh_huge_is_zero(void **state)
{
	char *p = kz_malloc(FRESH_SIZE);

	(void) state;
	assert_non_null(p);
	assert_zero(p, FRESH_SIZE, "kz_malloc", FRESH_SIZE, 0);
	kz_free(p);
}

static void malloc_reuse_is_zero(void **state)
{
	(void) state;
	if (mode == INIT_NONE)
		skip();
	for (size_t s = 0; s < NR_SIZES; s++) {
		size_t size = size_at(s);

		for (unsigned round = 0; round < rounds(); round++) {
			void *p[LIVE];

			for (unsigned i = 0; i < LIVE; i++) {
				p[i] = kz_malloc(size);
				assert_non_null(p[i]);
				assert_zero(p[i], kz_malloc_usable_size(p[i]), "kz_malloc", size,
					    round);
				dirty(p[i]);
			}
			for (unsigned i = 0; i < LIVE; i++)
				kz_free(p[i]);
		}
	}
}

/*
 * A freed page run or mapping reads zero within half the purge delay, or once a free after that
 * has run (a free that reaches purge_notify, a page run's: it clears what the purger has not);
 * polled while no other free runs. Fewer than half the delay of polling: past the delay the
 * block could be purged or unmapped.
 */
static bool reads_zero_soon(const char *p, size_t size)
{
	double t0 = kzt_now_ms();

	while (kzt_now_ms() - t0 < kz_opt.purge_delay_ms / 2.0) {
		if (kzt_is_zero(p, size))
			return true;
		usleep(1000);
	}
	kz_free(kz_malloc(200 * KIB));
	return kzt_is_zero(p, size);
}

/*
 * The default mode: a read through a stale pointer never reads old data for long (at once for a
 * class object, which is cleared at free).
 */
static void freed_object_reads_zero(void **state)
{
	(void) state;
	if (mode != INIT_FREE || RUNNING_ON_VALGRIND) /* memcheck reports these reads, rightly */
		skip();
	for (size_t s = 0; s < NR_SIZES; s++) {
		size_t size = size_at(s);
		char *p = kz_malloc(size), *keep = kz_malloc(size);

		assert_non_null(p);
		dirty(p);
		kz_free(p);
		if (size <= class_sizes[ARRAY_SIZE(class_sizes) - 1])
			assert_zero(p, size, "read after kz_free", size, 0);
		else if (!reads_zero_soon(p, size))
			fail_msg("read after kz_free(%zu), half the purge delay later: old bytes",
				 size);
		kz_free(keep);
	}
}

/* calloc after a dirty free of the same size: zero in every mode. */
static void calloc_reuse_is_zero(void **state)
{
	(void) state;
	for (size_t s = 0; s < NR_SIZES; s++) {
		size_t size = size_at(s);

		for (unsigned round = 0; round < rounds(); round++) {
			void *p[LIVE];

			leave_dirty(size);
			for (unsigned i = 0; i < LIVE; i++) {
				p[i] = kz_calloc(1, size);
				assert_non_null(p[i]);
				assert_zero(p[i], zero_span(p[i], size), "kz_calloc", size, round);
				dirty(p[i]);
			}
			for (unsigned i = 0; i < LIVE; i++)
				kz_free(p[i]);
		}
	}
}

/* Arrays of many shapes, each after a dirty free of the same total size. */
static void calloc_shapes_are_zero(void **state)
{
	static const size_t shapes[][2] = {
		{1, 1},	    {3, 11},	  {7, 16},	    {16, 7},	  {100, 10},
		{1000, 8},  {8, 1000},	  {33, 1023},	    {7, 4096},	  {4096, 40},
		{3, 43691}, {1024, 1024}, {5, 1 * MIB + 3}, {1, 6 * MIB}, {3, 3 * MIB},
	};

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++) {
		size_t nmemb = shapes[i][0], size = shapes[i][1];

		for (unsigned round = 0; round < rounds(); round++) {
			void *p;

			leave_dirty(nmemb * size);
			p = kz_calloc(nmemb, size);
			assert_non_null(p);
			assert_zero(p, zero_span(p, nmemb * size), "kz_calloc", nmemb * size,
				    round);
			dirty(p);
			kz_free(p);
		}
	}
}

/*
 * realloc's new bytes are zero in the clearing modes, whether the block
 * grows in place (within its class) or moves (to the next class, the
 * large or the huge path): only the old request was ever written.
 */
static void realloc_new_bytes_are_zero(void **state)
{
	(void) state;
	if (mode == INIT_NONE)
		skip();
	for (size_t s = 0; s < NR_SIZES; s++) {
		size_t size = size_at(s);
		size_t steps[] = {size / 2 + 1, size, size + size / 2};
		char *p;

		leave_dirty(steps[1]);
		leave_dirty(steps[2]);
		p = kz_malloc(steps[0]);
		assert_non_null(p);
		kzt_fill(p, steps[0], s);
		for (size_t i = 1; i < ARRAY_SIZE(steps); i++) {
			size_t usable;

			p = kz_realloc(p, steps[i]);
			assert_non_null(p);
			assert_true(kzt_check(p, steps[0], s));
			usable = kz_malloc_usable_size(p);
			assert_zero(p + steps[0], usable - steps[0], "kz_realloc", steps[i], 0);
		}
		kz_free(p);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_huge_is_zero),
		cmocka_unit_test(malloc_reuse_is_zero),
		cmocka_unit_test(freed_object_reads_zero),
		cmocka_unit_test(calloc_reuse_is_zero),
		cmocka_unit_test(calloc_shapes_are_zero),
		cmocka_unit_test(realloc_new_bytes_are_zero),
	};
	const char *name = argc > 1 ? argv[1] : "free";
	size_t m = 0;

	while (m < ARRAY_SIZE(mode_names) && strcmp(name, mode_names[m]) != 0)
		m++;
	if (m == ARRAY_SIZE(mode_names)) {
		fprintf(stderr, "usage: %s [free|alloc|none]\n", argv[0]);
		return 2;
	}
	mode = (enum init_mode) m;
	print_message("KZMALLOC_INIT=%s\n", name);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
