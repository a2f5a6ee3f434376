/*
 * test_malloc_api.c - the malloc family (the kz_ names) against glibc
 * 2.36's semantics: zero-byte and impossible requests, errno after every
 * failure (and the allocator still working after it), realloc through
 * every size class into the large and huge paths, each aligned variant,
 * usable sizes, the sized frees, free keeping errno, and glibc's extras
 * (mallopt, malloc_trim, mallinfo2, malloc_info, malloc_stats). Where C
 * or POSIX leave a choice, glibc's answer is the one pinned here.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "kztest.h"

#define KIB	      ((size_t) 1 << 10)
#define MIB	      ((size_t) 1 << 20)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum { MIN_ALIGN = 16, MAX_ALIGN_SHIFT = 23 /* 8 MiB */ };

/* The slab classes, kmalloc-32 to kmalloc-128k: four per power of two from 64 B up. */
static const size_t class_sizes[] = {
	32,    48,    64,    80,    96,	   112,	  128,	 160,	192,   224,    256,    320,
	384,   448,   512,   640,   768,   896,	  1024,	 1280,	1536,  1792,   2048,   2560,
	3072,  3584,  4096,  5120,  6144,  7168,  8192,	 10240, 12288, 14336,  16384,  20480,
	24576, 28672, 32768, 40960, 49152, 57344, 65536, 81920, 98304, 114688, 131072,
};

/* Past the classes: page blocks up to 4 MiB (large), direct mappings beyond (huge). */
static const size_t large_sizes[] = {
	128 * KIB + 1, 192 * KIB, 256 * KIB + 8, 512 * KIB, 1 * MIB,
	2 * MIB + 100, 3 * MIB,	  4 * MIB - 1,	 4 * MIB,
};
static const size_t huge_sizes[] = {4 * MIB + 1, 5 * MIB, 9 * MIB, 17 * MIB, 33 * MIB};

/* Requests no allocator can meet: overflow checks and the OS refusing. */
static const size_t impossible_sizes[] = {
	SIZE_MAX,	  SIZE_MAX / 2, (size_t) PTRDIFF_MAX + 1, SIZE_MAX - KZ_PAGE_SIZE + 1,
	(size_t) 1 << 48, /* larger than the user address space */
};

/*
 * Hide a value from the optimizer. The kz_ prototypes carry alloc_size and
 * alloc_align: without this gcc rejects the deliberately impossible
 * requests at compile time (-Walloc-size-larger-than), may fold alignment
 * checks to true, and may object to writes past the requested size into
 * the usable size.
 */
static size_t opaque(size_t n)
{
	__asm__ volatile("" : "+r"(n));
	return n;
}

