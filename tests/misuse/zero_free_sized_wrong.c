/* free_sized(p, 16) of what malloc(0) returned. */
#include "misuse.h"

/* Not in glibc 2.36: weak, so that the program also runs (and says so) without kzmalloc. */
void free_sized(void *ptr, size_t size) __attribute__((weak));

int main(void)
{
	if (!free_sized)
		return misuse_unavailable("free_sized");
	void *p = malloc(0);

	free_sized(misuse_announce(p), 16);
	return misuse_survived();
}
