/*
 * test_zero_size.c - zero-size pointers (KZMALLOC_CHECK=zero-size, which ctest sets; the program
 * refuses to run without it), through the kz_ API:
 *
 *   - every way to ask for 0 bytes gives one: distinct, 16-byte aligned (or as asked, up to a
 *     page), in a KIND_ZERO region, usable size 0, never equal to a live normal object; an
 *     alignment above a page gets an ordinary object;
 *   - touching one faults, read or write (not under memcheck, which would report it);
 *   - a freed address is not handed out again for a long while, and the regions grow past one
 *     (more than 4 MiB / 16 live pointers) and are used again after a free;
 *   - free, free_sized(p, 0), free_aligned_sized, realloc both ways, reallocarray;
 *   - the regions are address space, not heap: mallinfo2 does not count them;
 *   - threads, and a fork while they run.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "kztest.h"
#include "options.h"
#include "pagemap.h"
#include "zero_size.h"

/* Slots in one region: more live pointers than this need a second region. */
#define REGION_SLOTS (KZ_CHUNK_SIZE / ZERO_SIZE_SLOT)

/* Hide a size from the compiler (the kz_ prototypes carry alloc_size). */
static size_t opaque(size_t n)
{
	__asm__ volatile("" : "+r"(n));
	return n;
}

static size_t live_now(void)
{
	size_t regions, live;

	zero_size_stats(&regions, &live);
	return live;
}

static size_t regions_now(void)
{
	size_t regions, live;

	zero_size_stats(&regions, &live);
	return regions;
}

static bool is_zero_size(const void *p)
{
	struct kz_page *page = pagemap_page(p);

	return page && compound_head(page)->kind == KIND_ZERO;
}

/* A zero-size pointer aligned to @align, and live. */
static void assert_zero_size(const void *p, size_t align, const char *what)
{
	if (!p)
		fail_msg("%s: NULL", what);
	if (!is_zero_size(p))
		fail_msg("%s: %p is not in a zero-size region", what, p);
	if ((uintptr_t) p % align)
		fail_msg("%s: %p not aligned to %zu", what, p, align);
	assert_int_equal(kz_malloc_usable_size((void *) p), 0);
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *) a, y = *(const uintptr_t *) b;

	return x < y ? -1 : x > y;
}

/* Sort @n pointers and check that no two are equal. */
static void assert_distinct(void **p, size_t n)
{
	qsort(p, n, sizeof(*p), cmp_ptr);
	for (size_t i = 1; i < n; i++)
		if (p[i] == p[i - 1])
			fail_msg("%p handed out twice", p[i]);
}

static void distinct_aligned_and_not_heap(void **state)
{
	enum { N = 4096, NORMAL = 64 };
	static void *p[N];
	void *normal[NORMAL];
	size_t live = live_now();

	(void) state;
	for (size_t i = 0; i < NORMAL; i++)
		normal[i] = kz_malloc(opaque(1 + i * 97 % 3000));
	for (size_t i = 0; i < N; i++) {
		p[i] = kz_malloc(opaque(0));
		assert_zero_size(p[i], 16, "kz_malloc(0)");
	}
	assert_int_equal(live_now(), live + N);
	for (size_t i = 0; i < NORMAL; i++) {
		assert_false(is_zero_size(normal[i]));
		for (size_t k = 0; k < N; k++)
			assert_ptr_not_equal(normal[i], p[k]);
	}
	assert_distinct(p, N);
	for (size_t i = 0; i < N; i++)
		kz_free(p[i]);
	for (size_t i = 0; i < NORMAL; i++)
		kz_free(normal[i]);
	assert_int_equal(live_now(), live);
}

