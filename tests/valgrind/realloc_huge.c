/*
 * realloc_huge.c - a mapping above 4 MiB grown with realloc where it lies
 * (mremap), then shrunk: every byte of the new size is written and read
 * back each time. Memcheck must report nothing: kzmalloc tells it of each
 * resize in place, and the grown part (fresh pages) is zero. Exits 3 if
 * the block moved, which would not test the resize in place.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check(const char *p, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

int main(void)
{
	size_t small = 6 << 20, big = 12 << 20;
	char *p = malloc(small), *q;

	memset(p, 1, small);
	q = realloc(p, big);
	if (q != p) {
		fprintf(stderr, "realloc_huge: the block moved\n");
		return 3;
	}
	if (!check(q + small, malloc_usable_size(q) - small, 0))
		return 1;
	memset(q, 2, malloc_usable_size(q));
	p = realloc(q, small);
	if (p != q || !check(p, small, 2))
		return 1;
	memset(p, 3, malloc_usable_size(p));
	free(p);
	puts("resized in place");
	return 0;
}
