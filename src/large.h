/*
 * large.h - objects above the largest class: runs of pages from the pool up
 * to 4 MiB (the unused tail of the rounded-up block stays in the pool), and
 * direct mappings above that (huge, the kernel's vmalloc), kept a while
 * after free for reuse. With KZMALLOC_CHECK=guard each ends in a no-access
 * guard page, which the usable size leaves out.
 */
#ifndef KZ_LARGE_H
#define KZ_LARGE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "page.h"

/* Register the shrinker that gives back runs whose guard page was stuck; at start-up. */
void large_init(void);
/* @nr_pages pages (and the guard, which must fit the chunk too) aligned to @align; NULL + ENOMEM.
 */
void *large_alloc(size_t nr_pages, size_t align);
/* Free a run; the pages it left for purge (large_free and huge_free: purge.h, purge_notify). */
size_t large_free(struct kz_page *head);

/* A run's pages but its guard page (head->owner, page.h). */
static inline size_t large_usable(const struct kz_page *head)
{
	return ((size_t) head->nr_pages - (head->owner != NULL)) << KZ_PAGE_SHIFT;
}

void huge_init(void);
/* @size bytes aligned to @align (any power of two); NULL + ENOMEM. */
void *huge_alloc(size_t size, size_t align);
size_t huge_free(struct kz_chunk *chunk);
/* Resize in place or by moving the pages (no copy); the new address, or NULL if neither works. */
void *huge_resize(struct kz_chunk *chunk, size_t size);
/* The huge cache's lock, for the lock-order table (init.c); @i is ignored. */
pthread_mutex_t *huge_cache_lock(unsigned i);
/* The pool's counters (buddy_stats) with the cached mappings among its huge ones, one snapshot. */
void huge_pool_stats(struct kz_pool_stats *st);

/* A mapping's length but its guard page. */
static inline size_t huge_usable(const struct kz_chunk *chunk)
{
	return chunk->size - chunk->guard;
}

#endif /* KZ_LARGE_H */
