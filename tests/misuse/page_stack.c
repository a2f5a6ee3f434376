/* Free an address on the stack. */
#include "misuse.h"

int main(void)
{
	char local[64] __attribute__((aligned(4096)));

	kz_free_page(misuse_announce(local));
	return misuse_survived();
}
