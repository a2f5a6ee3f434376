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

#include <stddef.h>

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
	size_t pages_mapped;		      /* pages in those chunks */
	size_t pages_in_use;		      /* pages handed out */
	size_t pages_dirty;		      /* free pages that may hold old data */
	size_t pages_zeroed;		      /* total dirty pages cleared by memset */
	size_t pages_purged;		      /* total pages given back (MADV_DONTNEED) */
	size_t chunks_unmapped;		      /* total chunks unmapped when wholly free */
};

KZ_API void kz_pool_stats(struct kz_pool_stats *stats);

/* Write the statistics report (the buddyinfo line and the pool counters) to @fd. */
KZ_API void kz_stats_print(int fd);

#ifdef __cplusplus
}
#endif

#endif /* KZMALLOC_H */
