/* A write into a freed object after it left the quarantine. */
/* Found when its slot is handed out again. */
#include "misuse.h"

int main(void)
{
	char *held[64], *p;

	/* Whole slabs of 1000-byte objects (8 a slab), all live: p's slab stays when p leaves. */
	for (unsigned i = 0; i < 64; i++)
		held[i] = malloc(1000);
	p = held[5];
	free(p);
	/* Out of the quarantine, pushed by objects of another class: checked, free in its slab. */
	for (unsigned i = 0; i < 20000; i++)
		free(malloc(2000));
	p[600] = 'x';
	misuse_announce(p);
	for (unsigned i = 0; i < 1000; i++) /* the free slots of the class, p's first among them */
		sink = malloc(1000);
	sink = held;
	return misuse_survived();
}
