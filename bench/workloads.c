/*
 * workloads.c - allocation-heavy programs with a known live size, so that
 * memory overhead is a number: peak RSS (measured by the runner) over the
 * peak of the bytes the program asked for and had not freed.
 *
 *   kzwork tree|hash|frag|bigblocks|mstress [SCALE]
 *
 *  tree  three generations of a binary search tree of 300k nodes with random
 *        keys and random payloads (8..64 B, then 64..256 B, then 8..512 B),
 *        each built, searched and torn down: reuse of freed memory across
 *        size mixes.
 *  hash  a chained hash table of 250k string keys with values of 8..1000 B,
 *        grown by doubling, then 500k random updates: replace a value
 *        (realloc to a new size), delete or insert.
 *  frag  2M objects of 16..128 B, 90% of them freed at random, then as many
 *        bytes again in objects of 1..8 KiB: what an allocator can do with
 *        memory that small survivors pin.
 *  bigblocks  20 live blocks of 5..25 MiB, 300 times one of them (at random)
 *        replaced by a new block of a random size in that range, which the
 *        program value-initialises in full (memset 0, as std::vector<char>(n)
 *        does) and then writes a few bytes of: reuse of large blocks by a
 *        program that clears them itself.
 *  mstress  threads in rounds trading objects of a long tail of sizes
 *        (stress.c); its live size is not counted.
 *
 * Every object is written in full, as a program would. SCALE (default 1)
 * multiplies the counts. Prints one line: "kzwork NAME: time_s=... live_peak_bytes=..."
 * (no live_peak_bytes for mstress). The requests are deterministic (fixed
 * seeds; in mstress, each thread's), so every allocator gets the same ones.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stress.h"

static size_t live, live_peak;
static uint64_t seed = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static size_t rnd_between(size_t lo, size_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

/* malloc that counts live bytes. */
static void *xmalloc_unwritten(size_t size)
{
	void *p = malloc(size);

	if (!p) {
		fprintf(stderr, "kzwork: out of memory\n");
		exit(1);
	}
	live += size;
	if (live > live_peak)
		live_peak = live;
	return p;
}

/* malloc that counts live bytes and writes the whole object. */
static void *xmalloc(size_t size)
{
	void *p = xmalloc_unwritten(size);

	memset(p, 0x5a, size);
	return p;
}

static void xfree(void *p, size_t size)
{
	live -= size;
	free(p);
}

static void *xrealloc(void *p, size_t old, size_t size)
{
	char *q = realloc(p, size);

	if (!q) {
		fprintf(stderr, "kzwork: out of memory\n");
		exit(1);
	}
	if (size > old)
		memset(q + old, 0x5a, size - old);
	live = live - old + size;
	if (live > live_peak)
		live_peak = live;
	return q;
}

struct node {
	struct node *left, *right;
	uint64_t key;
	size_t len;
	char payload[];
};

static void tree_insert(struct node **root, struct node *n)
{
	while (*root)
		root = n->key < (*root)->key ? &(*root)->left : &(*root)->right;
	*root = n;
}

static long tree_count_hits(const struct node *root, uint64_t key)
{
	while (root && root->key != key)
		root = key < root->key ? root->left : root->right;
	return root != NULL;
}

/* Frees the tree without recursion: rotate left children up, free as we go. */
static void tree_free(struct node *root)
{
	while (root) {
		if (root->left) {
			struct node *l = root->left;

			root->left = l->right;
			l->right = root;
			root = l;
		} else {
			struct node *r = root->right;

			xfree(root, sizeof(*root) + root->len);
			root = r;
		}
	}
}

static void tree(double scale)
{
	static const size_t payload[3][2] = {{8, 64}, {64, 256}, {8, 512}};
	long n = (long) (300000 * scale);
	long hits = 0;

	for (int gen = 0; gen < 3; gen++) {
		struct node *root = NULL;

		for (long i = 0; i < n; i++) {
			size_t len = rnd_between(payload[gen][0], payload[gen][1]);
			struct node *nd = xmalloc(sizeof(*nd) + len);

			nd->left = nd->right = NULL;
			nd->key = rnd();
			nd->len = len;
			tree_insert(&root, nd);
		}
		for (long i = 0; i < n; i++)
			hits += tree_count_hits(root, rnd());
		tree_free(root);
	}
	if (hits < 0)
		abort();
}

struct entry {
	struct entry *next;
	char *key;
	char *value;
	size_t key_len, value_len;
};

struct table {
	struct entry **bucket;
	size_t nbuckets, nentries;
};

static uint64_t hash_key(const char *key)
{
	uint64_t h = 1469598103934665603u;

	while (*key)
		h = (h ^ (unsigned char) *key++) * 1099511628211u;
	return h;
}

static struct entry **table_find(struct table *t, const char *key)
{
	struct entry **e = &t->bucket[hash_key(key) & (t->nbuckets - 1)];

	while (*e && strcmp((*e)->key, key))
		e = &(*e)->next;
	return e;
}

static void table_grow(struct table *t)
{
	size_t nbuckets = t->nbuckets * 2;
	struct entry **bucket = xmalloc(nbuckets * sizeof(*bucket));

	memset(bucket, 0, nbuckets * sizeof(*bucket));
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct entry *e = t->bucket[i], *next; e; e = next) {
			struct entry **head = &bucket[hash_key(e->key) & (nbuckets - 1)];

			next = e->next;
			e->next = *head;
			*head = e;
		}
	xfree(t->bucket, t->nbuckets * sizeof(*t->bucket));
	t->bucket = bucket;
	t->nbuckets = nbuckets;
}

