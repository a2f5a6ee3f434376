/*
 * callgrind_ops.c - runs one micro case of ops.c (the table micro.c times)
 * for N iterations, for instruction counts under valgrind --tool=callgrind:
 * run once with N and once with 2N, and the difference over N * items is
 * the cost of one operation, free of start-up (bench/callgrind.sh). Calls
 * go through the libc names, so LD_PRELOAD picks the allocator.
 *
 *   callgrind_ops --list        one line per case: name, items per iteration, N
 *   callgrind_ops CASE N        e.g. callgrind_ops pair/64 10000
 *   callgrind_ops --all N       every case, N iterations each (the ctest smoke test)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/*
 * Iterations that keep one run of a case to some ten million instructions
 * at most (a big object costs about an instruction per byte it clears).
 */
static long suggested_iterations(const struct ops_case *c)
{
	long n = 10000 / c->items;

	if (c->size > 4096)
		n = (long) ((size_t) n * 4096 / c->size);
	return n < 4 ? 4 : n;
}

int main(int argc, char **argv)
{
	const struct ops_case *c;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < ops_ncases; i++)
			printf("%s %ld %ld\n", ops_cases[i].name, ops_cases[i].items,
			       suggested_iterations(&ops_cases[i]));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--all")) {
		for (size_t i = 0; i < ops_ncases; i++)
			if (ops_cases[i].run(&ops_cases[i], atol(argv[2]))) {
				fprintf(stderr, "%s: allocation failed\n", ops_cases[i].name);
				return 1;
			}
		return 0;
	}
	c = argc == 3 ? ops_find(argv[1]) : NULL;
	if (!c) {
		fprintf(stderr, "usage: %s --list | CASE ITERATIONS | --all ITERATIONS\n", argv[0]);
		return 2;
	}
	if (c->run(c, atol(argv[2]))) {
		fprintf(stderr, "%s: allocation failed\n", c->name);
		return 1;
	}
	return 0;
}
