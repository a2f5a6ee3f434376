/*
 * pagemap.h - address -> chunk descriptor, for any address at all.
 *
 * A two-level radix map over the 47-bit user address space at chunk
 * granularity: 2^12 root slots of 2^13 leaf slots each. "Is this ours?"
 * is two dependent loads (an empty root slot points to a shared empty
 * leaf, never NULL) and never touches the address itself, so stack,
 * foreign or wild pointers are answered safely.
 *
 * Lock-free readers; writers hold chunk_lock (chunk.c). A leaf, once installed,
 * stays for the life of the process.
 */
#ifndef KZ_PAGEMAP_H
#define KZ_PAGEMAP_H

#include <stdatomic.h>
#include <stdbool.h>

#include "page.h"

#define PAGEMAP_VA_BITS	  47
#define PAGEMAP_LEAF_BITS 13
#define PAGEMAP_ROOT_BITS (PAGEMAP_VA_BITS - KZ_CHUNK_SHIFT - PAGEMAP_LEAF_BITS)

/*
 * A leaf entry is the chunk's descriptor address minus pagemap_bias, the address of pagemap_nil,
 * a chunk descriptor whose pages are all zero. An entry never set (0) reads as pagemap_nil, and
 * so does an address above the map, so the free fast path needs no NULL test: a foreign pointer
 * fails the page-state compare it makes anyway.
 */
struct pagemap_leaf {
	_Atomic(uintptr_t) entry[1u << PAGEMAP_LEAF_BITS];
};

extern KZ_HIDDEN _Atomic(struct pagemap_leaf *) pagemap_root[1u << PAGEMAP_ROOT_BITS];
extern KZ_HIDDEN const struct pagemap_leaf pagemap_empty_leaf;
extern KZ_HIDDEN struct kz_chunk pagemap_nil; /* never written */
extern KZ_HIDDEN const uintptr_t pagemap_bias;

/* Map (or with NULL, unmap) the chunk at @base; false + ENOMEM if no leaf. */
bool pagemap_set(uintptr_t base, struct kz_chunk *chunk);

/* Whether @addr is in the address space the map covers. */
static inline bool pagemap_covers(const void *addr)
{
	return ((uintptr_t) addr >> (KZ_CHUNK_SHIFT + PAGEMAP_LEAF_BITS)) <
	       (1u << PAGEMAP_ROOT_BITS);
}

/* The descriptor of the chunk holding @addr, a covered address, or pagemap_nil. */
static inline struct kz_chunk *pagemap_lookup(const void *addr)
{
	uintptr_t a = (uintptr_t) addr;
	struct pagemap_leaf *leaf;

	leaf = atomic_load_explicit(&pagemap_root[a >> (KZ_CHUNK_SHIFT + PAGEMAP_LEAF_BITS)],
				    memory_order_acquire);
	return (struct kz_chunk *) (atomic_load_explicit(
					    &leaf->entry[(a >> KZ_CHUNK_SHIFT) &
							 ((1u << PAGEMAP_LEAF_BITS) - 1)],
					    memory_order_acquire) +
				    pagemap_bias);
}

/* The descriptor, in @chunk, of the page holding @addr. */
static inline struct kz_page *chunk_page(struct kz_chunk *chunk, const void *addr)
{
	return &chunk->pages[((uintptr_t) addr >> KZ_PAGE_SHIFT) & (KZ_CHUNK_PAGES - 1)];
}

/* The descriptor of the page holding @addr, a covered address: pagemap_nil's (all zero) if the
 * pool has no such page. */
static inline struct kz_page *pagemap_lookup_page(const void *addr)
{
	return chunk_page(pagemap_lookup(addr), addr);
}

/* The descriptor of the chunk holding @addr, or NULL. */
static inline struct kz_chunk *pagemap_chunk(const void *addr)
{
	struct kz_chunk *chunk;

	if (!pagemap_covers(addr))
		return NULL;
	chunk = pagemap_lookup(addr);
	return chunk == &pagemap_nil ? NULL : chunk;
}

/* The descriptor of the page holding @addr, or NULL if the pool has no such page. */
static inline struct kz_page *pagemap_page(const void *addr)
{
	struct kz_chunk *chunk = pagemap_chunk(addr);

	return chunk ? chunk_page(chunk, addr) : NULL;
}

#endif /* KZ_PAGEMAP_H */
