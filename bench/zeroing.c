/*
 * zeroing.c - what it costs to hand out a dirty block zeroed, per order:
 * memset it, or MADV_DONTNEED it and let the program fault the pages back
 * in as it touches them (the two ways buddy.c could clear a block), and
 * MADV_DONTNEED alone (the cost of a purge). Medians of several rounds.
 *
 *   zeroing [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kzmalloc.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

static void dirty(char *p, size_t size)
{
	for (size_t off = 0; off < size; off += KZ_PAGE_SIZE)
		p[off] = 1;
}

enum method { MEMSET, PURGE_TOUCH, PURGE_ONLY, NR_METHODS };

static double time_one(char *p, size_t size, enum method m)
{
	double t0;

	dirty(p, size);
	t0 = now_us();
	if (m == MEMSET) {
		memset(p, 0, size);
	} else {
		madvise(p, size, MADV_DONTNEED);
		if (m == PURGE_TOUCH)
			dirty(p, size);
	}
	__asm__ volatile("" : : "r"(p) : "memory");
	return now_us() - t0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 31;
	size_t max = KZ_PAGE_SIZE << KZ_MAX_ORDER;
	char *p = mmap(NULL, max, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double *t = calloc((size_t) rounds, sizeof(*t));

	if (p == MAP_FAILED || !t || rounds < 1)
		return 1;
	printf("| order | size | memset (us) | DONTNEED + touch (us) | DONTNEED alone (us) | "
	       "touch / memset |\n|---|---|---|---|---|---|\n");
	for (unsigned order = 0; order <= KZ_MAX_ORDER; order++) {
		size_t size = KZ_PAGE_SIZE << order;
		double median[NR_METHODS];

		for (int m = 0; m < NR_METHODS; m++) {
			for (int r = 0; r < rounds; r++)
				t[r] = time_one(p, size, (enum method) m);
			qsort(t, (size_t) rounds, sizeof(*t), cmp_double);
			median[m] = t[rounds / 2];
		}
		printf("| %u | %zu KiB | %.2f | %.2f | %.2f | %.0fx |\n", order, size >> 10,
		       median[MEMSET], median[PURGE_TOUCH], median[PURGE_ONLY],
		       median[PURGE_TOUCH] / (median[MEMSET] > 0.005 ? median[MEMSET] : 0.005));
	}
	free(t);
	munmap(p, max);
	return 0;
}
