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
 * ctest runs it again with KZMALLOC_CHECK=canary,guard. A run then gets no
 * room for the canary: its usable size is the request, the byte after its
 * last page still faults (for a page multiple, the byte after the request),
 * and a byte written into the slack of its last page, the canary, stops the
 * free (SIGABRT), however few bytes the slack has; a NUL written at the
 * request's end changes nothing (the canary's first byte is zero) and goes
 * unseen. Realloc in place and moving, free_sized and the pool's counters
 * agree with that.
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
#include "kmalloc.h"
#include "kztest.h"
#include "options.h"

#define KIB ((size_t) 1 << 10)
#define MIB ((size_t) 1 << 20)

static bool canary; /* KZMALLOC_CHECK=canary too (off under memcheck) */

/*
 * What malloc_usable_size says of a block of @room bytes for @size: the request, under memcheck
 * (exact sizes, vg.h); else the room.
 */
static size_t usable_of(size_t size, size_t room)
{
	return RUNNING_ON_VALGRIND ? size : room;
}

/* ...of a run for @size bytes: also the request with the canary. */
static size_t run_usable(size_t size)
{
	return canary ? size : usable_of(size, page_align(size));
}

/* Hide a size from the compiler (the kz_ prototypes carry alloc_size). */
static size_t opaque(size_t n)
{
	__asm__ volatile("" : "+r"(n));
	return n;
}

/* How a child that writes @byte at @p + @off, then frees @p if @free_it, ends. */
static int child_write_byte(void *p, size_t off, char byte, bool free_it)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		((volatile char *) p)[off] = byte;
		if (free_it)
			kz_free(p);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* How a child that writes one byte at @p + @off ends. */
static int child_write(void *p, size_t off)
{
	return child_write_byte(p, off, 0x5a, false);
}

