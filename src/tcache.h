/*
 * tcache.h - per-thread caches: for each class, a stack of free objects
 * (pointers in an array, never links through the objects), refilled from
 * and flushed to the kmalloc caches in batches, so that most allocations
 * and frees take no lock and touch no shared line.
 */
#ifndef KZ_TCACHE_H
#define KZ_TCACHE_H

#include <stdbool.h>

#include "slab.h"

struct tcache_bin {
	uint16_t n;   /* objects cached: slots[0 .. n) */
	uint16_t cap; /* slots */
	struct tcache_entry *slots;
};

struct tcache {
	struct tcache_bin bins[KZ_NR_CLASSES];
	struct kz_page *page; /* the block this cache lives in */
	struct tcache_entry storage[];
};

extern __thread struct tcache *tcache_self __attribute__((tls_model("initial-exec")));

void tcache_init(void);

/* An object of class @cls, live, when the fast path found the bin empty; NULL + ENOMEM. */
void *tcache_alloc_slow(unsigned cls);

/* Cache a freed (no longer live) object when the fast path found the bin full or no cache. */
void tcache_free_slow(unsigned cls, void *obj, uint8_t *live);

/* Give every object this thread caches back to the slabs. */
void tcache_flush_all(void);

/* Fast paths: a handful of instructions, no lock, no atomic. */
static inline void *tcache_alloc(unsigned cls)
{
	struct tcache *tc = tcache_self;

	if (likely(tc)) {
		struct tcache_bin *bin = &tc->bins[cls];

		if (likely(bin->n)) {
			struct tcache_entry *e = &bin->slots[--bin->n];

			*e->live = 1;
			return e->obj;
		}
	}
	return tcache_alloc_slow(cls);
}

static inline void tcache_free(unsigned cls, void *obj, uint8_t *live)
{
	struct tcache *tc = tcache_self;

	if (likely(tc)) {
		struct tcache_bin *bin = &tc->bins[cls];

		if (likely(bin->n < bin->cap)) {
			bin->slots[bin->n++] = (struct tcache_entry){obj, live};
			return;
		}
	}
	tcache_free_slow(cls, obj, live);
}

#endif /* KZ_TCACHE_H */
