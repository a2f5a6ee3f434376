/*
 * test_guard.c - KZMALLOC_CHECK=guard (run with it set): a no-access page
 * right after every large and huge block.
 *
 *   - overflow: for each way a large or huge block comes to be (sizes on
 *     and off a page multiple, aligned, realloc in place, grown and shrunk
 *     by mremap, reused from the cache of freed mappings), a child that
 *     writes the last usable byte exits normally and a child that writes
 *     the byte after it dies by SIGSEGV;
 *   - reuse: a freed run's guard page, handed out again inside a page
 *     block and inside a larger run, is readable, writable and zero;
 *   - accounting: the usable size leaves the guard out, the pool counts it
 *     in use (pages_large, huge_bytes), sized frees accept the blocks, and
 *     everything freed and trimmed leaves the pool empty.
 *
 * Run with a long purge delay, so that freed mappings wait in the cache.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buddy.h"
#include "kztest.h"
#include "options.h"

#define KIB ((size_t) 1 << 10)
#define MIB ((size_t) 1 << 20)

/* Hide a size from the compiler (the kz_ prototypes carry alloc_size). */
static size_t opaque(size_t n)
{
	__asm__ volatile("" : "+r"(n));
	return n;
}

/* How a child that writes one byte at @p + @off ends. */
static int child_write(void *p, size_t off)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		((volatile char *) p)[off] = 0x5a;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* The last usable byte of @p is writable; the byte after it faults. */
static void assert_guarded(const char *what, void *p)
{
	size_t usable = kz_malloc_usable_size(p);
	int status;

	assert_non_null(p);
	print_message("%-34s %p usable %zu\n", what, p, usable);
	status = child_write(p, usable - 1);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s: writing the last usable byte: status %#x", what, status);
	status = child_write(p, usable);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
		fail_msg("%s: writing past the end did not fault (status %#x)", what, status);
}

static void overflow_faults(void **state)
{
	void *p, *q, *nine;

	(void) state;
	assert_true(kz_opt.check & KZ_CHECK_GUARD);

	p = kz_malloc(opaque(300 * KIB));
	assert_int_equal(kz_malloc_usable_size(p), 300 * KIB);
	assert_guarded("large 300 KiB", p);
	kz_free(p);

	p = kz_malloc(opaque(200001));
	assert_int_equal(kz_malloc_usable_size(p), 49 * 4096);
	assert_guarded("large 200001 bytes", p);
	kz_free(p);

	p = kz_memalign(64 * KIB, opaque(300 * KIB + 5));
	assert_true((uintptr_t) p % (64 * KIB) == 0);
	assert_guarded("large memalign(64 KiB, 300 KiB + 5)", p);
	kz_free(p);

	/* realloc in place keeps the one guard after the end */
	p = kz_malloc(opaque(300 * KIB + 1));
	q = kz_realloc(p, opaque(300 * KIB + 4000));
	assert_ptr_equal(p, q);
	assert_guarded("large after realloc in place", q);
	kz_free(q);

	/* 1024 pages and a guard do not fit a chunk: a mapping */
	p = kz_malloc(opaque(4 * MIB));
	assert_int_equal(kz_malloc_usable_size(p), 4 * MIB);
	assert_guarded("4 MiB (a guarded mapping)", p);
	kz_free_sized(p, 4 * MIB);

	p = kz_malloc(opaque(8 * MIB));
	assert_guarded("huge 8 MiB", p);
	kzt_fill(p, 8 * MIB, 1);
	/* grown: a new guarded mapping, the data moved onto it */
	q = kz_realloc(p, opaque(24 * MIB + 100));
	assert_true(kzt_check(q, 8 * MIB, 1));
	assert_guarded("huge after realloc 8 -> 24 MiB", q);
	/* shrunk where it is: the guard moves to the new end */
	p = kz_realloc(q, opaque(9 * MIB + 1));
	assert_ptr_equal(p, q);
	assert_true(kzt_check(p, 8 * MIB, 1));
	assert_guarded("huge after realloc 24 -> 9 MiB", p);
	nine = p;
	kz_free(p);

	/* the cache of freed mappings: reused whole, and the 9 MiB one trimmed (best fit) */
	p = kz_malloc(opaque(16 * MIB));
	kz_free(p);
	q = kz_malloc(opaque(15 * MIB));
	assert_ptr_equal(p, q);
	assert_int_equal(kz_malloc_usable_size(q), 16 * MIB);
	assert_guarded("huge 15 MiB reused from the cache", q);
	kz_free(q);
	q = kz_malloc(opaque(6 * MIB + 3));
	assert_ptr_equal(nine, q);
	assert_int_equal(kz_malloc_usable_size(q), 6 * MIB + KZ_PAGE_SIZE);
	assert_guarded("huge 6 MiB reused and trimmed", q);
	kz_free(q);

	p = kz_memalign(16 * MIB, opaque(100 * KIB));
	assert_true((uintptr_t) p % (16 * MIB) == 0);
	assert_guarded("huge memalign(16 MiB, 100 KiB)", p);
	kz_free(p);
	buddy_verify();
}

