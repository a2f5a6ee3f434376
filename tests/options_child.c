/*
 * options_child.c - a program that uses the pool a little and exits 0; ctest
 * runs it with KZMALLOC_* settings and checks what kzmalloc prints.
 */
#include "kzmalloc.h"

int main(void)
{
	void *p = kz_alloc_pages(1);

	kz_free_pages(p, 1);
	return p ? 0 : 1;
}
