/* A write to a freed object or block, and the program ends before it leaves the quarantine. */
/* small: 100 bytes; large: a 256 KiB run; huge: an 8 MiB mapping. Found at exit. */
#include <string.h>

#include "misuse.h"

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "small";
	size_t size = !strcmp(how, "huge")    ? (size_t) 8 << 20
		      : !strcmp(how, "large") ? 256 << 10
					      : 100;
	char *p = malloc(size);

	if (!p)
		return 2;
	misuse_announce(p);
	free(p);
	p[size - 1] = 'x'; /* a run's or mapping's last page is one of those checked */
	/* Undetected: misuse_survived's status, without its line, which would come before the
	 * check at exit does. */
	return 3;
}
