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
 *
 * Under plain `valgrind prog`, memcheck 3.19 replaces, in this library,
 * malloc, free, calloc, realloc, posix_memalign, aligned_alloc, memalign,
 * valloc, malloc_usable_size, malloc_trim, mallinfo, malloc_stats, mallopt
 * and every operator new and delete. It replaces code addresses, so the
 * aliases below go with their targets. It leaves reallocarray, free_sized,
 * free_aligned_sized, pvalloc and mallinfo2 alone: under memcheck, when the
 * public names serve memcheck's heap, those call the public names (through
 * the PLT, never the API layer), so they work on memcheck's blocks.
 */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kmalloc.h"
#include "kmalloc_fast.h"
#include "kzmalloc.h"
#include "vg.h"

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

/*
 * Under memcheck: does the public malloc serve kzmalloc's heap, or, under
 * plain `valgrind prog`, memcheck's? Asked once, by an allocation.
 */
static bool malloc_is_memcheck(void)
{
	static _Atomic int answer; /* 0: not asked yet, 1: kzmalloc, 2: memcheck */

	if (!answer) {
		void *p = malloc(1);

		answer = kmalloc_owns((uintptr_t) p) ? 1 : 2;
		free(p);
	}
	return answer == 2;
}

/* True where the functions memcheck does not replace must call the public names. */
static inline bool memcheck_serves_malloc(void)
{
	return unlikely(vg_memcheck) && malloc_is_memcheck();
}

EXPORT void *reallocarray(void *ptr, size_t nmemb, size_t size)
{
	size_t total;

	if (!memcheck_serves_malloc())
		return kreallocarray(ptr, nmemb, size);
	if (!kmalloc_array_size(nmemb, size, &total))
		return NULL;
	return realloc(ptr, total);
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
	size_t rounded;

	if (!memcheck_serves_malloc())
		return kpvalloc(size);
	if (!kmalloc_pvalloc_size(size, &rounded))
		return NULL;
	return memalign(KZ_PAGE_SIZE, rounded);
}

EXPORT size_t malloc_usable_size(void *ptr)
{
	return ksize(ptr);
}

EXPORT void free_sized(void *ptr, size_t size)
{
	if (memcheck_serves_malloc())
		free(ptr);
	else
		kfree_sized(ptr, size);
}

EXPORT void free_aligned_sized(void *ptr, size_t alignment, size_t size)
{
	if (memcheck_serves_malloc())
		free(ptr);
	else
		kfree_aligned_sized(ptr, alignment, size);
}

EXPORT int malloc_trim(size_t pad)
{
	return kz_malloc_trim(pad);
}

EXPORT struct mallinfo2 mallinfo2(void)
{
	if (memcheck_serves_malloc()) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* memcheck's: all it offers */
		struct mallinfo mi = mallinfo();
#pragma GCC diagnostic pop

		return (struct mallinfo2){
			.arena = (unsigned) mi.arena,
			.ordblks = (unsigned) mi.ordblks,
			.smblks = (unsigned) mi.smblks,
			.hblks = (unsigned) mi.hblks,
			.hblkhd = (unsigned) mi.hblkhd,
			.usmblks = (unsigned) mi.usmblks,
			.fsmblks = (unsigned) mi.fsmblks,
			.uordblks = (unsigned) mi.uordblks,
			.fordblks = (unsigned) mi.fordblks,
			.keepcost = (unsigned) mi.keepcost,
		};
	}
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

/*
 * The same functions under the other names glibc answers to; with gcc, with the target's
 * attributes too (clang has no copy attribute and needs none: an alias is the same code).
 */
#if __has_attribute(copy)
#define ALIAS_ATTRS(target) alias(#target), copy(target)
#else
#define ALIAS_ATTRS(target) alias(#target)
#endif
#define ALIAS(name, target) EXPORT __typeof(target) name __attribute__((ALIAS_ATTRS(target)))
ALIAS(cfree, free);
ALIAS(__libc_malloc, malloc);
ALIAS(__libc_free, free);
ALIAS(__libc_calloc, calloc);
ALIAS(__libc_realloc, realloc);
ALIAS(__libc_memalign, memalign);
ALIAS(__libc_valloc, valloc);
ALIAS(__libc_pvalloc, pvalloc);
ALIAS(__posix_memalign, posix_memalign);