static void *opaque_ptr(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

static bool is_aligned(const void *p, size_t alignment)
{
	return ((uintptr_t) opaque_ptr((void *) p) & (alignment - 1)) == 0;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static size_t round_up_pow2(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

#define assert_fails_with(call, err)                                                               \
	do {                                                                                       \
		errno = 0;                                                                         \
		assert_null(call);                                                                 \
		assert_int_equal(errno, err);                                                      \
	} while (0)

/* After a refused request every path must still serve: small, large, huge. */
static void assert_still_works(void)
{
	static const size_t sizes[] = {1, 100, 4000, 200 * KIB, 6 * MIB};

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char *p = kz_malloc(sizes[i]);

		assert_non_null(p);
		memset(p, 0x5a, sizes[i]);
		kz_free(p);
	}
}

/*
 * The sizes the sweeps visit: every size up to 4 KiB, each class boundary
 * above it (size - 1, size, size + 1), the large and huge sizes, and a
 * geometric walk up to 16 MiB.
 */
static void for_each_sweep_size(void (*fn)(size_t size))
{
	for (size_t n = 0; n <= 4096; n++)
		fn(n);
	for (size_t i = 0; i < ARRAY_SIZE(class_sizes); i++)
		for (size_t n = class_sizes[i] - 1; n <= class_sizes[i] + 1; n++)
			if (n > 4096)
				fn(n);
	for (size_t i = 0; i < ARRAY_SIZE(large_sizes); i++)
		fn(large_sizes[i]);
	for (size_t i = 0; i < ARRAY_SIZE(huge_sizes); i++)
		fn(huge_sizes[i]);
	for (size_t n = 4097; n <= 16 * MIB; n += n / 8 + 1)
		fn(n);
	fn(16 * MIB);
}

/* Every zero-byte request gives its own non-NULL pointer, which free takes. */
static void zero_size_is_unique(void **state)
{
	enum { N = 64 };
	void *p[N + 10];
	size_t n = 0;

	(void) state;
	for (; n < N; n++)
		p[n] = kz_malloc(opaque(0));
	p[n++] = kz_realloc(NULL, opaque(0));
	p[n++] = kz_calloc(opaque(0), 1);
	p[n++] = kz_calloc(1, opaque(0));
	p[n++] = kz_calloc(opaque(0), opaque(SIZE_MAX)); /* 0 * SIZE_MAX does not overflow */
	p[n++] = kz_calloc(opaque(SIZE_MAX), opaque(0));
	p[n++] = kz_reallocarray(NULL, opaque(0), opaque(0));
	p[n++] = kz_aligned_alloc(64, opaque(0));
	p[n++] = kz_memalign(64, opaque(0));
	p[n++] = kz_valloc(opaque(0));
	assert_int_equal(kz_posix_memalign(&p[n], 64, opaque(0)), 0);
	n++;
	for (size_t i = 0; i < n; i++) {
		assert_non_null(p[i]);
		assert_true(is_aligned(p[i], MIN_ALIGN));
		for (size_t j = 0; j < i; j++)
			assert_ptr_not_equal(p[i], p[j]);
	}
	for (size_t i = 0; i < n; i++)
		kz_free(p[i]);
}

static void impossible_malloc_enomem(void **state)
{
	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(impossible_sizes); i++) {
		assert_fails_with(kz_malloc(opaque(impossible_sizes[i])), ENOMEM);
		assert_still_works();
	}
}

/* The same requests through every other entry point that takes a size. */
static void impossible_everywhere_enomem(void **state)
{
	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(impossible_sizes); i++) {
		size_t n = opaque(impossible_sizes[i]);

		assert_fails_with(kz_calloc(1, n), ENOMEM);
		assert_fails_with(kz_calloc(n, 1), ENOMEM);
		assert_fails_with(kz_realloc(NULL, n), ENOMEM);
		assert_fails_with(kz_reallocarray(NULL, 1, n), ENOMEM);
		assert_fails_with(kz_valloc(n), ENOMEM);
		assert_fails_with(kz_pvalloc(n), ENOMEM);
		assert_fails_with(kz_memalign(64, n), ENOMEM);
		assert_fails_with(kz_aligned_alloc(64, n), ENOMEM);
		assert_fails_with(kz_memalign(4096, n), ENOMEM);
		assert_still_works();
	}
}

static void calloc_overflow_enomem(void **state)
{
	static const size_t shapes[][2] = {
		{SIZE_MAX / 2 + 1, 2},
		{2, SIZE_MAX / 2 + 1},
		{(size_t) 1 << 32, (size_t) 1 << 32},
		{SIZE_MAX, SIZE_MAX},
		{SIZE_MAX / 16 + 1, 16},
		{3, SIZE_MAX / 3 + 1},
	};

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++) {
		assert_fails_with(kz_calloc(opaque(shapes[i][0]), opaque(shapes[i][1])), ENOMEM);
		assert_still_works();
	}
}

static void realloc_null_is_malloc(void **state)
{
	static const size_t sizes[] = {0, 1, 100, 5000, 131072, 200 * KIB, 6 * MIB};

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char *p = kz_realloc(NULL, sizes[i]);

		assert_non_null(p);
		assert_true(is_aligned(p, MIN_ALIGN));
		assert_true(kz_malloc_usable_size(p) >= sizes[i]);
		memset(p, 0x5a, sizes[i]);
		kz_free(p);
	}
}

