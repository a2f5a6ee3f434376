/* Sized delete of operator new(0)'s pointer with size 1. */
#include <new>

#include "misuse.h"

int main()
{
	void *p = ::operator new(0);

	::operator delete(misuse_announce(p), 1);
	return misuse_survived();
}
