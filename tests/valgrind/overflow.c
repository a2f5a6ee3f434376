/*
 * overflow.c read|write|large|huge|realloc - a planted access one byte past
 * the end of a block of an odd size: a 777-byte class object (its class is
 * larger) with another allocated after it, a run of 300 KiB + 777, a
 * mapping of 5 MiB + 777, or a 700-byte object grown in place by realloc to
 * 777. Memcheck must report exactly that access, "0 bytes after a block of
 * size" the size asked for, and malloc_usable_size must say that size, as
 * under memcheck's own allocator (exit status 2 if it does not).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "read";
	size_t size = 777;
	volatile char *p;
	char *next;

	if (!strcmp(how, "large"))
		size += 300 * 1024;
	else if (!strcmp(how, "huge"))
		size += 5 * 1024 * 1024;
	if (!strcmp(how, "realloc")) {
		p = realloc(malloc(700), size);
		how = "write";
	} else {
		p = malloc(size);
	}
	next = malloc(size);
	next[0] = 1;
	if (malloc_usable_size((void *) p) != size) {
		fprintf(stderr, "malloc_usable_size %zu, asked %zu\n",
			malloc_usable_size((void *) p), size);
		return 2;
	}
	if (!strcmp(how, "write"))
		p[size] = 1;
	else
		printf("%d\n", p[size]);
	free((void *) p);
	free(next);
	return 0;
}
