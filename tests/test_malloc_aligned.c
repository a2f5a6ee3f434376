/*
 * test_malloc_aligned.c - small, highly aligned requests, once per KZMALLOC_INIT mode (named by
 * the first argument) and again with KZMALLOC_CHECK=canary: every alignment from 16 B to a page
 * with every size up to twice it is aligned, holds its size, reads zero (where the mode
 * promises it), takes writes to all its usable bytes, and is freed by free, free_aligned_sized
 * and realloc; aligned objects mixed with plain ones of the same class never overlap; and many
 * live aligned objects take about the pages their alignment needs, no more, and share them with
 * plain objects (the aligned slots of kmalloc.c's router).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kztest.h"

enum { MIN_ALIGN = 16, MAX_ALIGN = 4096, LIVE = 1000, PLAIN_SIZE = 64 };

static bool zero_promised; /* KZMALLOC_INIT=free or alloc: reused objects read zero */

static bool is_aligned(const void *p, size_t alignment)
{
	return ((uintptr_t) p & (alignment - 1)) == 0;
}

static size_t slab_pages(void)
{
	struct kz_pool_stats st;

	kz_get_pool_stats(&st);
	return st.pages_slab;
}

/* One aligned object checked: aligned, its size usable, zero if promised, writable. */
static void *aligned_checked(size_t align, size_t size)
{
	void *p = kz_aligned_alloc(align, size);
	size_t usable;

	if (!p)
		fail_msg("aligned_alloc(%zu, %zu): NULL", align, size);
	if (!is_aligned(p, align))
		fail_msg("aligned_alloc(%zu, %zu) = %p: not aligned", align, size, p);
	usable = kz_malloc_usable_size(p);
	if (usable < size)
		fail_msg("aligned_alloc(%zu, %zu): usable size %zu", align, size, usable);
	if (zero_promised && !kzt_is_zero(p, usable))
		fail_msg("aligned_alloc(%zu, %zu): old bytes in the object", align, size);
	memset(p, 0xa5, usable);
	return p;
}

/* Free @p, of @size bytes aligned to @align, in the way @how picks. */
static void free_some_way(void *p, size_t align, size_t size, unsigned how)
{
	void *q;

	switch (how % 4) {
	case 0:
		kz_free(p);
		break;
	case 1:
		kz_free_aligned_sized(p, align, size);
		break;
	case 2:
		kz_free_sized(p, size);
		break;
	default:
		q = kz_realloc(p, size + 1);
		assert_non_null(q);
		for (size_t i = 0; i < size; i++)
			if (((unsigned char *) q)[i] != 0xa5)
				fail_msg("realloc(%zu -> %zu): byte %zu lost", size, size + 1, i);
		kz_free(q);
	}
}

static void every_alignment_every_size(void **state)
{
	(void) state;
	for (size_t align = MIN_ALIGN; align <= MAX_ALIGN; align *= 2) {
		size_t step = align >= 1024 && kzt_scale() > 1 ? align / 64 : 1;

		for (size_t size = 1; size <= 2 * align; size += step) {
			void *a = aligned_checked(align, size);
			void *b = aligned_checked(align, size);

			free_some_way(a, align, size, (unsigned) size);
			free_some_way(b, align, size, (unsigned) size + 1);
		}
	}
}

/* Aligned objects and plain ones of the class that fits their size, filled and checked. */
static void interleaved_with_plain(void **state)
{
	enum { N = 200, PER = 8 };
	static void *obj[N * (PER + 1)];
	static size_t len[N * (PER + 1)];
	size_t n = 0;

	(void) state;
	for (size_t align = 64; align <= MAX_ALIGN; align *= 4) {
		n = 0;
		for (size_t i = 0; i < N; i++) {
			len[n] = 48;
			obj[n] = aligned_checked(align, len[n]);
			kzt_fill(obj[n], len[n], n);
			n++;
			for (size_t k = 0; k < PER; k++, n++) {
				len[n] = 33 + (k * 7) % 16;
				obj[n] = kz_malloc(len[n]);
				assert_non_null(obj[n]);
				kzt_fill(obj[n], len[n], n);
			}
			/* Free some as we go, so that slots come back to be reused. */
			if (i % 3 == 2) {
				kz_free(obj[n - 2]);
				obj[n - 2] = kz_aligned_alloc(align, 40);
				assert_true(is_aligned(obj[n - 2], align));
				len[n - 2] = 40;
				kzt_fill(obj[n - 2], 40, n - 2);
			}
		}
		for (size_t i = 0; i < n; i++)
			if (!kzt_check(obj[i], len[i], i))
				fail_msg("align %zu: object %zu overwritten", align, i);
		for (size_t i = 0; i < n; i++)
			kz_free(obj[(i * 7919) % n]);
	}
}

