/*
 * overflow.c read|write|large - a planted access one byte past the end of
 * a block: a 48-byte object (its class's size, so the block ends where the
 * request does) with another allocated after it, or a 300 KiB run of pages
 * (whose block is its usable size, 296 pages). Memcheck must report
 * exactly that access, "0 bytes after a block".
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "read";
	size_t size = strcmp(how, "large") ? 48 : 300 * 1024;
	volatile char *p = malloc(size);
	char *next = malloc(size);
	size_t end = malloc_usable_size((void *) p);

	next[0] = 1;
	if (!strcmp(how, "write"))
		p[end] = 1;
	else
		printf("%d\n", p[end]);
	free((void *) p);
	free(next);
	return 0;
}
