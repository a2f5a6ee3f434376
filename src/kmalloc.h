/*
 * kmalloc.h - the malloc API layer: routing, errno, realloc, the
 * aligned variants. Hidden names (the kernel's: kmalloc, kfree, krealloc,
 * ksize); libkzmalloc exports them as kz_malloc ... and, from preload/,
 * under the libc names.
 */
#ifndef KZ_KMALLOC_H
#define KZ_KMALLOC_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kzmalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* @nmemb * @size into @total (calloc, reallocarray); false + ENOMEM if it overflows. */
static inline bool kmalloc_array_size(size_t nmemb, size_t size, size_t *total)
{
	if (__builtin_mul_overflow(nmemb, size, total)) {
		errno = ENOMEM;
		return false;
	}
	return true;
}

/* pvalloc's size: @size rounded up to whole pages, at least one; false + ENOMEM if it wraps. */
static inline bool kmalloc_pvalloc_size(size_t size, size_t *rounded)
{
	*rounded = (size + KZ_PAGE_SIZE - 1) & ~(size_t) (KZ_PAGE_SIZE - 1);
	if (*rounded < size) {
		errno = ENOMEM;
		return false;
	}
	if (!*rounded)
		*rounded = KZ_PAGE_SIZE;
	return true;
}

void *kmalloc(size_t size);
void *kcalloc(size_t nmemb, size_t size);
void *krealloc(void *ptr, size_t size);
void *kreallocarray(void *ptr, size_t nmemb, size_t size);
void kfree(void *ptr);
void kfree_sized(void *ptr, size_t size);
void kfree_aligned_sized(void *ptr, size_t alignment, size_t size);
/* free_sized and the sized and aligned C++ deletes: stop with @func's name on a mismatch. */
void kfree_checked(void *ptr, size_t size, size_t alignment, const char *func);
int kposix_memalign(void **memptr, size_t alignment, size_t size);
void *kaligned_alloc(size_t alignment, size_t size);
void *kmemalign(size_t alignment, size_t size);
void *kvalloc(size_t size);
void *kpvalloc(size_t size);
size_t ksize(void *ptr);

/*
 * The bytes the live object @ptr holds: its class's, run's or mapping's. What ksize says too,
 * but for the canary and under memcheck, where ksize gives the size asked for.
 */
size_t kmalloc_room(void *ptr);
/* Whether @addr lies in memory kzmalloc manages (never touches it). */
bool kmalloc_owns(uintptr_t addr);

#ifdef __cplusplus
}
#endif

#endif /* KZ_KMALLOC_H */
