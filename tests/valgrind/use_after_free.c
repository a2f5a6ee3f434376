/*
 * use_after_free.c read|write|large - a planted use after free. A 40-byte
 * object is freed, a thousand more of its class are allocated and freed
 * (the freed one waits in kzmalloc's quarantine rather than coming back),
 * then it is read or written; "large" reads a freed 300 KiB block.
 * Memcheck must report exactly that access, with kzmalloc's free in the
 * "freed at" stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The use after free is the point: do not let the compiler refuse it. */
#pragma GCC diagnostic ignored "-Wuse-after-free"

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "read";
	int large = !strcmp(how, "large");
	volatile char *p = malloc(large ? 300 * 1024 : 40);
	char *other;

	p[0] = 1;
	free((void *) p);
	for (int i = 0; i < 1000; i++) {
		other = malloc(40);
		other[0] = 2;
		if (i < 999)
			free(other);
	}
	if (!strcmp(how, "write"))
		p[3] = 3;
	else
		printf("%d\n", p[3]);
	free(other);
	return 0;
}
