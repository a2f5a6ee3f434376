/* Sized delete with a size the object was not allocated with. */
#include <new>

#include "misuse.h"

int main()
{
	void *p = ::operator new(100);

	::operator delete(misuse_announce(p), 5000);
	return misuse_survived();
}
