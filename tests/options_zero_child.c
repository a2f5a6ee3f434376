/*
 * options_zero_child.c - leaves two zero-size pointers live and one freed, and exits 0; ctest runs
 * it with KZMALLOC_STATS=1 and KZMALLOC_CHECK=zero-size and checks the report's zero-size line.
 */
#include "kzmalloc.h"

static void *live[2];

int main(void)
{
	void *freed = kz_malloc(0);

	live[0] = kz_malloc(0);
	live[1] = kz_calloc(4, 0);
	kz_free(freed);
	return live[0] && live[1] && freed ? 0 : 1;
}
