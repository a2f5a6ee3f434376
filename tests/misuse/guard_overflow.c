/* Write the last usable byte of a large or huge block, then the byte after it.
 * The argument picks how the block came to be. With KZMALLOC_CHECK=guard the
 * first write must work and the second fault (SIGSEGV).
 */
#include <malloc.h>
#include <string.h>

#include "misuse.h"

#define KIB ((size_t) 1 << 10)
#define MIB ((size_t) 1 << 20)

static char *block(const char *how)
{
	char *p;

	if (!strcmp(how, "large"))
		return malloc(300 * KIB);
	if (!strcmp(how, "large-odd"))
		return malloc(200001);
	if (!strcmp(how, "large-realloc")) { /* in place: the same pages */
		p = malloc(300 * KIB + 1);
		return p == realloc(p, 300 * KIB + 4000) ? p : NULL;
	}
	if (!strcmp(how, "huge"))
		return malloc(8 * MIB);
	if (!strcmp(how, "huge-realloc")) { /* grown: moved to a new mapping */
		p = malloc(8 * MIB);
		return p ? realloc(p, 24 * MIB + 100) : NULL;
	}
	if (!strcmp(how, "huge-aligned"))
		return memalign(16 * MIB, 100 * KIB);
	return NULL;
}

int main(int argc, char **argv)
{
	char *p = argc > 1 ? block(argv[1]) : NULL;
	size_t usable;

	if (!p) {
		fputs("no block\n", stderr);
		return 2;
	}
	usable = malloc_usable_size(p);
	((volatile char *) p)[usable - 1] = 1;
	printf("overflow %p\n", (void *) (p + usable));
	fflush(stdout);
	((volatile char *) p)[usable] = 1;
	return misuse_survived();
}
