/*
 * kmalloc.h - the malloc API layer: size dispatch, errno, realloc, the
 * aligned variants. Hidden names (the kernel's: kmalloc, kfree, krealloc,
 * ksize); libkzmalloc exports them as kz_malloc ... and, from preload/,
 * under the libc names.
 */
#ifndef KZ_KMALLOC_H
#define KZ_KMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Start-up: the class table of malloc's fast path, for the settings (after canary_init). */
void kmalloc_init(void);

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
/* Whether @addr lies in memory kzmalloc manages (never touches it). */
bool kmalloc_owns(uintptr_t addr);

#ifdef __cplusplus
}
#endif

#endif /* KZ_KMALLOC_H */
