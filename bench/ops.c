/*
 * ops.c - the single-threaded micro cases (ops.h): malloc+free pairs per
 * size class and for large sizes, batches freed LIFO, FIFO and in random
 * order, calloc, realloc growth by doubling, aligned allocation; and one
 * reference that allocates nothing, memset/S: one memset of S bytes into a
 * resident buffer, the sizes of pair/S, so that the default mode's pair
 * (which clears each object) can be set against none mode's pair plus it.
 *
 * Every object is written once per 4 KiB page (its first byte, then one
 * byte a page), as a program that uses what it allocates would: an
 * allocator that hands out fresh mappings pays their page faults here, as
 * it would in a real program. Random orders and sizes come from a fixed
 * seed, built outside the measured loop.
 */
#include "ops.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kzbench.h"

#define OPS_MAX_BATCH 10000

static void *batch_slot[OPS_MAX_BATCH];
static uint32_t batch_order[OPS_MAX_BATCH]; /* a random permutation of 0..count-1 */
static uint16_t batch_size[OPS_MAX_BATCH];  /* random sizes, 16..1024 bytes */

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void touch(char *p, size_t size)
{
	for (size_t off = 0; off < size; off += 4096)
		p[off] = 1;
	kzb_escape(p);
}

static int pair(const struct ops_case *c, long n)
{
	for (long i = 0; i < n; i++) {
		char *p = malloc(c->size);

		if (!p)
			return -1;
		touch(p, c->size);
		free(p);
	}
	return 0;
}

#define OPS_MEMSET_MAX (8 * 1024 * 1024)

/*
 * memset/S: what clearing an object of S bytes costs where nothing else
 * does. The first call (micro.c makes one of 0 iterations before the
 * timing) allocates the buffer and makes it resident; it is kept.
 */
static int memset_resident(const struct ops_case *c, long n)
{
	static char *buffer;

	if (!buffer) {
		buffer = malloc(OPS_MEMSET_MAX);
		if (!buffer)
			return -1;
		memset(buffer, 1, OPS_MEMSET_MAX);
	}
	if (c->size > OPS_MEMSET_MAX)
		return -1;
	for (long i = 0; i < n; i++) {
		memset(buffer, 0, c->size);
		kzb_escape(buffer);
	}
	return 0;
}

static int batch_fill(const struct ops_case *c, bool mixed)
{
	for (long j = 0; j < c->count; j++) {
		size_t size = mixed ? batch_size[j] : c->size;

		batch_slot[j] = malloc(size);
		if (!batch_slot[j])
			return -1;
		touch(batch_slot[j], size);
	}
	return 0;
}

static int batch_lifo(const struct ops_case *c, long n)
{
	for (long i = 0; i < n; i++) {
		if (batch_fill(c, false))
			return -1;
		for (long j = c->count - 1; j >= 0; j--)
			free(batch_slot[j]);
	}
	return 0;
}

static int batch_fifo(const struct ops_case *c, long n)
{
	for (long i = 0; i < n; i++) {
		if (batch_fill(c, false))
			return -1;
		for (long j = 0; j < c->count; j++)
			free(batch_slot[j]);
	}
	return 0;
}

/*
 * Sets up a batch of count objects: batch_order a random permutation
 * (Fisher-Yates) and batch_size random sizes, both from fixed seeds.
 */
static void batch_prepare(long count)
{
	uint64_t seed = 0x2545f4914f6cdd1du;

	for (long j = 0; j < count; j++) {
		batch_order[j] = (uint32_t) j;
		batch_size[j] = (uint16_t) (16 + xorshift(&seed) % 1009);
	}
	for (long j = count - 1; j > 0; j--) {
		long k = (long) (xorshift(&seed) % (uint64_t) (j + 1));
		uint32_t t = batch_order[j];

		batch_order[j] = batch_order[k];
		batch_order[k] = t;
	}
}

static int batch_random_order(const struct ops_case *c, long n, bool mixed)
{
	batch_prepare(c->count);
	for (long i = 0; i < n; i++) {
		if (batch_fill(c, mixed))
			return -1;
		for (long j = 0; j < c->count; j++)
			free(batch_slot[batch_order[j]]);
	}
	return 0;
}