/* glibc frees the block and returns NULL (C23 leaves realloc(p, 0) undefined). */
static void realloc_zero_frees(void **state)
{
	static const size_t sizes[] = {1, 100, 5000, 200 * KIB, 6 * MIB};

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char *p = kz_malloc(sizes[i]);

		assert_non_null(p);
		memset(p, 0x5a, sizes[i]);
		assert_null(kz_realloc(p, opaque(0)));
	}
	assert_still_works();
}

/* A refused realloc leaves the old block where it was, whole, and still ours to use. */
static void realloc_failure_keeps_block(void **state)
{
	static const size_t sizes[] = {100, 4096, 200 * KIB, 6 * MIB};

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = sizes[i];
		char *p = kz_malloc(n);

		assert_non_null(p);
		kzt_fill(p, n, n);
		for (size_t j = 0; j < ARRAY_SIZE(impossible_sizes); j++) {
			assert_fails_with(kz_realloc(p, opaque(impossible_sizes[j])), ENOMEM);
			assert_true(kzt_check(p, n, n));
		}
		assert_still_works();
		p = kz_realloc(p, 2 * n);
		assert_non_null(p);
		assert_true(kzt_check(p, n, n));
		kzt_fill(p, 2 * n, ~n);
		assert_true(kzt_check(p, 2 * n, ~n));
		kz_free(p);
	}
}

static void reallocarray_overflow_keeps_block(void **state)
{
	static const size_t shapes[][2] = {
		{SIZE_MAX / 2 + 1, 2}, {2, SIZE_MAX / 2 + 1}, {(size_t) 1 << 32, (size_t) 1 << 32},
		{SIZE_MAX, SIZE_MAX},  {1, SIZE_MAX}, /* no overflow, just impossible */
	};
	char *p = kz_malloc(1000);

	(void) state;
	assert_non_null(p);
	kzt_fill(p, 1000, 7);
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++) {
		size_t nmemb = opaque(shapes[i][0]), size = opaque(shapes[i][1]);

		assert_fails_with(kz_reallocarray(p, nmemb, size), ENOMEM);
		assert_true(kzt_check(p, 1000, 7));
		assert_fails_with(kz_reallocarray(NULL, nmemb, size), ENOMEM);
		assert_still_works();
	}
	p = kz_reallocarray(p, 100, 30);
	assert_non_null(p);
	assert_true(kzt_check(p, 1000, 7));
	memset(p, 0x5a, 3000);
	kz_free(p);
}

/*
 * The list of every size the realloc walk visits, ascending: each class
 * boundary (size - 1, size, size + 1), then the large and huge paths.
 */
static size_t realloc_steps(size_t *steps)
{
	size_t n = 0;

	steps[n++] = 1;
	for (size_t i = 0; i < ARRAY_SIZE(class_sizes); i++)
		for (size_t s = class_sizes[i] - 1; s <= class_sizes[i] + 1; s++)
			steps[n++] = s;
	for (size_t i = 0; i < ARRAY_SIZE(large_sizes); i++)
		steps[n++] = large_sizes[i];
	for (size_t i = 0; i < ARRAY_SIZE(huge_sizes); i++)
		steps[n++] = huge_sizes[i];
	return n;
}

/* Resize @p from @old to @size bytes; the first min(old, size) bytes must survive. */
static char *realloc_step(char *p, size_t old, size_t size, uint64_t id)
{
	p = kz_realloc(p, size);
	assert_non_null(p);
	assert_true(is_aligned(p, MIN_ALIGN));
	assert_true(kz_malloc_usable_size(p) >= size);
	if (!kzt_check(p, min_size(old, size), id))
		fail_msg("realloc from %zu to %zu bytes lost the contents", old, size);
	kzt_fill(p, size, id + 1);
	return p;
}

