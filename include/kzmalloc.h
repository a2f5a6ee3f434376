/*
 * kzmalloc.h - the public interface of kzmalloc.
 *
 * The page API is the kernel's, in user space: blocks of 2^order pages from
 * an order-based buddy pool, aligned to their own size and always zeroed
 * (alloc_pages / get_zeroed_page / free_pages / get_order).
 *
 * Misuse (freeing something that is not a block of the pool, not the start
 * of a block, with the wrong order, or twice) writes one line to stderr,
 * "kzmalloc: <function>(): <what> <address>", and aborts.
 */
#ifndef KZMALLOC_H
#define KZMALLOC_H

#include <malloc.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KZ_API __attribute__((visibility("default")))

/* One page of the pool, and the largest order: blocks of up to 4 MiB. */
#define KZ_PAGE_SIZE 4096UL
#define KZ_MAX_ORDER 10

/* The smallest order whose block holds @size bytes; kz_get_order(0) is 0. */
KZ_API unsigned kz_get_order(size_t size);

/*
 * 2^order pages, aligned to KZ_PAGE_SIZE << order, every byte zero.
 * NULL with errno EINVAL for an order above KZ_MAX_ORDER, ENOMEM when the
 * OS refuses memory.
 */
KZ_API void *kz_alloc_pages(unsigned order) __attribute__((malloc, warn_unused_result));

/* kz_alloc_pages(0). */
KZ_API void *kz_get_zeroed_page(void) __attribute__((malloc, warn_unused_result));

/* Give a block back; NULL is ignored, misuse aborts. */
KZ_API void kz_free_pages(void *addr, unsigned order);
KZ_API void kz_free_page(void *addr);

/*
 * Give every free page back to the OS now and unmap the chunks that are
 * wholly free; returns the bytes of dirty memory purged.
 */
KZ_API size_t kz_trim(void);

/* The pool's counters: what /proc/buddyinfo and /proc/meminfo would say. */
struct kz_pool_stats {
	size_t free_blocks[KZ_MAX_ORDER + 1]; /* free blocks per order (buddyinfo) */
	size_t chunks;			      /* 4 MiB chunks mapped now */
	size_t huge_mappings;		      /* direct mappings of objects over 4 MiB */
	size_t huge_bytes;		      /* their size, in use or cached; guards too */
	size_t huge_cached;		      /* of the mappings, those freed and kept for reuse */
	size_t huge_cached_bytes;	      /* their size; guards too */
	size_t pages_mapped;		      /* pages in the chunks */
	size_t pages_in_use;		      /* pages handed out */
	size_t pages_slab;		      /* of those, in slabs */
	size_t pages_large;		      /* of those, in large objects; guards too */
	size_t pages_resident;		      /* free pages still holding memory */
	size_t pages_dirty;		      /* of those, pages holding old data */
	size_t pages_zeroed;		      /* total dirty pages cleared by memset */
	size_t pages_purged;		      /* total pages given back (MADV_DONTNEED) */
	size_t chunks_unmapped;		      /* total chunks unmapped when wholly free */
};

KZ_API void kz_get_pool_stats(struct kz_pool_stats *stats);

/*
 * The malloc family under its own names, with glibc's semantics and errno:
 * every object is aligned to at least 16 bytes and (in the default
 * KZMALLOC_INIT=free mode) comes out zeroed. libkzmalloc.so also exports
 * them under the libc names for LD_PRELOAD.
 */
#define KZ_MALLOC_ATTR __attribute__((malloc, warn_unused_result))

KZ_API void *kz_malloc(size_t size) KZ_MALLOC_ATTR __attribute__((alloc_size(1)));
KZ_API void *kz_calloc(size_t nmemb, size_t size) KZ_MALLOC_ATTR __attribute__((alloc_size(1, 2)));
KZ_API void *kz_realloc(void *ptr, size_t size) __attribute__((warn_unused_result, alloc_size(2)));
KZ_API void *kz_reallocarray(void *ptr, size_t nmemb, size_t size)
	__attribute__((warn_unused_result, alloc_size(2, 3)));
KZ_API void kz_free(void *ptr);
KZ_API void kz_free_sized(void *ptr, size_t size);
KZ_API void kz_free_aligned_sized(void *ptr, size_t alignment, size_t size);
KZ_API int kz_posix_memalign(void **memptr, size_t alignment, size_t size);
KZ_API void *kz_aligned_alloc(size_t alignment, size_t size) KZ_MALLOC_ATTR
	__attribute__((alloc_align(1), alloc_size(2)));
KZ_API void *kz_memalign(size_t alignment, size_t size) KZ_MALLOC_ATTR
	__attribute__((alloc_align(1), alloc_size(2)));
KZ_API void *kz_valloc(size_t size) KZ_MALLOC_ATTR __attribute__((alloc_size(1)));
KZ_API void *kz_pvalloc(size_t size) KZ_MALLOC_ATTR;
KZ_API size_t kz_malloc_usable_size(void *ptr);
/* glibc's extras: trim purges for real (1 if memory went back), mallinfo2 has kzmalloc's numbers.
 */
KZ_API int kz_malloc_trim(size_t pad);
KZ_API struct mallinfo2 kz_mallinfo2(void);
KZ_API struct mallinfo kz_mallinfo(void);
KZ_API void kz_malloc_stats(void);
KZ_API int kz_malloc_info(int options, FILE *stream);
KZ_API int kz_mallopt(int param, int value);

/*
 * Write the statistics report to @fd: its header (program, PID, run time, peak RSS), the counters
 * (with KZMALLOC_STATS set), the slabinfo table, the buddyinfo line, the pool's pages and one JSON
 * line with the same numbers. Every line starts with "kzmalloc " or {"kzmalloc":.
 */
KZ_API void kz_stats_print(int fd);

#ifdef __cplusplus
}
#endif

#endif /* KZMALLOC_H */
