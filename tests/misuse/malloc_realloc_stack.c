/* Realloc a stack address. */
#include "misuse.h"

int main(void)
{
	char buf[64];
	void *volatile p = buf;

	sink = realloc(misuse_announce(p), 128);
	return misuse_survived();
}
