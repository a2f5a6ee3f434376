/*
 * nested_free.c - a thread-cache flush must not hand a live object out
 * twice when something nested in the free allocates: before the fix, the
 * purger thread was started from inside free, in the middle of a flush,
 * and glibc's calloc of the new thread's TLS vector popped an entry the
 * flush was still moving.
 *
 *   nested_free reuse    200 objects of 300 bytes, all freed, 200 again
 *                        (the smallest reproducer: `rm -rf` of a big tree)
 *   nested_free classes  the same for every class size up to 16 KiB, with
 *                        a thread created and joined between rounds
 *
 * Every object gets a pattern naming it; all of them must be distinct and
 * keep their patterns until freed. Run in every KZMALLOC_INIT mode (with
 * none, a twice-handed-out object is silent corruption, found only by the
 * patterns).
 */
#include <pthread.h>

#include "rel.h"

enum { NR = 200 };

static void *nothing(void *arg)
{
	return arg;
}

/* Two rounds of @nr objects of @size; each object's pattern checked before it is freed. */
static void rounds(size_t size, size_t nr, int rounds_left)
{
	unsigned char *p[NR * 4];

	rel_check(nr <= sizeof(p) / sizeof(p[0]));
	while (rounds_left-- > 0) {
		for (size_t i = 0; i < nr; i++) {
			p[i] = malloc(size);
			rel_check(p[i] != NULL);
			rel_fill(p[i], size, i);
		}
		for (size_t i = 0; i < nr; i++)
			rel_check(rel_intact(p[i], size, i));
		for (size_t i = 0; i < nr; i++)
			free(p[i]);
	}
}

int main(int argc, char **argv)
{
	rel_time_limit(60);
	if (argc == 2 && !strcmp(argv[1], "reuse")) {
		rounds(300, NR, 3);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "classes")) {
		for (size_t size = 16; size <= 16384; size += size / 4) {
			pthread_t t;

			rounds(size, size < 2048 ? NR * 4 : NR, 3);
			rel_check(pthread_create(&t, NULL, nothing, NULL) == 0);
			rel_check(pthread_join(t, NULL) == 0);
		}
		return 0;
	}
	fprintf(stderr, "usage: %s reuse|classes\n", argv[0]);
	return 2;
}
