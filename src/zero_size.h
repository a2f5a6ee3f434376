/*
 * zero_size.h - zero-size pointers (KZMALLOC_CHECK=zero-size; the kernel's ZERO_SIZE_PTR, made
 * unique): malloc(0) and its kin return an address in a no-access region, so any read or write
 * through it faults at once, while each stays distinct from every other live pointer and free,
 * realloc and malloc_usable_size still check it.
 *
 * The regions are chunks of address space (PROT_NONE, nothing committed) registered in the page
 * map as KIND_ZERO blocks whose head's owner is their struct zero_region. A zero-size pointer is
 * a 16-byte slot of a region; which are live is a bitmap in the metadata arena, never in the
 * region. Lock: zero_size's one mutex, a leaf (taken last; nothing is taken while it is held).
 */
#ifndef KZ_ZERO_SIZE_H
#define KZ_ZERO_SIZE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "page.h"

/* Zero-size pointers are 16-byte slots; larger alignments up to a page are whole slots too. */
#define ZERO_SIZE_SLOT	    16
#define ZERO_SIZE_MAX_ALIGN KZ_PAGE_SIZE

/* A unique no-access address aligned to @align (a power of two up to a page); NULL + ENOMEM. */
void *zero_size_alloc(size_t align);

/*
 * Whether @ptr, an address in the region headed by @head, is a zero-size pointer handed out and
 * not freed since: a slot start whose bit is set. Never touches @ptr.
 */
bool zero_size_live(const struct kz_page *head, const void *ptr);

/* Free @ptr, a live zero-size pointer in the region headed by @head. */
void zero_size_free(const struct kz_page *head, void *ptr);

/* How many regions there are, and how many zero-size pointers are live. */
void zero_size_stats(size_t *regions, size_t *live);

/* The regions' lock, for the lock-order table (init.c); @i is ignored. */
pthread_mutex_t *zero_size_lock(unsigned i);

#endif /* KZ_ZERO_SIZE_H */
