/*
 * startup.c - run with libkzmalloc.so preloaded: the allocations made by
 * early.c's constructor, before kzmalloc's constructor ran, worked and came
 * from kzmalloc (whose mallinfo2 then counts memory in use).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

extern int early_result;

int main(void)
{
	void *p = malloc(1000);
	struct mallinfo2 mi = mallinfo2();

	printf("early constructor: %d, kzmalloc arena: %zu\n", early_result, mi.arena);
	free(p);
	return early_result == 0 && mi.arena > 0 && getenv("LD_PRELOAD") ? 0 : 1;
}