/* Grow one block through every class boundary up to 33 MiB, then shrink it back. */
static void realloc_every_class_boundary(void **state)
{
	static size_t steps[1 + 3 * ARRAY_SIZE(class_sizes) + ARRAY_SIZE(large_sizes) +
			    ARRAY_SIZE(huge_sizes)];
	size_t n = realloc_steps(steps), old = 0;
	uint64_t id = 0;
	char *p = NULL;

	(void) state;
	assert_int_equal(n, ARRAY_SIZE(steps));
	for (size_t i = 0; i < n; i++, id++) {
		p = realloc_step(p, old, steps[i], id);
		old = steps[i];
	}
	for (size_t i = n; i-- > 0; id++) {
		p = realloc_step(p, old, steps[i], id);
		old = steps[i];
	}
	kz_free(p);
}

/*
 * Up to its usable size a block stays where it is, whatever it was asked for; one byte more
 * moves it, contents kept, and the old block is free (a second free of it would abort). Under
 * memcheck the usable size is the size asked for (vg.h), so one byte more may stay.
 */
static void realloc_within_usable_stays(void **state)
{
	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(class_sizes); i++) {
		size_t size = class_sizes[i] - class_sizes[i] / 4, usable;
		char *p = kz_malloc(size), *q;

		assert_non_null(p);
		usable = kz_malloc_usable_size(p);
		kzt_fill(p, usable, i);
		assert_ptr_equal(kz_realloc(p, usable), p);
		q = kz_realloc(p, usable + 1);
		assert_non_null(q);
		if (!RUNNING_ON_VALGRIND)
			assert_ptr_not_equal(q, p);
		assert_true(kzt_check(q, usable, i));
		kz_free(q);
	}
}

/* EINVAL unless the alignment is a power of two and a multiple of sizeof(void *). */
static void posix_memalign_bad_alignment(void **state)
{
	static const size_t alignments[] = {
		0, 1, 2, 4, 12, 24, 40, 96, 768, 3 * MIB, SIZE_MAX / 2 + 9, SIZE_MAX - 7, SIZE_MAX,
	};
	int sentinel;

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(alignments); i++) {
		void *p = &sentinel;

		assert_int_equal(kz_posix_memalign(&p, opaque(alignments[i]), 16), EINVAL);
		assert_ptr_equal(p, &sentinel);
	}
	assert_still_works();
}

/* The error comes back as the return value; *memptr is left alone. */
static void posix_memalign_impossible_enomem(void **state)
{
	int sentinel;
	void *p = &sentinel;

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(impossible_sizes); i++) {
		assert_int_equal(kz_posix_memalign(&p, 64, opaque(impossible_sizes[i])), ENOMEM);
		assert_ptr_equal(p, &sentinel);
		assert_int_equal(kz_posix_memalign(&p, 4096, opaque(impossible_sizes[i])), ENOMEM);
		assert_ptr_equal(p, &sentinel);
		assert_still_works();
	}
	/* A valid alignment of 2^63 cannot be met: ENOMEM, not EINVAL. */
	assert_int_equal(kz_posix_memalign(&p, opaque(SIZE_MAX / 2 + 1), 1), ENOMEM);
	assert_ptr_equal(p, &sentinel);
	assert_still_works();
}

static void *via_posix_memalign(size_t alignment, size_t size)
{
	void *p = NULL;

	if (alignment < sizeof(void *))
		alignment = sizeof(void *);
	return kz_posix_memalign(&p, alignment, size) == 0 ? p : NULL;
}

/*
 * Every power-of-two alignment from 1 B to 8 MiB, five sizes each, all
 * live at once: aligned, big enough, writable end to end, and not
 * overlapping (each keeps its own byte at both ends).
 */
