/* Realloc a pointer into an object. */
#include "misuse.h"

int main(void)
{
	char *p = malloc(100);

	sink = realloc(misuse_announce(p + 32), 200);
	return misuse_survived();
}
