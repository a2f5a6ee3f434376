/*
 * leak.c [small|large] - a planted leak: leak_one() allocates a block (a
 * class object, or a run of pages) and drops the only pointer to it. Under
 * memcheck with kzmalloc active, the report must hold exactly this one
 * loss record, "definitely lost", allocated by kzmalloc from leak_one().
 */
#include <stdlib.h>
#include <string.h>

static void *volatile sink;

__attribute__((noinline)) static void leak_one(size_t size)
{
	char *p = malloc(size);

	memset(p, 0x5a, size);
	sink = p;
	sink = NULL;
}

int main(int argc, char **argv)
{
	int large = argc > 1 && !strcmp(argv[1], "large");

	leak_one(large ? 300 * 1024 : 100);
	return 0;
}
