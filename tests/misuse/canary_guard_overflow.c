/* Write the last byte of a page-multiple large or huge block, then the byte after it.
 * The argument picks how the block came to be. With KZMALLOC_CHECK=canary,guard the first
 * write must work and the second fault (SIGSEGV): the canary takes no room of its own there.
 */
#include <malloc.h>
#include <string.h>

#include "misuse.h"

#define KIB ((size_t) 1 << 10)
#define MIB ((size_t) 1 << 20)

static char *block(const char *how, size_t *size)
{
	char *p;

	if (!strcmp(how, "large"))
		return malloc(*size = 256 * KIB);
	if (!strcmp(how, "large-aligned"))
		return memalign(64 * KIB, *size = 256 * KIB);
	if (!strcmp(how, "large-realloc")) { /* in place: the same pages, the slack gone */
		p = malloc(256 * KIB - 100);
		return p == realloc(p, *size = 256 * KIB) ? p : NULL;
	}
	if (!strcmp(how, "large-moved")) { /* from a class object */
		p = malloc(100);
		return p ? realloc(p, *size = 512 * KIB) : NULL;
	}
	if (!strcmp(how, "huge"))
		return malloc(*size = 8 * MIB);
	return NULL;
}

int main(int argc, char **argv)
{
	size_t size = 0;
	char *p = argc > 1 ? block(argv[1], &size) : NULL;

	if (!p || malloc_usable_size(p) != size) {
		fputs("no block of the size asked\n", stderr);
		return 2;
	}
	((volatile char *) p)[size - 1] = 1;
	printf("overflow %p\n", (void *) (p + size));
	fflush(stdout);
	((volatile char *) p)[size] = 1;
	return misuse_survived();
}
