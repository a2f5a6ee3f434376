/*
 * os.h - the OS layer's contract: the only place that maps, unmaps or
 * advises memory, and the clock the purge policy runs on.
 * One implementation per OS (os_linux.c).
 */
#ifndef KZ_OS_H
#define KZ_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Fresh zeroed read-write memory of @size bytes aligned to @align (both
 * multiples of the page size); NULL with errno ENOMEM when the OS refuses.
 */
void *os_map_aligned(size_t size, size_t align);

void os_unmap(void *addr, size_t size);

/* Grow or shrink a mapping where it is; false if the address space after it is taken. */
bool os_remap_inplace(void *addr, size_t old_size, size_t new_size);

/* Move a mapping's pages (no copy) onto @new_addr, a mapping of @new_size that it replaces. */
bool os_remap_move(void *addr, size_t old_size, void *new_addr, size_t new_size);

/* Give the pages back; they read as zero afterwards (MADV_DONTNEED). */
void os_purge(void *addr, size_t size);

/*
 * The block libc allocated (through calloc) for the calling thread's
 * dynamic TLS vector, or NULL where that is not known.
 */
void *os_thread_tls_block(void);

/* A coarse monotonic clock in milliseconds; wraps after 49 days. */
uint32_t os_now_ms(void);

#endif /* KZ_OS_H */
