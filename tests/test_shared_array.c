/*
 * test_shared_array.c - objects freed on one thread and allocated on another
 * pass through their class's shared array (slab.c): handed out once each,
 * zeroed, and reused rather than left in the slabs; what the caches keep
 * goes back once the class is idle (the slab shrinker, after the purge
 * delay) or at once (kz_trim). ctest sets KZMALLOC_PURGE_DELAY=50.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "kztest.h"

enum { NR_OBJS = 4096, OBJ_SIZE = 64 };

static void *objs[NR_OBJS], *again[NR_OBJS];

static void *free_all(void *arg)
{
	(void) arg;
	for (size_t i = 0; i < NR_OBJS; i++)
		kz_free(objs[i]);
	return NULL;
}

/* Allocate on this thread, free on another: the frees reach the shared array and the slabs. */
static void handed_over(void)
{
	pthread_t t;

	for (size_t i = 0; i < NR_OBJS; i++) {
		objs[i] = kz_malloc(OBJ_SIZE);
		assert_non_null(objs[i]);
		memset(objs[i], 0xa5, OBJ_SIZE);
	}
	assert_int_equal(pthread_create(&t, NULL, free_all, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

static int by_address(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *) a, y = *(const uintptr_t *) b;

	return x < y ? -1 : x > y;
}

static size_t pages_slab(void)
{
	struct kz_pool_stats st;

	kz_get_pool_stats(&st);
	return st.pages_slab;
}

static void reused_once_each_and_zero(void **state)
{
	size_t reused = 0;

	(void) state;
	handed_over();
	for (size_t i = 0; i < NR_OBJS; i++) {
		again[i] = kz_malloc(OBJ_SIZE);
		assert_non_null(again[i]);
		for (size_t b = 0; b < OBJ_SIZE; b++)
			assert_int_equal(((unsigned char *) again[i])[b], 0);
	}
	qsort(objs, NR_OBJS, sizeof(*objs), by_address);
	qsort(again, NR_OBJS, sizeof(*again), by_address);
	for (size_t i = 0, j = 0; i < NR_OBJS; i++) {
		if (i)
			assert_true(again[i] != again[i - 1]); /* no object handed out twice */
		while (j < NR_OBJS && (uintptr_t) objs[j] < (uintptr_t) again[i])
			j++;
		reused += j < NR_OBJS && objs[j] == again[i];
	}
	print_message("%zu of %d objects freed on the other thread reused\n", reused, NR_OBJS);
	/* All but what this thread's stack and partly used slabs held before: the other thread's
	 * frees came back (under memcheck they wait in the quarantine instead). */
	if (!RUNNING_ON_VALGRIND)
		assert_true(reused >= NR_OBJS * 9 / 10);
	for (size_t i = 0; i < NR_OBJS; i++)
		kz_free(again[i]);
}

static void trim_takes_everything(void **state)
{
	(void) state;
	handed_over();
	assert_true(pages_slab() > 0);
	kz_malloc_trim(0);
	assert_int_equal(pages_slab(), 0);
}

/* Idle long enough, a class keeps one empty slab: the rest went back without kz_trim. */
static void idle_class_gives_back(void **state)
{
	size_t before, after = 0;
	void *big;

	(void) state;
	if (RUNNING_ON_VALGRIND)
		skip(); /* memcheck's quarantine holds freed objects until it is full or trimmed */
	kz_malloc_trim(0);
	handed_over();
	before = pages_slab();
	/* A large object's free tells purge; the allocation starts its thread, once asked. */
	for (int i = 0; i < 200; i++) {
		big = kz_malloc(1 << 20);
		assert_non_null(big);
		kz_free(big);
		usleep(10000);
		after = pages_slab();
		if (after <= 1)
			break;
	}
	print_message("slab pages: %zu after the frees, %zu once idle\n", before, after);
	assert_true(before > 2); /* the shared array's objects' slabs, empty slabs kept */
	assert_true(after <= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reused_once_each_and_zero),
		cmocka_unit_test(trim_takes_everything),
		cmocka_unit_test(idle_class_gives_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
