/* Free a pointer 8 bytes past what malloc(0) returned. */
#include "misuse.h"

int main(void)
{
	char *p = malloc(0);

	free(misuse_announce(p + 8));
	return misuse_survived();
}