static void check_every_alignment(void *(*alloc)(size_t alignment, size_t size))
{
	for (unsigned shift = 0; shift <= MAX_ALIGN_SHIFT; shift++) {
		size_t a = (size_t) 1 << shift;
		const size_t sizes[] = {1, a - 1, a, a + 1, 3 * a};
		unsigned char *p[ARRAY_SIZE(sizes)];

		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			p[i] = alloc(opaque(a), sizes[i]);
			if (!p[i])
				fail_msg("alignment %zu, size %zu: NULL", a, sizes[i]);
			if (!is_aligned(p[i], a) || !is_aligned(p[i], MIN_ALIGN))
				fail_msg("alignment %zu, size %zu: %p", a, sizes[i], (void *) p[i]);
			assert_true(kz_malloc_usable_size(p[i]) >= sizes[i]);
			memset(p[i], (int) i + 1, sizes[i]);
		}
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			if (sizes[i]) {
				assert_int_equal(p[i][0], i + 1);
				assert_int_equal(p[i][sizes[i] - 1], i + 1);
			}
			kz_free(p[i]);
		}
	}
}

static void aligned_alloc_every_power_of_two(void **state)
{
	(void) state;
	check_every_alignment(kz_aligned_alloc);
}

static void memalign_every_power_of_two(void **state)
{
	(void) state;
	check_every_alignment(kz_memalign);
}

static void posix_memalign_every_power_of_two(void **state)
{
	(void) state;
	check_every_alignment(via_posix_memalign);
}

/* glibc rounds an alignment that is not a power of two up to the next one. */
static void check_odd_alignments(void *(*alloc)(size_t alignment, size_t size))
{
	static const size_t alignments[] = {3, 5, 24, 48, 100, 1000, 4097, 12288, 3 * MIB};

	for (size_t i = 0; i < ARRAY_SIZE(alignments); i++) {
		size_t a = alignments[i];
		char *p = alloc(opaque(a), 100);

		assert_non_null(p);
		assert_true(is_aligned(p, round_up_pow2(a)));
		assert_true(is_aligned(p, MIN_ALIGN));
		memset(p, 0x5a, 100);
		kz_free(p);
	}
}

static void memalign_rounds_odd_alignment_up(void **state)
{
	(void) state;
	check_odd_alignments(kz_memalign);
}

/*
 * In glibc 2.36 aligned_alloc is memalign: it rounds an alignment that is
 * not a power of two up rather than refusing it (EINVAL came in 2.38).
 */
static void aligned_alloc_rounds_odd_alignment_up(void **state)
{
	(void) state;
	check_odd_alignments(kz_aligned_alloc);
}

/* Above 2^63 no power of two is left to round up to: EINVAL. 2^63 itself: ENOMEM. */
static void impossible_alignment(void **state)
{
	static const size_t alignments[] = {SIZE_MAX / 2 + 2, SIZE_MAX / 2 + 4097, SIZE_MAX};

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(alignments); i++) {
		assert_fails_with(kz_memalign(opaque(alignments[i]), 16), EINVAL);
		assert_fails_with(kz_aligned_alloc(opaque(alignments[i]), 16), EINVAL);
	}
	assert_fails_with(kz_memalign(opaque(SIZE_MAX / 2 + 1), 16), ENOMEM);
	assert_fails_with(kz_aligned_alloc(opaque(SIZE_MAX / 2 + 1), 16), ENOMEM);
	assert_still_works();
}

static void valloc_is_page_aligned(void **state)
{
	static const size_t sizes[] = {0, 1, 100, 4095, 4096, 4097, 100000, 1 * MIB, 5 * MIB};

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char *p = kz_valloc(sizes[i]);

		assert_non_null(p);
		assert_true(is_aligned(p, KZ_PAGE_SIZE));
		assert_true(kz_malloc_usable_size(p) >= sizes[i]);
		memset(p, 0x5a, sizes[i]);
		kz_free(p);
	}
}

/*
 * pvalloc rounds the size up to whole pages; all of them are usable.
 * pvalloc(0) only has to be a page-aligned pointer: glibc 2.36 rounds 0
 * up to 1 byte (its mask is -(pagesize - 1)), not to a page.
 */
