/*
 * callgrind_ops.c - the loops whose instruction counts compare allocators
 * under valgrind --tool=callgrind: run once with N and once with 2N
 * iterations, and the difference over N is the cost of one operation,
 * free of start-up. Calls go through the libc names, so LD_PRELOAD picks
 * the allocator.
 *
 *   callgrind_ops pair32|pair128|pair1k|batch64|calloc64 N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stops the compiler from pairing up and removing a malloc and its free. */
void *volatile sink;

static void pair(long n, size_t size)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(size);

		sink = p;
		free(p);
	}
}

/* 100 allocations, then 100 frees: one operation is one malloc and one free. */
static void batch(long n, size_t size)
{
	void *v[100];

	for (long i = 0; i < n / 100; i++) {
		for (int j = 0; j < 100; j++)
			v[j] = malloc(size);
		sink = v[0];
		for (int j = 0; j < 100; j++)
			free(v[j]);
	}
}

static void calloc_pair(long n, size_t size)
{
	for (long i = 0; i < n; i++) {
		void *p = calloc(1, size);

		sink = p;
		free(p);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0;
	const char *op = argc > 1 ? argv[1] : "";

	if (!strcmp(op, "pair32"))
		pair(n, 32);
	else if (!strcmp(op, "pair128"))
		pair(n, 128);
	else if (!strcmp(op, "pair1k"))
		pair(n, 1024);
	else if (!strcmp(op, "batch64"))
		batch(n, 64);
	else if (!strcmp(op, "calloc64"))
		calloc_pair(n, 64);
	else {
		fprintf(stderr, "usage: %s pair32|pair128|pair1k|batch64|calloc64 N\n", argv[0]);
		return 2;
	}
	return 0;
}