static bool exited_0(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool died_by(int status, int sig)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

/*
 * The last usable byte of @p is writable and frees cleanly; the byte after its last page faults;
 * with the canary, the bytes between (the slack of the last page, under a page) are its canary:
 * a byte written there stops the free.
 */
static void assert_guarded(const char *what, void *p)
{
	size_t usable = kz_malloc_usable_size(p), end = page_align(kmalloc_room(p));

	assert_non_null(p);
	print_message("%-34s %p usable %zu\n", what, p, usable);
	if (!exited_0(child_write_byte(p, usable - 1, 0x5a, true)))
		fail_msg("%s: writing the last usable byte and freeing failed", what);
	if (!died_by(child_write(p, end), SIGSEGV))
		fail_msg("%s: writing past the last page did not fault", what);
	if (end == usable || RUNNING_ON_VALGRIND) /* memcheck's to report, past the request */
		return;
	assert_true(canary);
	if (!died_by(child_write_byte(p, usable, 'x', true), SIGABRT))
		fail_msg("%s: a byte in the slack canary went unseen", what);
	if (!died_by(child_write_byte(p, end - 1, 'x', true), SIGABRT))
		fail_msg("%s: the last byte of the slack canary went unseen", what);
	/* the canary's first byte is zero: a NUL there is harmless, and unseen */
	if (!exited_0(child_write_byte(p, usable, 0, true)))
		fail_msg("%s: a NUL at the end of the request was refused", what);
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

	p = kz_malloc(opaque(256 * KIB));
	assert_int_equal(kz_malloc_usable_size(p), 256 * KIB);
	assert_guarded("large 256 KiB", p);
	kz_free_sized(p, 256 * KIB);

	p = kz_malloc(opaque(200001));
	assert_int_equal(kz_malloc_usable_size(p), run_usable(200001));
	assert_guarded("large 200001 bytes", p);
	kz_free(p);

	/* slack of 9 bytes (one pattern byte), 8 (the word alone), and 7 down to 1: a canary
	 * shorter than its word */
	for (size_t slack = 9; slack >= 1; slack--) {
		p = kz_malloc(opaque(256 * KIB - slack));
		assert_int_equal(kz_malloc_usable_size(p), run_usable(256 * KIB - slack));
		assert_guarded("large 256 KiB less 1 to 9 bytes", p);
		kz_free_sized(p, 256 * KIB - slack);
	}

	/* the largest run a guard leaves room for */
	p = kz_malloc(opaque(4 * MIB - KZ_PAGE_SIZE));
	assert_int_equal(kz_malloc_usable_size(p), 4 * MIB - KZ_PAGE_SIZE);
	assert_guarded("large 4 MiB less a page", p);
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

	/* ...and to a page multiple, the canary gone: the guard is right after it */
	p = kz_malloc(opaque(256 * KIB - 100));
	kzt_fill(p, 256 * KIB - 100, 1);
	q = kz_realloc(p, opaque(256 * KIB));
	assert_ptr_equal(p, q);
	assert_int_equal(kz_malloc_usable_size(q), 256 * KIB);
	assert_true(kzt_check(q, 256 * KIB - 100, 1));
	assert_true(kzt_is_zero((char *) q + 256 * KIB - 100, 100));
	assert_guarded("large after realloc to 256 KiB", q);
	/* ...and back, the canary in the slack again */
	p = kz_realloc(q, opaque(256 * KIB - 5));
	assert_ptr_equal(p, q);
	assert_int_equal(kz_malloc_usable_size(p), run_usable(256 * KIB - 5));
	assert_guarded("large after realloc to 256 KiB - 5", p);
	kz_free_sized(p, 256 * KIB - 5);

	/* moved: from a class object to a page-multiple run, and from a run to a longer one */
	p = kz_malloc(opaque(100));
	kzt_fill(p, 100, 1);
	q = kz_realloc(p, opaque(512 * KIB));
	assert_true(kzt_check(q, 100, 1));
	assert_guarded("large after realloc 100 -> 512 KiB", q);
	p = kz_realloc(q, opaque(768 * KIB + 3));
	assert_true(kzt_check(p, 100, 1));
	assert_int_equal(kz_malloc_usable_size(p), run_usable(768 * KIB + 3));
	assert_guarded("large after realloc -> 768 KiB + 3", p);
	kz_free(p);

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
	assert_int_equal(kz_malloc_usable_size(q), usable_of(15 * MIB, 16 * MIB));
	assert_guarded("huge 15 MiB reused from the cache", q);
	kz_free(q);
	q = kz_malloc(opaque(6 * MIB + 3));
	assert_ptr_equal(nine, q);
	assert_int_equal(kz_malloc_usable_size(q), usable_of(6 * MIB + 3, 6 * MIB + KZ_PAGE_SIZE));
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
	void *large, *exact, *huge;

	(void) state;
	kz_malloc_trim(0);
	kz_get_pool_stats(&before);
	large = kz_malloc(opaque(300 * KIB + 1));
	exact = kz_malloc(opaque(256 * KIB)); /* with the canary too: no page more for it */
	huge = kz_malloc(opaque(8 * MIB + 1));
	assert_int_equal(kz_malloc_usable_size(large), run_usable(300 * KIB + 1));
	assert_int_equal(kz_malloc_usable_size(exact), 256 * KIB);
	assert_int_equal(kz_malloc_usable_size(huge),
			 usable_of(8 * MIB + 1, 8 * MIB + KZ_PAGE_SIZE));
	kz_get_pool_stats(&st);
	assert_int_equal(st.pages_large - before.pages_large, 76 + 1 + 64 + 1);
	assert_int_equal(st.huge_mappings - before.huge_mappings, 1);
	assert_int_equal(st.huge_bytes - before.huge_bytes, 8 * MIB + 2 * KZ_PAGE_SIZE);
	mi = kz_mallinfo2();
	assert_int_equal(mi.hblkhd, st.huge_bytes);
	assert_int_equal(mi.arena, mi.uordblks + mi.fordblks);
	buddy_verify();
	kz_free_sized(large, 300 * KIB + 1);
	kz_free_sized(exact, 256 * KIB);
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

	canary = (kz_opt.check & KZ_CHECK_CANARY) && !RUNNING_ON_VALGRIND;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