static void pvalloc_rounds_to_pages(void **state)
{
	static const size_t sizes[] = {
		1, 100, 4095, 4096, 4097, 10000, 128 * KIB + 1, 1 * MIB + 1, 5 * MIB + 1,
	};
	char *p;

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t rounded = (sizes[i] + KZ_PAGE_SIZE - 1) & ~(KZ_PAGE_SIZE - 1);

		p = kz_pvalloc(sizes[i]);
		assert_non_null(p);
		assert_true(is_aligned(p, KZ_PAGE_SIZE));
		assert_true(kz_malloc_usable_size(p) >= rounded);
		memset(opaque_ptr(p), 0x5a, rounded);
		kz_free(p);
	}
	p = kz_pvalloc(opaque(0));
	assert_non_null(p);
	assert_true(is_aligned(p, KZ_PAGE_SIZE));
	kz_free(p);
}

static void usable_size_of_null(void **state)
{
	(void) state;
	assert_int_equal(kz_malloc_usable_size(NULL), 0);
}

static void check_usable(size_t size)
{
	char *p = kz_malloc(size);
	size_t usable;

	assert_non_null(p);
	usable = kz_malloc_usable_size(p);
	if (usable < size)
		fail_msg("malloc(%zu): usable size %zu", size, usable);
	memset(opaque_ptr(p), 0xa5, usable); /* the caller may use all of it */
	assert_int_equal(kz_malloc_usable_size(p), usable);
	kz_free(p);
}

static void usable_size_covers_request(void **state)
{
	(void) state;
	for_each_sweep_size(check_usable);
}

static void check_min_alignment(size_t size)
{
	void *p[3] = {kz_malloc(size), kz_calloc(1, size), kz_realloc(NULL, size)};

	for (size_t i = 0; i < ARRAY_SIZE(p); i++) {
		assert_non_null(p[i]);
		if (!is_aligned(p[i], MIN_ALIGN))
			fail_msg("size %zu: %p is not 16-byte aligned", size, p[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(p); i++)
		kz_free(p[i]);
}

static void every_size_16_aligned(void **state)
{
	(void) state;
	for_each_sweep_size(check_min_alignment);
}

/* free_sized with the size that was asked for, on every path. */
static void check_free_sized(size_t size)
{
	char *p = kz_malloc(size);

	assert_non_null(p);
	memset(p, 0x5a, size);
	kz_free_sized(p, size);

	p = kz_calloc(3, size);
	assert_non_null(p);
	kz_free_sized(p, 3 * size);

	if (size == 0)
		return; /* realloc to 0 frees: nothing left to free_sized */
	p = kz_malloc(1);
	assert_non_null(p);
	p = kz_realloc(p, size);
	assert_non_null(p);
	kz_free_sized(p, size);
}

static void free_sized_with_request(void **state)
{
	(void) state;
	check_free_sized(0);
	for (size_t i = 0; i < ARRAY_SIZE(class_sizes); i++)
		for (size_t n = class_sizes[i] - 1; n <= class_sizes[i] + 1; n++)
			check_free_sized(n);
	for (size_t i = 0; i < ARRAY_SIZE(large_sizes); i++)
		check_free_sized(large_sizes[i]);
	for (size_t i = 0; i < ARRAY_SIZE(huge_sizes); i++)
		check_free_sized(huge_sizes[i]);
	assert_still_works();
}

static void free_aligned_sized_with_request(void **state)
{
	(void) state;
	for (unsigned shift = 0; shift <= MAX_ALIGN_SHIFT; shift++) {
		size_t a = (size_t) 1 << shift;
		const size_t sizes[] = {0, 1, a, 3 * a}; /* 0: a whole page above 4 KiB */

		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			char *p = kz_aligned_alloc(a, sizes[i]);

			assert_non_null(p);
			memset(p, 0x5a, sizes[i]);
			kz_free_aligned_sized(p, a, sizes[i]);
		}
	}
	assert_still_works();
}

static void free_null_is_noop(void **state)
{
	(void) state;
	kz_free(NULL);
	kz_free_sized(NULL, 0);
	kz_free_aligned_sized(NULL, 64, 0);
	assert_still_works();
}

/* free never touches errno, whatever path the block takes back. */
static void free_keeps_errno(void **state)
{
	static const size_t sizes[] = {0, 64, 5000, 200 * KIB, 1 * MIB, 20 * MIB};
	enum { SENTINEL = 4242 };

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		void *p = kz_malloc(sizes[i]);
		void *q = kz_malloc(sizes[i]);
		void *r = kz_aligned_alloc(4096, sizes[i]);

		assert_non_null(p);
		assert_non_null(q);
		assert_non_null(r);
		memset(p, 0x5a, sizes[i]);
		errno = SENTINEL;
		kz_free(p);
		assert_int_equal(errno, SENTINEL);
		kz_free_sized(q, sizes[i]);
		assert_int_equal(errno, SENTINEL);
		kz_free_aligned_sized(r, 4096, sizes[i]);
		assert_int_equal(errno, SENTINEL);
	}
	errno = SENTINEL;
	kz_free(NULL);
	kz_free_sized(NULL, 0);
	assert_int_equal(errno, SENTINEL);
}

