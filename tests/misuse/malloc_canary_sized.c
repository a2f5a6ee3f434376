/* free_sized of a 100-byte object with size 101: one byte more than asked. */
#include "misuse.h"

/* Not in glibc 2.36: weak, so that the program also runs (and says so) without kzmalloc. */
void free_sized(void *ptr, size_t size) __attribute__((weak));

int main(void)
{
	if (!free_sized)
		return misuse_unavailable("free_sized");
	void *p = malloc(100);

	free_sized(misuse_announce(p), 101);
	return misuse_survived();
}
