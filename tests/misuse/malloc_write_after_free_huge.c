/* A write to a freed 8 MiB block, found 16 frees later. */
#include "misuse.h"

int main(void)
{
	size_t size = (size_t) 8 << 20;
	char *p = malloc(size);

	if (!p)
		return 2;
	misuse_announce(p);
	free(p);
	p[size - 1] = 'x';
	for (int i = 0; i < 16; i++) {
		sink = malloc(size);
		free(sink);
	}
	return misuse_survived();
}
