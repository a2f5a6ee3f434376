/* A write 600 bytes into a freed 1000-byte object. */
/* Found as the object leaves the quarantine, pushed out by later frees. */
#include "misuse.h"

int main(void)
{
	char *p = malloc(1000);

	free(p);
	p[600] = 'x';
	misuse_announce(p);
	/* Push it out: the thread's ring holds 256 KiB, the shared one 4 MiB. */
	for (unsigned i = 0; i < 20000; i++)
		free(malloc(1000));
	return misuse_survived();
}
