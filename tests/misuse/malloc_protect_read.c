/* Read a 256 KiB block (a page run) after freeing it. */
/* With the argument "huge", an 8 MiB block (a mapping of its own, cached for reuse). */
#include <string.h>

#include "misuse.h"

int main(int argc, char **argv)
{
	size_t size = argc > 1 && !strcmp(argv[1], "huge") ? (size_t) 8 << 20 : (size_t) 256 << 10;
	char *p = malloc(size);

	if (!p)
		return 2;
	memset(p, 0x5a, size);
	misuse_announce(p +
			size / 2); /* before the free: no stdio buffer takes the pages after it */
	free(p);
	sink_size = ((volatile char *) p)[size / 2];
	return misuse_survived();
}
