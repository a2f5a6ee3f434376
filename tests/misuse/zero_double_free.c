/* Free a malloc(0) pointer twice. */
#include "misuse.h"

int main(void)
{
	void *p = malloc(0);

	free(p);
	free(misuse_announce(p));
	return misuse_survived();
}
