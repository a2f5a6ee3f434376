/* Free a wild address that nothing maps; it must be rejected without being touched. */
#include "misuse.h"

int main(void)
{
	kz_free_page(misuse_announce((void *) 0x7ff000000000UL));
	return misuse_survived();
}
