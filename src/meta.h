/*
 * meta.h - the metadata arena: zeroed memory for descriptors and page-map
 * leaves, carved from large mappings and never returned, so a stale lookup
 * can read metadata but never fault on it.
 */
#ifndef KZ_META_H
#define KZ_META_H

#include <stddef.h>

/* @size bytes (under 2 MiB) aligned to @align (a power of two up to 64 KiB); NULL + ENOMEM. */
void *meta_alloc(size_t size, size_t align);

/* Bytes of metadata mapped so far. */
size_t meta_mapped(void);

/* fork(): hold the arena's lock across it (the lowest layer's: last taken, first released). */
void meta_fork_prepare(void);
void meta_fork_parent(void);

#endif /* KZ_META_H */
