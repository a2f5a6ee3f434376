/* Write the byte new char[0] returned. */
#include <new>

#include "misuse.h"

int main()
{
	volatile char *p = static_cast<volatile char *>(misuse_announce(new char[0]));

	*p = 1;
	return misuse_survived();
}
