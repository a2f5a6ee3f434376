/*
 * early.c - a library whose constructor runs before kzmalloc's own: the
 * test program needs it, and the loader initialises a program's
 * dependencies before the objects of LD_PRELOAD. Its first call into the
 * allocator is free(NULL), then the rest of the family, before kzmalloc's
 * constructor has run.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

__attribute__((visibility("default"))) int early_result = -1;

__attribute__((constructor)) static void early_calls(void)
{
	char *p, *q;

	free(NULL);
	p = malloc(100);
	q = calloc(10, 10);
	if (!p || !q || malloc_usable_size(p) < 100 || q[99] != 0) {
		early_result = 1;
		return;
	}
	memset(p, 1, 100);
	p = realloc(p, 1 << 20);
	early_result = p && p[99] == 1 ? 0 : 2;
	free(p);
	free(q);
}
