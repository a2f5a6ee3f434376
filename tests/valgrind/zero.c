/*
 * zero.c malloc|reuse|calloc|pages - reads of memory kzmalloc may or may
 * not promise to be zero; the test sets KZMALLOC_INIT. The bytes read are
 * or-ed together and the result feeds one branch, so memcheck reports
 * exactly one error if any of them is undefined, none otherwise.
 *
 *   malloc  a fresh object: zero under KZMALLOC_INIT=free and alloc
 *   reuse   an object dirtied, freed, and allocated again at the same
 *           address: zero under free and alloc, old bytes (reported) under
 *           none
 *   calloc  the same with calloc: zero in every mode
 *   pages   runs of pages and a huge mapping, reused: zero in every mode
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reading what malloc returned, and comparing a freed pointer, are the point here. */
#pragma GCC diagnostic ignored "-Wuse-after-free"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

static unsigned char or_bytes(const char *p, size_t n)
{
	unsigned char acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= (unsigned char) p[i];
	return acc;
}

/*
 * Allocate @size bytes where a dirty object of that size was freed. A
 * class object waits in the quarantine (under memcheck) while at least a
 * thousand more of its class are allocated and freed, and comes back
 * within some ten thousand; a run of pages or a mapping comes back at once.
 */
static char *again(size_t size, int use_calloc)
{
	char *p = malloc(size), *q;

	memset(p, 0x5a, size);
	free(p);
	for (unsigned i = 0; i < 100000; i++) {
		q = use_calloc ? calloc(1, size) : malloc(size);
		if (q == p || size > 4096) {
			if (i < 1000 && size <= 4096) {
				fprintf(stderr, "zero: freed object back after %u allocations\n",
					i);
				exit(3);
			}
			return q;
		}
		free(q);
	}
	fprintf(stderr, "zero: %p never came back\n", (void *) p);
	exit(3);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "malloc";
	unsigned char acc = 0;
	char *p;

	if (!strcmp(what, "malloc")) {
		p = malloc(64);
		acc = or_bytes(p, 64);
		free(p);
	} else if (!strcmp(what, "reuse") || !strcmp(what, "calloc")) {
		p = again(64, !strcmp(what, "calloc"));
		acc = or_bytes(p, 64);
		free(p);
	} else {
		size_t sizes[] = {300 * 1024, 2 << 20, 6 << 20};

		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			p = again(sizes[i], 0);
			acc |= or_bytes(p, sizes[i]);
			free(p);
		}
	}
	if (acc)
		puts("old bytes");
	else
		puts("all zero");
	return 0;
}
