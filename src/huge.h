/*
 * huge.h - objects above 4 MiB: direct mappings (the kernel's vmalloc),
 * registered in the page map as KIND_HUGE chunks and kept a while after free
 * for reuse. With KZMALLOC_CHECK=guard each ends in a no-access guard page,
 * which the usable size leaves out. Locks: huge.zero_lock (a mapping being
 * cleared), then huge.lock, the cache's (init.c).
 */
#ifndef KZ_HUGE_H
#define KZ_HUGE_H

#include <pthread.h>
#include <stddef.h>

#include "page.h"

/* Register the shrinker that unmaps cached mappings; at start-up. */
void huge_init(void);
/* @size bytes aligned to @align (any power of two); NULL + ENOMEM. */
void *huge_alloc(size_t size, size_t align);
/* Free a mapping; the pages it left for purge (purge.h, purge_notify). */
size_t huge_free(struct kz_chunk *chunk);
/* Resize in place or by moving the pages (no copy); the new address, or NULL if neither works. */
void *huge_resize(struct kz_chunk *chunk, size_t size);
/* The huge cache's locks, for the lock-order table (init.c); @i is ignored. */
pthread_mutex_t *huge_zero_lock(unsigned i);
pthread_mutex_t *huge_cache_lock(unsigned i);
/* The huge figures of @st (huge_mappings, huge_bytes, huge_cached, huge_cached_bytes), one
 * snapshot: the cached mappings are among the ones counted. */
void huge_stats(struct kz_pool_stats *st);

/* A mapping's length but its guard page. */
static inline size_t huge_usable(const struct kz_chunk *chunk)
{
	return chunk->size - chunk->guard;
}

#endif /* KZ_HUGE_H */
