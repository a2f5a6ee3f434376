/*
 * pagemap.c - installing and clearing page-map entries.
 *
 * Invariant: pagemap_root[i] is pagemap_empty_leaf (read-only, all 0)
 * or a zeroed-at-birth leaf from the metadata arena, so a lookup never
 * tests the root; leaf->entry[j] is 0 or the descriptor of the chunk
 * mapped at ((i << LEAF_BITS) | j) << KZ_CHUNK_SHIFT, minus pagemap_bias.
 * Lock: callers hold chunk_lock (chunk.c); readers use acquire loads, so a reader
 * that finds a chunk also sees its descriptor initialised.
 */
#include "pagemap.h"

#include "meta.h"

const struct pagemap_leaf pagemap_empty_leaf;
struct kz_chunk pagemap_nil;
const uintptr_t pagemap_bias = (uintptr_t) &pagemap_nil;

_Atomic(struct pagemap_leaf *) pagemap_root[1u << PAGEMAP_ROOT_BITS] = {
	[0 ...(1u << PAGEMAP_ROOT_BITS) - 1] = (struct pagemap_leaf *) &pagemap_empty_leaf,
};

bool pagemap_set(uintptr_t base, struct kz_chunk *chunk)
{
	size_t root = base >> (KZ_CHUNK_SHIFT + PAGEMAP_LEAF_BITS);
	struct pagemap_leaf *leaf;

	kz_assert(IS_ALIGNED(base, KZ_CHUNK_SIZE) && !(base >> PAGEMAP_VA_BITS));
	leaf = atomic_load_explicit(&pagemap_root[root], memory_order_relaxed);
	if (leaf == &pagemap_empty_leaf) {
		if (!chunk)
			return true;
		leaf = meta_alloc(sizeof(*leaf), KZ_PAGE_SIZE);
		if (!leaf)
			return false;
		atomic_store_explicit(&pagemap_root[root], leaf, memory_order_release);
	}
	atomic_store_explicit(
		&leaf->entry[(base >> KZ_CHUNK_SHIFT) & ((1u << PAGEMAP_LEAF_BITS) - 1)],
		chunk ? (uintptr_t) chunk - pagemap_bias : 0, memory_order_release);
	return true;
}
