/* Read the byte operator new(0) returned. */
#include <new>

#include "misuse.h"

int main()
{
	volatile char *p = static_cast<volatile char *>(misuse_announce(::operator new(0)));

	sink_size = *p;
	return misuse_survived();
}