/*
 * A freed run's guard page is an ordinary pool page again: handed out inside
 * a bigger run, and as a page of its own, it reads zero and takes writes.
 */
static void reuse_restores_access(void **state)
{
	enum { TRIES = 16, PAGES = 2 * KZ_CHUNK_PAGES };
	static void *held[TRIES], *pages[PAGES];
	char *p, *guard;
	size_t n = 0, found = 0;

	(void) state;
	p = kz_malloc(opaque(300 * KIB));
	guard = p + kz_malloc_usable_size(p);
	kz_free(p);
	for (; n < TRIES; n++) {
		char *q = kz_malloc(opaque(600 * KIB));

		assert_non_null(q);
		held[n] = q;
		if (q <= guard && guard < q + kz_malloc_usable_size(q)) {
			assert_true(kzt_is_zero(q, 600 * KIB));
			memset(q, 0xa5, 600 * KIB);
			found = 1;
			n++;
			break;
		}
	}
	assert_true(found);
	while (n)
		kz_free(held[--n]);

	p = kz_malloc(opaque(300 * KIB));
	guard = p + kz_malloc_usable_size(p);
	kz_free(p);
	found = 0;
	for (; n < PAGES && !found; n++) {
		pages[n] = kz_get_zeroed_page();
		assert_non_null(pages[n]);
		found = pages[n] == guard;
	}
	assert_true(found);
	assert_true(kzt_is_zero(guard, KZ_PAGE_SIZE));
	memset(guard, 0xa5, KZ_PAGE_SIZE);
	while (n)
		kz_free_page(pages[--n]);
	buddy_verify();
}

/* The guard page is the pool's, counted in use, and never usable. */
static void accounting(void **state)
{
	struct kz_pool_stats before, st;
	struct mallinfo2 mi;
	void *large, *huge;

	(void) state;
	kz_malloc_trim(0);
	kz_get_pool_stats(&before);
	large = kz_malloc(opaque(300 * KIB + 1));
	huge = kz_malloc(opaque(8 * MIB + 1));
	assert_int_equal(kz_malloc_usable_size(large), 76 * KZ_PAGE_SIZE);
	assert_int_equal(kz_malloc_usable_size(huge), 8 * MIB + KZ_PAGE_SIZE);
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_large - before.pages_large, 76 + 1);
	assert_int_equal(st.huge_mappings - before.huge_mappings, 1);
	assert_int_equal(st.huge_bytes - before.huge_bytes, 8 * MIB + 2 * KZ_PAGE_SIZE);
	mi = kz_mallinfo2();
	assert_int_equal(mi.hblkhd, st.huge_bytes);
	assert_int_equal(mi.arena, mi.uordblks + mi.fordblks);
	buddy_verify();
	kz_free_sized(large, 300 * KIB + 1);
	kz_free_aligned_sized(huge, 16, 8 * MIB + 1);
	kz_malloc_trim(0);
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_large, 0);
	assert_int_equal(st.huge_mappings, 0);
	assert_int_equal(st.huge_bytes, 0);
	assert_int_equal(st.pages_resident, 0);
	buddy_verify();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(overflow_faults),
		cmocka_unit_test(reuse_restores_access),
		cmocka_unit_test(accounting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
