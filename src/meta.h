/*
 * meta.h - the metadata arena: zeroed memory for descriptors and page-map
 * leaves, carved from large mappings and never returned, so a stale lookup
 * can read metadata but never fault on it.
 */
#ifndef KZ_META_H
#define KZ_META_H

#include <pthread.h>
#include <stddef.h>

/* @size bytes (under 2 MiB) aligned to @align (a power of two up to 64 KiB); NULL + ENOMEM. */
void *meta_alloc(size_t size, size_t align);

/* Bytes of metadata mapped so far. */
size_t meta_mapped(void);

/* The arena's lock, for the lock-order table (init.c); @i is ignored. */
pthread_mutex_t *meta_arena_lock(unsigned i);

#endif /* KZ_META_H */
