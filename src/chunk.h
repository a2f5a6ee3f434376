/*
 * chunk.h - chunk descriptors, and the registration of regions in the page
 * map: the pool's chunks, huge mappings, and the zero-size regions. Any
 * address of a registered region finds its descriptor through the page map
 * (pagemap.h); the layers above own what the descriptor's pages say.
 *
 * Lock: chunk_lock guards the spare descriptors and every page-map write.
 * A leaf but for the metadata arena (a new descriptor, a page-map leaf),
 * taken alone or under the pool lock (init.c's lock order).
 */
#ifndef KZ_CHUNK_H
#define KZ_CHUNK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "page.h"

/*
 * A descriptor for the region of @size bytes at @base (chunk-aligned), its
 * pages all zero but @head's prep (when @kind is not KIND_NR: one allocated
 * block of @kind spanning the chunk's pages, whose head's owner is @owner),
 * made findable through the page map only after that. NULL + ENOMEM if no
 * descriptor or page-map leaf can be had, or the range is taken or beyond
 * the map.
 */
struct kz_chunk *chunk_register(void *base, size_t size, enum page_kind kind, void *owner);

/* Point the page map's entries for a registered region at nothing; the descriptor stays. */
void chunk_hide(struct kz_chunk *chunk);

/* Give a hidden region's descriptor back for reuse. */
void chunk_release(struct kz_chunk *chunk);

/* chunk_hide, then chunk_release. */
void chunk_unregister(struct kz_chunk *chunk);

/* Resize a registered region's page-map range to @size (it shrank or grew in place); false +
 * ENOMEM if the new part cannot be mapped, and then nothing changed. */
bool chunk_resize(struct kz_chunk *chunk, size_t size);

/* chunk_lock, for the lock-order table (init.c); @i is ignored. */
pthread_mutex_t *chunk_lock(unsigned i);

#endif /* KZ_CHUNK_H */
