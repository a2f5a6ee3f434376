/*
 * test_ro_after_init.c - the data start-up writes once is read-only afterwards (KZ_RO_AFTER_INIT,
 * util.h; sealed by init.c).
 *
 *   - range: the sealed range is whole pages, holds every table, and the process's map shows it
 *     read-only;
 *   - writes_fault: for each table, a child that writes one byte of it dies by SIGSEGV (a child
 *     that writes a byte of ordinary data next to it does not);
 *   - still_works: after the seal, every class, page runs and huge mappings, calloc and realloc,
 *     threads with caches of their own, and a fork whose child allocates, all work.
 *
 * Also run with KZMALLOC_CHECK=all (the canary's clear routines and secret).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "canary.h"
#include "clear.h"
#include "harden.h"
#include "init.h"
#include "kztest.h"
#include "options.h"
#include "slab.h"
#include "tcache.h"
#include "vg.h"

#define KIB ((size_t) 1 << 10)
#define MIB ((size_t) 1 << 20)

static const struct table {
	const char *name;
	void *addr;
	size_t size;
} tables[] = {
	{"kz_opt", &kz_opt, sizeof(kz_opt)},
	{"kz_ready", &kz_ready, sizeof(kz_ready)},
	{"vg_memcheck", &vg_memcheck, sizeof(vg_memcheck)},
	{"canary_room", &canary_room, sizeof(canary_room)},
	{"clear_class", clear_class, sizeof(clear_class)},
	{"harden_pop_check", &harden_pop_check, sizeof(harden_pop_check)},
	{"harden_malloc_class", harden_malloc_class, sizeof(harden_malloc_class)},
	{"kz_class_of_medium", kz_class_of_medium, sizeof(kz_class_of_medium)},
	{"slab_dense_aligned", slab_dense_aligned, sizeof(slab_dense_aligned)},
	{"tcache_none", &tcache_none, sizeof(tcache_none)},
};

/* Ordinary data, written after start-up: it must stay writable. */
static volatile char plain_data = 1;

/* Hide a size from the compiler (the kz_ prototypes carry alloc_size). */
static size_t opaque(size_t n)
{
	__asm__ volatile("" : "+r"(n));
	return n;
}

/* How a child that writes the byte at @p back (its own value) ends. */
static int child_write(volatile char *p)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL); /* the sanitizers' handler would exit instead */
		*p = *p;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void started(void)
{
	kz_free(kz_malloc(opaque(16)));
	assert_true(kz_is_ready());
}

/* The permissions /proc/self/maps gives the mapping that holds @addr ("r--p"), in @perms. */
static bool map_perms(const void *addr, char perms[5])
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;

	assert_non_null(maps);
	while (!found && fgets(line, sizeof(line), maps)) {
		uintptr_t lo, hi;

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && lo <= (uintptr_t) addr &&
		    (uintptr_t) addr < hi)
			found = true;
	}
	fclose(maps);
	return found;
}

static void range(void **state)
{
	uintptr_t start = (uintptr_t) kz_ro_after_init_start,
		  end = (uintptr_t) kz_ro_after_init_end;
	char perms[5];

	(void) state;
	started();
	print_message("sealed: %#lx-%#lx, %lu page(s)\n", start, end, (end - start) / KZ_PAGE_SIZE);
	assert_true(IS_ALIGNED(start, KZ_PAGE_SIZE) && IS_ALIGNED(end, KZ_PAGE_SIZE));
	assert_true(end > start);
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		uintptr_t a = (uintptr_t) tables[i].addr;

		if (a < start || a + tables[i].size > end)
			fail_msg("%s (%#lx, %zu bytes) is not in the sealed range", tables[i].name,
				 a, tables[i].size);
	}
	assert_false((uintptr_t) &plain_data >= start && (uintptr_t) &plain_data < end);
	/* mprotect split the library's data mapping: the range is a mapping of its own. */
	assert_true(map_perms((void *) start, perms));
	assert_string_equal(perms, "r--p");
	assert_true(map_perms((void *) (end - 1), perms));
	assert_string_equal(perms, "r--p");
}

static void writes_fault(void **state)
{
	int status;

	(void) state;
	started();
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		status = child_write(tables[i].addr);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
			fail_msg("writing %s did not fault (status %#x)", tables[i].name, status);
	}
	/* Both ends of the range, whatever lies there. */
	status = child_write(kz_ro_after_init_start);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	status = child_write((char *) ((uintptr_t) kz_ro_after_init_end - 1));
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	/* The test itself can tell a fault from a write that works. */
	status = child_write(&plain_data);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Every class, a page run and a huge mapping, calloc and realloc: filled, checked, freed. */
static void *churn(void *arg)
{
	uint64_t seed = (uintptr_t) arg;
	unsigned rounds = 200 / kzt_scale() + 1;

	for (unsigned r = 0; r < rounds; r++) {
		for (size_t size = 16; size <= 128 * KIB; size *= 2) {
			char *p = kz_malloc(opaque(size - 8));
			char *z = kz_calloc(1, opaque(size));

			assert_non_null(p);
			assert_non_null(z);
			assert_true(kzt_is_zero(z, size));
			kzt_fill(p, size - 8, seed + size);
			p = kz_realloc(p, opaque(size + 24));
			assert_non_null(p);
			assert_true(kzt_check(p, size - 8, seed + size));
			kz_free(p);
			kz_free(z);
		}
	}
	for (size_t size = 256 * KIB; size <= 8 * MIB; size *= 4) {
		char *p = kz_malloc(opaque(size));

		assert_non_null(p);
		kzt_fill(p, size, seed);
		assert_true(kzt_check(p, size, seed));
		kz_free(p);
	}
	return NULL;
}

static void still_works(void **state)
{
	pthread_t threads[4];
	int status;
	pid_t pid;

	(void) state;
	started();
	churn((void *) 1);
	for (uintptr_t i = 0; i < ARRAY_SIZE(threads); i++)
		assert_int_equal(pthread_create(&threads[i], NULL, churn, (void *) (i + 2)), 0);
	for (size_t i = 0; i < ARRAY_SIZE(threads); i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	/* A child inherits the sealed pages, and allocates, frees and starts a thread. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t t;

		churn((void *) 9);
		if (pthread_create(&t, NULL, churn, (void *) 10) || pthread_join(t, NULL))
			_exit(2);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	churn((void *) 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(range),
		cmocka_unit_test(writes_fault),
		cmocka_unit_test(still_works),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
