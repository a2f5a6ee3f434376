/*
 * pagemap.h - address -> chunk descriptor, for any address at all.
 *
 * A two-level radix map over the 47-bit user address space at chunk
 * granularity: 2^12 root slots of 2^13 leaf slots each. "Is this ours?"
 * is two dependent loads (an empty root slot points to a shared leaf of
 * NULLs, never NULL) and never touches the address itself, so stack,
 * foreign or wild pointers are answered safely.
 *
 * Lock-free readers; writers hold the pool lock. A leaf, once installed,
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

struct pagemap_leaf {
	_Atomic(struct kz_chunk *) chunk[1u << PAGEMAP_LEAF_BITS];
};

extern _Atomic(struct pagemap_leaf *) pagemap_root[1u << PAGEMAP_ROOT_BITS];
extern const struct pagemap_leaf pagemap_empty_leaf;

/* Map (or with NULL, unmap) the chunk at @base; false + ENOMEM if no leaf. */
bool pagemap_set(uintptr_t base, struct kz_chunk *chunk);

static inline struct kz_chunk *pagemap_chunk(const void *addr)
{
	uintptr_t a = (uintptr_t) addr;
	struct pagemap_leaf *leaf;

	if (a >> PAGEMAP_VA_BITS)
		return NULL;
	leaf = atomic_load_explicit(&pagemap_root[a >> (KZ_CHUNK_SHIFT + PAGEMAP_LEAF_BITS)],
				    memory_order_acquire);
	return atomic_load_explicit(
		&leaf->chunk[(a >> KZ_CHUNK_SHIFT) & ((1u << PAGEMAP_LEAF_BITS) - 1)],
		memory_order_acquire);
}

/* The descriptor of the page holding @addr, or NULL if the pool has no such page. */
static inline struct kz_page *pagemap_page(const void *addr)
{
	struct kz_chunk *chunk = pagemap_chunk(addr);

	if (!chunk)
		return NULL;
	return &chunk->pages[((uintptr_t) addr >> KZ_PAGE_SHIFT) & (KZ_CHUNK_PAGES - 1)];
}

#endif /* KZ_PAGEMAP_H */