static void every_entry_point(void **state)
{
	static const size_t aligns[] = {16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
	size_t live = live_now();
	void *p, *q;

	(void) state;
	assert_zero_size(p = kz_calloc(0, opaque(8)), 16, "calloc(0, 8)");
	kz_free(p);
	assert_zero_size(p = kz_calloc(opaque(8), 0), 16, "calloc(8, 0)");
	kz_free(p);
	assert_zero_size(p = kz_realloc(NULL, opaque(0)), 16, "realloc(NULL, 0)");
	kz_free(p);
	assert_zero_size(p = kz_reallocarray(NULL, opaque(5), 0), 16, "reallocarray(NULL, 5, 0)");
	kz_free(p);
	assert_zero_size(p = kz_valloc(opaque(0)), KZ_PAGE_SIZE, "valloc(0)");
	kz_free(p);
	for (size_t i = 0; i < ARRAY_SIZE(aligns); i++) {
		assert_zero_size(p = kz_aligned_alloc(aligns[i], opaque(0)), aligns[i],
				 "aligned_alloc");
		kz_free_aligned_sized(p, aligns[i], 0);
		assert_zero_size(p = kz_memalign(aligns[i], opaque(0)), aligns[i], "memalign");
		kz_free_sized(p, 0);
		assert_int_equal(kz_posix_memalign(&q, aligns[i], opaque(0)), 0);
		assert_zero_size(q, aligns[i], "posix_memalign");
		kz_free(q);
	}
	/* Above a page: an ordinary object of that alignment. */
	p = kz_memalign(8192, opaque(0));
	assert_non_null(p);
	assert_false(is_zero_size(p));
	assert_int_equal((uintptr_t) p % 8192, 0);
	kz_free(p);
	/* pvalloc(0) is a page, as in glibc. */
	p = kz_pvalloc(opaque(0));
	assert_false(is_zero_size(p));
	assert_int_equal(kz_malloc_usable_size(p), KZ_PAGE_SIZE);
	kz_free(p);
	assert_int_equal(live_now(), live);
}

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

/* Whether reading (or, @write, writing) the byte at @p faults. */
static bool touch_faults(volatile char *p, bool write)
{
	struct sigaction sa = {.sa_handler = on_fault}, old_segv, old_bus;
	volatile bool faulted = false;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	if (sigsetjmp(fault_jmp, 1) == 0) {
		if (write)
			*p = 1;
		else
			(void) *p;
	} else {
		faulted = true;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return faulted;
}

static void touching_faults(void **state)
{
	void *p[3];

	(void) state;
	if (RUNNING_ON_VALGRIND) /* memcheck reports the access, rightly */
		skip();
	p[0] = kz_malloc(opaque(0));
	p[1] = kz_calloc(opaque(3), 0);
	p[2] = kz_memalign(4096, opaque(0));
	for (size_t i = 0; i < ARRAY_SIZE(p); i++) {
		assert_true(touch_faults(p[i], false));
		assert_true(touch_faults(p[i], true));
		assert_true(touch_faults((char *) p[i] + 15, true));
		kz_free(p[i]);
		assert_true(touch_faults(p[i], false)); /* freed: still no access */
	}
}

/* A freed address stays unused while the cursor goes round: here, for 100,000 allocations. */
static void reuse_is_delayed(void **state)
{
	enum { LATER = 100000 / 4 };
	void *first = kz_malloc(opaque(0)), *held[8] = {0};

	(void) state;
	kz_free(first);
	for (unsigned i = 0; i < 4 * LATER / kzt_scale(); i++) {
		unsigned k = i % ARRAY_SIZE(held);

		kz_free(held[k]);
		held[k] = kz_malloc(opaque(0));
		assert_ptr_not_equal(held[k], first);
	}
	for (unsigned k = 0; k < ARRAY_SIZE(held); k++)
		kz_free(held[k]);
}

/*
 * More live pointers than a region has slots: a second region (or more) comes, every pointer is
 * distinct, and after they are freed the same regions serve again, without growing.
 */
static void beyond_one_region(void **state)
{
	size_t n = REGION_SLOTS + REGION_SLOTS / 8, regions;
	void **p = kz_malloc(n * sizeof(*p));
	size_t live = live_now();

	(void) state;
	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		p[i] = kz_malloc(opaque(0));
		if (!p[i] || !is_zero_size(p[i]) || (uintptr_t) p[i] % 16)
			fail_msg("pointer %zu of %zu: %p", i, n, p[i]);
	}
	regions = regions_now();
	assert_true(regions >= 2);
	assert_int_equal(live_now(), live + n);
	assert_distinct(p, n);
	for (size_t i = 0; i < n; i++)
		kz_free(p[i]);
	assert_int_equal(live_now(), live);
	/* Reuse: as many again, aligned ones too, from the same regions. */
	for (size_t i = 0; i < n; i++) {
		p[i] = i % 64 ? kz_malloc(opaque(0)) : kz_memalign(1024, opaque(0));
		if (!p[i] || !is_zero_size(p[i]))
			fail_msg("again, pointer %zu of %zu: %p", i, n, p[i]);
	}
	assert_int_equal(regions_now(), regions);
	assert_distinct(p, n);
	for (size_t i = 0; i < n; i++)
		kz_free_sized(p[i], 0);
	assert_int_equal(live_now(), live);
	kz_free(p);
}

/* realloc from a zero-size pointer to a size (nothing to copy) and back to 0 (a free). */
static void realloc_both_ways(void **state)
{
	static const size_t sizes[] = {1, 16, 100, 1024, 5000, 300 << 10, 6 << 20};
	size_t live = live_now();

	(void) state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char *p = kz_malloc(opaque(0)), *q;

		q = kz_realloc(p, opaque(sizes[i]));
		assert_non_null(q);
		assert_false(is_zero_size(q));
		assert_true(kz_malloc_usable_size(q) >= sizes[i]);
		assert_true(kzt_is_zero(q, sizes[i]));
		memset(q, 0x5a, sizes[i]);
		assert_int_equal(live_now(), live);    /* the zero-size pointer was freed */
		assert_null(kz_realloc(q, opaque(0))); /* frees q, as glibc does */
		/* reallocarray to 0 elements the same way, from a zero-size pointer */
		p = kz_reallocarray(NULL, opaque(0), 8);
		assert_zero_size(p, 16, "reallocarray(NULL, 0, 8)");
		q = kz_reallocarray(p, opaque(3), 8);
		assert_false(is_zero_size(q));
		kz_free(q);
	}
	/* realloc(p, 0) of a zero-size pointer frees it. */
	assert_null(kz_realloc(kz_malloc(opaque(0)), 0));
	assert_int_equal(live_now(), live);
}