/*
 * glibc answers 1 for every parameter it does not reject (unknown ones
 * included). The values are glibc's defaults, so the reference run keeps
 * behaving as before.
 */
static void mallopt_accepts(void **state)
{
	static const int settings[][2] = {
		{M_MXFAST, 128},
		{M_TRIM_THRESHOLD, 128 * 1024},
		{M_TOP_PAD, 0},
		{M_MMAP_THRESHOLD, 128 * 1024},
		{M_MMAP_MAX, 65536},
		{M_CHECK_ACTION, 3},
		{M_PERTURB, 0},
		{M_ARENA_TEST, 8},
		{M_ARENA_MAX, 0},
		{12345, 1},
		{-1, 0},
	};

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		assert_int_equal(kz_mallopt(settings[i][0], settings[i][1]), 1);
	assert_still_works();
}

/* malloc_trim says whether memory went back (0 or 1) and takes nothing that is in use. */
static void malloc_trim_keeps_live_memory(void **state)
{
	enum { N = 200 };
	static const size_t sizes[] = {24, 200, 3000, 40000, 200 * KIB, 5 * MIB};
	char *p[N];
	int r;

	(void) state;
	for (size_t i = 0; i < N; i++) {
		p[i] = kz_malloc(sizes[i % ARRAY_SIZE(sizes)]);
		assert_non_null(p[i]);
		kzt_fill(p[i], sizes[i % ARRAY_SIZE(sizes)], i);
	}
	for (size_t i = 0; i < N; i += 2)
		kz_free(p[i]);
	r = kz_malloc_trim(0);
	assert_true(r == 0 || r == 1);
	r = kz_malloc_trim(1 * MIB);
	assert_true(r == 0 || r == 1);
	for (size_t i = 1; i < N; i += 2) {
		assert_true(kzt_check(p[i], sizes[i % ARRAY_SIZE(sizes)], i));
		kz_free(p[i]);
	}
	r = kz_malloc_trim(0);
	assert_true(r == 0 || r == 1);
	assert_still_works();
}

/*
 * uordblks counts the bytes in use: it grows by at least what many small
 * objects asked for, and most of that comes off again when they are freed
 * (a per-thread cache may keep some of them counted as in use). arena is
 * nonzero while objects live, hblkhd while a huge mapping does.
 */
