/* Free a page twice after it has merged with its buddy: no block starts there any more. */
#include "misuse.h"

int main(void)
{
	void *a = kz_get_zeroed_page(), *b = kz_get_zeroed_page();

	kz_free_page(a);
	kz_free_page(b);
	kz_free_page(misuse_announce(b));
	return misuse_survived();
}