static int batch_random(const struct ops_case *c, long n)
{
	return batch_random_order(c, n, false);
}

/* Random sizes 16..1024 B, freed in random order. */
static int batch_mixed(const struct ops_case *c, long n)
{
	return batch_random_order(c, n, true);
}

static int calloc_pair(const struct ops_case *c, long n)
{
	for (long i = 0; i < n; i++) {
		char *p = calloc(1, c->size);

		if (!p)
			return -1;
		touch(p, c->size);
		free(p);
	}
	return 0;
}

/* 16 B grown by realloc to twice its size until c->size, each new last byte written. */
static int realloc_double(const struct ops_case *c, long n)
{
	for (long i = 0; i < n; i++) {
		char *p = malloc(16);

		if (!p)
			return -1;
		p[15] = 1;
		for (size_t size = 32; size <= c->size; size *= 2) {
			char *q = realloc(p, size);

			if (!q) {
				free(p);
				return -1;
			}
			p = q;
			p[size - 1] = 1;
		}
		kzb_escape(p);
		free(p);
	}
	return 0;
}

static int aligned(const struct ops_case *c, long n)
{
	for (long i = 0; i < n; i++) {
		void *p;

		if (posix_memalign(&p, (size_t) c->count, c->size))
			return -1;
		touch(p, c->size);
		free(p);
	}
	return 0;
}

#define KiB 1024
#define MiB (1024 * 1024)

/* The sizes of pair/S and memset/S, the same list: pair in the default mode against none mode's
 * pair plus one memset (bench/run.py's clearing table). */
/* clang-format off */
#define PAIR_SIZES(X) \
	X(32) X(48) X(64) X(96) X(128) X(256) X(512) X(1024) X(2048) X(4096) X(8192) X(16384) \
	X(32768) X(65536) X(131072) X(262144) X(1048576) X(4194304) X(8388608)
/* clang-format on */

/* items: a malloc and its free count as one operation; so does each realloc and each memset. */
const struct ops_case ops_cases[] = {
/* clang-format off */
#define PAIR_CASE(size)   {"pair/" #size, pair, size, 0, 1},
#define MEMSET_CASE(size) {"memset/" #size, memset_resident, size, 0, 1},
	PAIR_SIZES(PAIR_CASE)
	PAIR_SIZES(MEMSET_CASE)
	/* clang-format on */
	{"batch_lifo/100", batch_lifo, 64, 100, 100},
	{"batch_lifo/10000", batch_lifo, 64, 10000, 10000},
	{"batch_fifo/100", batch_fifo, 64, 100, 100},
	{"batch_fifo/10000", batch_fifo, 64, 10000, 10000},
	{"batch_random/100", batch_random, 64, 100, 100},
	{"batch_random/10000", batch_random, 64, 10000, 10000},
	{"batch_mixed/10000", batch_mixed, 0, 10000, 10000},
	{"calloc/64", calloc_pair, 64, 0, 1},
	{"calloc/1024", calloc_pair, 1 * KiB, 0, 1},
	{"calloc/16384", calloc_pair, 16 * KiB, 0, 1},
	{"calloc/1048576", calloc_pair, 1 * MiB, 0, 1},
	{"realloc_double/4096", realloc_double, 4 * KiB, 0, 9},
	{"realloc_double/1048576", realloc_double, 1 * MiB, 0, 17},
	{"aligned64/64", aligned, 64, 64, 1},
	{"aligned4096/64", aligned, 64, 4096, 1},
	{"aligned4096/4096", aligned, 4 * KiB, 4096, 1},
};
const size_t ops_ncases = sizeof(ops_cases) / sizeof(ops_cases[0]);

const struct ops_case *ops_find(const char *name)
{
	for (size_t i = 0; i < ops_ncases; i++)
		if (!strcmp(ops_cases[i].name, name))
			return &ops_cases[i];
	return NULL;
}
