/* Free a 48-byte object twice, 100,000 allocations and frees apart. */
/* Between the two frees its slot is handed out and freed again, many times. */
#include "misuse.h"

int main(void)
{
	void *p = malloc(48), *held[64] = {0};

	free(p);
	for (unsigned i = 0; i < 100000; i++) {
		unsigned k = (i * 2654435761u) >> 26;

		free(held[k]);
		held[k] = malloc(16 + (i * 40503u) % 2048);
	}
	for (unsigned k = 0; k < 64; k++)
		free(held[k]);
	free(misuse_announce(p));
	return misuse_survived();
}
