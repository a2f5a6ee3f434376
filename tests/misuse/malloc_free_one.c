/* Free (void *) 1. */
#include "misuse.h"

int main(void)
{
	void *volatile p = (void *) 1;

	free(misuse_announce(p));
	return misuse_survived();
}
