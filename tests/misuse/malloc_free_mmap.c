/* Free a page another mmap returned. */
#include "misuse.h"
#include <sys/mman.h>

int main(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	free(misuse_announce(p));
	return misuse_survived();
}
