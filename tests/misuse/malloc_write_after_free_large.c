/* A write to a freed 256 KiB block, found 64 frees later. */
#include "misuse.h"

int main(void)
{
	size_t size = (size_t) 256 << 10;
	char *p = malloc(size);

	if (!p)
		return 2;
	misuse_announce(p);
	free(p);
	p[1] = 'x';
	for (int i = 0; i < 64; i++) {
		sink = malloc(size);
		free(sink);
	}
	return misuse_survived();
}