/* The regions are reserved address space, not heap: mallinfo2 does not see them. */
static void not_counted_as_heap(void **state)
{
	enum { N = 1000 };
	static void *p[N];
	struct mallinfo2 before, after;

	(void) state;
	before = kz_mallinfo2();
	for (size_t i = 0; i < N; i++)
		p[i] = kz_malloc(opaque(0));
	after = kz_mallinfo2();
	assert_int_equal(after.arena, before.arena);
	assert_int_equal(after.uordblks, before.uordblks);
	assert_int_equal(after.hblkhd, before.hblkhd);
	for (size_t i = 0; i < N; i++)
		kz_free(p[i]);
}

enum { THREADS = 4, PER_THREAD = 20000 };

static void *worker(void *arg)
{
	void *held[32] = {0};
	uint64_t rng = (uintptr_t) arg | 1;

	for (unsigned i = 0; i < PER_THREAD / kzt_scale(); i++) {
		unsigned k = kzt_rand(&rng) % ARRAY_SIZE(held);

		if (held[k] && !is_zero_size(held[k]))
			return "lost";
		kz_free(held[k]);
		held[k] = k % 4 ? kz_malloc(0) : kz_memalign(64, 0);
	}
	for (unsigned k = 0; k < ARRAY_SIZE(held); k++)
		kz_free(held[k]);
	return NULL;
}

/* Threads at it at once, and a fork meanwhile: the child can allocate (the lock was released). */
static void threads_and_fork(void **state)
{
	pthread_t t[THREADS];
	size_t live = live_now();
	int status;
	pid_t pid;

	(void) state;
	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, (void *) (i + 1)), 0);
	pid = fork();
	if (pid == 0) {
		void *p = kz_malloc(0);
		bool ok = p && is_zero_size(p);

		kz_free(p);
		_exit(ok ? 0 : 1);
	}
	assert_true(pid > 0);
	for (int i = 0; i < THREADS; i++) {
		void *ret;

		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(live_now(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(distinct_aligned_and_not_heap),
		cmocka_unit_test(every_entry_point),
		cmocka_unit_test(touching_faults),
		cmocka_unit_test(reuse_is_delayed),
		cmocka_unit_test(beyond_one_region),
		cmocka_unit_test(realloc_both_ways),
		cmocka_unit_test(not_counted_as_heap),
		cmocka_unit_test(threads_and_fork),
	};

	kz_free(kz_malloc(1)); /* start-up: the settings are read */
	if (!(kz_opt.check & KZ_CHECK_ZERO_SIZE)) {
		fprintf(stderr, "run with KZMALLOC_CHECK=zero-size\n");
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
