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

/* A stack of cached objects: [base, top) are cached, [top, end) free slots. */
struct tcache_bin {
	struct tcache_entry *top;
	struct tcache_entry *base;
	struct tcache_entry *end;
	uintptr_t pad; /* 32 bytes: a bin's address is a shift away */
};

struct tcache {
	struct tcache_bin bins[KZ_NR_CLASSES];
	bool clear_on_free;   /* KZMALLOC_INIT=free: the free path clears objects */
	bool clear_on_alloc;  /* KZMALLOC_INIT=alloc: the malloc path clears them */
	struct kz_page *page; /* the block this cache lives in */
	struct tcache_entry storage[];
};

/*
 * Every thread has one: before its first allocation, and after its exit
 * destructor, tcache_self is tcache_none, whose bins are empty and full at
 * once, so the fast paths need no NULL test and fall to the slow ones.
 */
extern struct tcache tcache_none;
extern __thread struct tcache *tcache_self __attribute__((tls_model("initial-exec")));

void tcache_init(void);

/* An object of class @cls, live, when the fast path found the bin empty; NULL + ENOMEM. */
void *tcache_alloc_slow(unsigned cls);

/* Cache a freed (no longer live, already cleared) object when the bin is full. */
void tcache_free_slow(unsigned cls, void *obj, uint8_t *live);

/* Give every object this thread caches (and, under memcheck, the quarantine) back to the slabs. */
void tcache_flush_all(void);

/* Objects of class @cls freed but held in the quarantine (memcheck only; else 0). */
size_t tcache_quarantined(unsigned cls);

void tcache_fork_prepare(void);
void tcache_fork_parent(void);

/* Fast paths: a handful of instructions, no lock, no atomic. */
static inline void *tcache_alloc(unsigned cls)
{
	struct tcache *tc = tcache_self;
	struct tcache_bin *bin = &tc->bins[cls];

	if (likely(bin->top != bin->base)) {
		struct tcache_entry *e = --bin->top;

		*e->live = 1;
		if (unlikely(tc->clear_on_alloc))
			return memset(e->obj, 0, kz_class_size[cls]); /* a tail call */
		return e->obj;
	}
	return tcache_alloc_slow(cls);
}

static inline void tcache_free(unsigned cls, void *obj, uint8_t *live)
{
	struct tcache_bin *bin = &tcache_self->bins[cls];

	if (likely(bin->top != bin->end)) {
		*bin->top++ = (struct tcache_entry){obj, live};
		return;
	}
	tcache_free_slow(cls, obj, live);
}

#endif /* KZ_TCACHE_H */
