/*
 * leak.c [small|large|huge] - a planted leak: leak_one() allocates a block
 * of an odd size (a class object of 777 bytes, a run of 300 KiB + 777, a
 * mapping of 5 MiB + 777) and drops the only pointer to it. Under memcheck
 * with kzmalloc active, the report must hold exactly this one loss record,
 * "definitely lost", of the size asked for (not the class's, run's or
 * mapping's), allocated by kzmalloc from leak_one().
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
	const char *how = argc > 1 ? argv[1] : "small";
	size_t size = 777;

	if (!strcmp(how, "large"))
		size += 300 * 1024;
	else if (!strcmp(how, "huge"))
		size += 5 * 1024 * 1024;
	leak_one(size);
	return 0;
}
