/*
 * preload/malloc.c - the libc names: what makes
 * LD_PRELOAD=libkzmalloc.so run a program on kzmalloc.
 *
 * Only libkzmalloc.so has these (the static library keeps to the kz_
 * names). malloc and free are the API layer's inline fast paths
 * themselves (kmalloc_fast.h); each other name is a tail call into its
 * hidden function, one jump and no PLT; the other names glibc answers to
 * (cfree, the __libc_ names) are aliases of these. Every name is here, so no pointer from glibc's
 * malloc can ever reach kzmalloc's free.
 */
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>

#include "kmalloc.h"
#include "kmalloc_fast.h"
#include "kzmalloc.h"

#define EXPORT __attribute__((visibility("default")))

/* Names glibc 2.36's headers do not declare. */
void cfree(void *ptr);
void free_sized(void *ptr, size_t size);
void free_aligned_sized(void *ptr, size_t alignment, size_t size);
void *__libc_malloc(size_t size);
void __libc_free(void *ptr);
void *__libc_calloc(size_t nmemb, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);
int __posix_memalign(void **memptr, size_t alignment, size_t size);

EXPORT void *malloc(size_t size)
{
	return kmalloc_fast(size);
}

EXPORT void free(void *ptr)
{
	kfree_fast(ptr);
}

EXPORT void *calloc(size_t nmemb, size_t size)
{
	return kcalloc(nmemb, size);
}

EXPORT void *realloc(void *ptr, size_t size)
{
	return krealloc(ptr, size);
}

EXPORT void *reallocarray(void *ptr, size_t nmemb, size_t size)
{
	return kreallocarray(ptr, nmemb, size);
}

EXPORT int posix_memalign(void **memptr, size_t alignment, size_t size)
{
	return kposix_memalign(memptr, alignment, size);
}

EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
	return kaligned_alloc(alignment, size);
}

EXPORT void *memalign(size_t alignment, size_t size)
{
	return kmemalign(alignment, size);
}

EXPORT void *valloc(size_t size)
{
	return kvalloc(size);
}

EXPORT void *pvalloc(size_t size)
{
	return kpvalloc(size);
}

EXPORT size_t malloc_usable_size(void *ptr)
{
	return ksize(ptr);
}

EXPORT void free_sized(void *ptr, size_t size)
{
	kfree_sized(ptr, size);
}

EXPORT void free_aligned_sized(void *ptr, size_t alignment, size_t size)
{
	kfree_aligned_sized(ptr, alignment, size);
}

EXPORT int malloc_trim(size_t pad)
{
	return kz_malloc_trim(pad);
}

EXPORT struct mallinfo2 mallinfo2(void)
{
	return kz_mallinfo2();
}

EXPORT struct mallinfo mallinfo(void)
{
	return kz_mallinfo();
}

EXPORT void malloc_stats(void)
{
	kz_malloc_stats();
}

EXPORT int malloc_info(int options, FILE *stream)
{
	return kz_malloc_info(options, stream);
}

EXPORT int mallopt(int param, int value)
{
	return kz_mallopt(param, value);
}

/* The same functions under the other names glibc answers to. */
#define ALIAS(name, target)                                                                        \
	EXPORT __typeof(target) name __attribute__((alias(#target), copy(target)))
ALIAS(cfree, free);
ALIAS(__libc_malloc, malloc);
ALIAS(__libc_free, free);
ALIAS(__libc_calloc, calloc);
ALIAS(__libc_realloc, realloc);
ALIAS(__libc_memalign, memalign);
ALIAS(__libc_valloc, valloc);
ALIAS(__libc_pvalloc, pvalloc);
ALIAS(__posix_memalign, posix_memalign);