/*
 * LIVE objects aligned to @align of @size bytes, replaced one at a time in a long loop: the slab
 * pages they add stay near what the alignment needs (one object per @align bytes at least).
 */
/*
 * A block of the class that is a multiple of the alignment, which a small aligned request routes
 * past (to an aligned slot), is still freed by its size: pvalloc(0) is a kmalloc-4k object whose
 * size, as free_sized and free_aligned_sized are told, is 0 (found by the fuzzer). With the
 * canary, which knows the very size, only that size fits (pvalloc's is a page): not run then.
 */
static void class_of_the_alignment_frees_sized(void **state)
{
	const char *check = getenv("KZMALLOC_CHECK");
	void *p;

	(void) state;
	if (check && (strstr(check, "canary") || strstr(check, "all")))
		skip();
	p = kz_pvalloc(0);
	assert_non_null(p);
	kz_free_sized(p, 0);
	p = kz_pvalloc(0);
	assert_non_null(p);
	kz_free_aligned_sized(p, KZ_PAGE_SIZE, 0);
	p = kz_valloc(0);
	assert_non_null(p);
	kz_free_aligned_sized(p, KZ_PAGE_SIZE, 0);
}

static void live_aligned_pages(size_t align, size_t size)
{
	static void *live[LIVE];
	size_t before = slab_pages(), need = (LIVE * align + KZ_PAGE_SIZE - 1) / KZ_PAGE_SIZE;
	size_t slack = 160, peak = 0; /* a thread cache's worth of freed objects, the spares */
	uint64_t seed = kzt_seed(13);

	for (size_t i = 0; i < LIVE; i++)
		live[i] = aligned_checked(align, size);
	for (size_t round = 0; round < 20 * LIVE / kzt_scale(); round++) {
		size_t i = kzt_rand(&seed) % LIVE, now;

		kz_free(live[i]);
		live[i] = aligned_checked(align, size);
		now = slab_pages() - before;
		peak = now > peak ? now : peak;
	}
	if (!RUNNING_ON_VALGRIND && peak > need + slack)
		fail_msg("%d live aligned_alloc(%zu, %zu): %zu slab pages, %zu needed", LIVE, align,
			 size, peak, need);
	for (size_t i = 0; i < LIVE; i++)
		kz_free(live[i]);
}

static void live_aligned_take_their_pages(void **state)
{
	(void) state;
	live_aligned_pages(4096, 64);
	live_aligned_pages(4096, 1);
	live_aligned_pages(1024, 100);
	live_aligned_pages(256, 16);
}

/*
 * LIVE page-aligned 64-byte objects and 63 times as many plain 64-byte ones fill about LIVE
 * pages: the plain objects take the slots an aligned object leaves in its slab.
 */
static void aligned_share_pages_with_plain(void **state)
{
	enum { PLAIN = LIVE * 63 };
	static void *aligned[LIVE], *plain[PLAIN];
	size_t before = slab_pages(), used;

	(void) state;
	for (size_t i = 0; i < LIVE; i++)
		aligned[i] = aligned_checked(4096, PLAIN_SIZE);
	for (size_t i = 0; i < PLAIN; i++) {
		plain[i] = kz_malloc(PLAIN_SIZE);
		assert_non_null(plain[i]);
	}
	used = slab_pages() - before;
	if (!RUNNING_ON_VALGRIND && used > LIVE + LIVE / 4 + 160)
		fail_msg("%d aligned and %d plain 64-byte objects: %zu slab pages", LIVE, PLAIN,
			 used);
	for (size_t i = 0; i < PLAIN; i++)
		kz_free(plain[i]);
	for (size_t i = 0; i < LIVE; i++)
		kz_free_aligned_sized(aligned[i], 4096, PLAIN_SIZE);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_alignment_every_size),
		cmocka_unit_test(interleaved_with_plain),
		cmocka_unit_test(class_of_the_alignment_frees_sized),
		cmocka_unit_test(live_aligned_take_their_pages),
		cmocka_unit_test(aligned_share_pages_with_plain),
	};
	const char *mode = argc > 1 ? argv[1] : "free";

	zero_promised = strcmp(mode, "none") != 0;
	print_message("KZMALLOC_INIT=%s\n", mode);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
