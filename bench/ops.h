/*
 * ops.h - the single-threaded micro cases: one table, two drivers.
 *
 * Each case is a loop over the malloc family through the libc names (so
 * LD_PRELOAD picks the allocator). micro.c times the table with Google
 * Benchmark; callgrind_ops.c runs one case N and 2N times under callgrind,
 * so instruction counts and timings measure the same code.
 */
#ifndef KZB_OPS_H
#define KZB_OPS_H

#include <stddef.h>

struct ops_case;
/* Runs n iterations; returns 0, or -1 when an allocation failed. */
typedef int (*ops_fn)(const struct ops_case *c, long n);

struct ops_case {
	const char *name; /* "pair/64": the benchmark's name */
	ops_fn run;
	size_t size; /* object size, or the largest size for realloc growth */
	long count;  /* batch length, or the alignment */
	long items;  /* allocator operations per iteration (a malloc and its free is one) */
};

extern const struct ops_case ops_cases[];
extern const size_t ops_ncases;

const struct ops_case *ops_find(const char *name);

#endif