static void table_insert(struct table *t, const char *key)
{
	struct entry *e = xmalloc(sizeof(*e));

	e->key_len = strlen(key) + 1;
	e->key = xmalloc(e->key_len);
	memcpy(e->key, key, e->key_len);
	e->value_len = rnd_between(8, 1000);
	e->value = xmalloc(e->value_len);
	e->next = NULL;
	*table_find(t, key) = e;
	if (++t->nentries > t->nbuckets)
		table_grow(t);
}

static void entry_free(struct entry *e)
{
	xfree(e->key, e->key_len);
	xfree(e->value, e->value_len);
	xfree(e, sizeof(*e));
}

static void hash(double scale)
{
	struct table t = {xmalloc(16 * sizeof(struct entry *)), 16, 0};
	long n = (long) (250000 * scale);
	char key[32];

	memset(t.bucket, 0, 16 * sizeof(struct entry *));
	for (long i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "key:%ld", i);
		table_insert(&t, key);
	}
	for (long i = 0; i < 2 * n; i++) {
		struct entry **e;

		snprintf(key, sizeof(key), "key:%lu", (unsigned long) (rnd() % (uint64_t) (2 * n)));
		e = table_find(&t, key);
		if (!*e) {
			table_insert(&t, key);
		} else if (rnd() % 4 == 0) {
			struct entry *gone = *e;

			*e = gone->next;
			entry_free(gone);
			t.nentries--;
		} else {
			size_t len = rnd_between(8, 1000);

			(*e)->value = xrealloc((*e)->value, (*e)->value_len, len);
			(*e)->value_len = len;
		}
	}
	for (size_t i = 0; i < t.nbuckets; i++)
		for (struct entry *e = t.bucket[i], *next; e; e = next) {
			next = e->next;
			entry_free(e);
		}
	xfree(t.bucket, t.nbuckets * sizeof(*t.bucket));
}

static void frag(double scale)
{
	long n = (long) (2000000 * scale);
	char **small = xmalloc((size_t) n * sizeof(*small));
	size_t *len = xmalloc((size_t) n * sizeof(*len));
	size_t freed = 0;
	long nbig = 0;
	char **big;
	size_t *big_len;

	for (long i = 0; i < n; i++) {
		len[i] = rnd_between(16, 128);
		small[i] = xmalloc(len[i]);
	}
	for (long i = 0; i < n; i++)
		if (rnd() % 10) {
			xfree(small[i], len[i]);
			freed += len[i];
			small[i] = NULL;
		}
	/* As many bytes again, in objects of 1..8 KiB. */
	big = xmalloc((size_t) n * sizeof(*big) / 50);
	big_len = xmalloc((size_t) n * sizeof(*big_len) / 50);
	for (size_t bytes = 0; bytes < freed && nbig < n / 50; nbig++) {
		big_len[nbig] = rnd_between(1024, 8192);
		big[nbig] = xmalloc(big_len[nbig]);
		bytes += big_len[nbig];
	}
	for (long i = 0; i < nbig; i++)
		xfree(big[i], big_len[i]);
	for (long i = 0; i < n; i++)
		if (small[i])
			xfree(small[i], len[i]);
	xfree(big, (size_t) n * sizeof(*big) / 50);
	xfree(big_len, (size_t) n * sizeof(*big_len) / 50);
	xfree(small, (size_t) n * sizeof(*small));
	xfree(len, (size_t) n * sizeof(*len));
}

#define MiB	  ((size_t) 1024 * 1024)
#define BIGBLOCKS 20

/* A block value-initialised by the program, then a few bytes of it written. */
static char *bigblock_new(size_t size)
{
	char *p = xmalloc_unwritten(size);

	memset(p, 0, size);
	for (int i = 1; i <= 8; i++)
		p[rnd() % size] = (char) i;
	return p;
}

static void bigblocks(double scale)
{
	char *block[BIGBLOCKS];
	size_t len[BIGBLOCKS];
	long n = (long) (300 * scale);

	for (int i = 0; i < BIGBLOCKS; i++) {
		len[i] = rnd_between(5 * MiB, 25 * MiB);
		block[i] = bigblock_new(len[i]);
	}
	for (long i = 0; i < n; i++) {
		int k = (int) (rnd() % BIGBLOCKS);

		xfree(block[k], len[k]);
		len[k] = rnd_between(5 * MiB, 25 * MiB);
		block[k] = bigblock_new(len[k]);
	}
	for (int i = 0; i < BIGBLOCKS; i++)
		xfree(block[i], len[i]);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*run)(double scale);
		bool counts_live; /* live_peak_bytes is known */
	} workloads[] = {{"tree", tree, true},
			 {"hash", hash, true},
			 {"frag", frag, true},
			 {"bigblocks", bigblocks, true},
			 {"mstress", stress_mstress, false}};
	double scale = argc > 2 ? atof(argv[2]) : 1.0;
	struct timespec t0, t1;

	for (size_t i = 0; argc > 1 && i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		if (strcmp(argv[1], workloads[i].name))
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		workloads[i].run(scale > 0 ? scale : 1.0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("kzwork %s: time_s=%.4f", workloads[i].name,
		       (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
		if (workloads[i].counts_live)
			printf(" live_peak_bytes=%zu", live_peak);
		printf("\n");
		return live == 0 ? 0 : 1;
	}
	fprintf(stderr, "usage: %s tree|hash|frag|bigblocks|mstress [SCALE]\n", argv[0]);
	return 2;
}