static void mallinfo2_tracks_use(void **state)
{
	enum { N = 4000, SIZE = 1000 };
	static char *p[N];
	struct mallinfo2 before, during, after;
	struct mallinfo legacy;
	char *huge;

	(void) state;
	before = kz_mallinfo2();
	for (size_t i = 0; i < N; i++) {
		p[i] = kz_malloc(SIZE);
		assert_non_null(p[i]);
		memset(p[i], 0x5a, SIZE);
	}
	huge = kz_malloc(40 * MIB);
	assert_non_null(huge);
	memset(huge, 0x5a, 40 * MIB);
	during = kz_mallinfo2();
	legacy = kz_mallinfo();
	print_message("uordblks %zu -> %zu, arena %zu, hblkhd %zu\n", before.uordblks,
		      during.uordblks, during.arena, during.hblkhd);
	assert_true(during.uordblks >= before.uordblks + (size_t) N * SIZE);
	assert_true(during.arena > 0);
	assert_true(during.hblkhd > 0);
	assert_true(legacy.arena != 0);
	assert_true(legacy.uordblks != 0);
	kz_free(huge);
	for (size_t i = 0; i < N; i++)
		kz_free(p[i]);
	after = kz_mallinfo2();
	print_message("uordblks after the frees %zu\n", after.uordblks);
	assert_true(after.uordblks + (size_t) N * SIZE / 2 <= during.uordblks);
}

/* XML like glibc's ("<malloc version=...>"); options other than 0 return EINVAL. */
static void malloc_info_writes_xml(void **state)
{
	char line[256] = "";
	FILE *f = tmpfile();

	(void) state;
	assert_non_null(f);
	assert_int_equal(kz_malloc_info(0, f), 0);
	fflush(f);
	rewind(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(strncmp(line, "<malloc", 7), 0);
	assert_int_equal(kz_malloc_info(1, f), EINVAL);
	fclose(f);
}

/* malloc_stats reports on stderr: catch fd 2 in a file and look for output. */
static void malloc_stats_writes_stderr(void **state)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	struct stat st;

	(void) state;
	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	kz_malloc_stats();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_int_equal(fstat(fileno(f), &st), 0);
	assert_true(st.st_size > 0);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_size_is_unique),
		cmocka_unit_test(impossible_malloc_enomem),
		cmocka_unit_test(impossible_everywhere_enomem),
		cmocka_unit_test(calloc_overflow_enomem),
		cmocka_unit_test(realloc_null_is_malloc),
		cmocka_unit_test(realloc_zero_frees),
		cmocka_unit_test(realloc_failure_keeps_block),
		cmocka_unit_test(reallocarray_overflow_keeps_block),
		cmocka_unit_test(realloc_every_class_boundary),
		cmocka_unit_test(realloc_within_usable_stays),
		cmocka_unit_test(posix_memalign_bad_alignment),
		cmocka_unit_test(posix_memalign_impossible_enomem),
		cmocka_unit_test(aligned_alloc_every_power_of_two),
		cmocka_unit_test(memalign_every_power_of_two),
		cmocka_unit_test(posix_memalign_every_power_of_two),
		cmocka_unit_test(memalign_rounds_odd_alignment_up),
		cmocka_unit_test(aligned_alloc_rounds_odd_alignment_up),
		cmocka_unit_test(impossible_alignment),
		cmocka_unit_test(valloc_is_page_aligned),
		cmocka_unit_test(pvalloc_rounds_to_pages),
		cmocka_unit_test(usable_size_of_null),
		cmocka_unit_test(usable_size_covers_request),
		cmocka_unit_test(every_size_16_aligned),
		cmocka_unit_test(free_sized_with_request),
		cmocka_unit_test(free_aligned_sized_with_request),
		cmocka_unit_test(free_null_is_noop),
		cmocka_unit_test(free_keeps_errno),
		cmocka_unit_test(mallopt_accepts),
		cmocka_unit_test(malloc_trim_keeps_live_memory),
		cmocka_unit_test(mallinfo2_tracks_use),
		cmocka_unit_test(malloc_info_writes_xml),
		cmocka_unit_test(malloc_stats_writes_stderr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
