/* Free a malloc(0) pointer twice, 100,000 malloc(0)s apart. */
/* Between the two frees 64 others stay live at a time, and everything else is freed. */
#include "misuse.h"

int main(void)
{
	void *p = malloc(0), *held[64] = {0};

	free(p);
	for (unsigned i = 0; i < 100000; i++) {
		unsigned k = (i * 2654435761u) >> 26;

		free(held[k]);
		held[k] = i % 3 ? malloc(0) : calloc(i % 7, 0);
	}
	for (unsigned k = 0; k < 64; k++)
		free(held[k]);
	free(misuse_announce(p));
	return misuse_survived();
}
