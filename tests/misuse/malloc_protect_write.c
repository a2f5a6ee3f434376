/* Write to a 256 KiB block (a page run) after freeing it. */
/* With the argument "huge", an 8 MiB block (a mapping of its own, cached for reuse). */
#include <string.h>

#include "misuse.h"

int main(int argc, char **argv)
{
	size_t size = argc > 1 && !strcmp(argv[1], "huge") ? (size_t) 8 << 20 : (size_t) 256 << 10;
	char *p = malloc(size);

	if (!p)
		return 2;
	misuse_announce(p);
	free(p);
	((volatile char *) p)[0] = 'x';
	return misuse_survived();
}
