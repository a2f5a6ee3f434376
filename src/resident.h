/*
 * resident.h - clearing a freed block where it holds memory and giving
 * the rest back, so that a block the program touched only in part is not
 * made resident by its clearing (large and huge blocks).
 */
#ifndef KZ_RESIDENT_H
#define KZ_RESIDENT_H

#include <stdbool.h>
#include <stddef.h>

#include "page.h"

/* What resident_clear does with the resident pages. */
enum resident_how {
	RESIDENT_MARK,	     /* leave them, marked dirty, for the pool or the purger to clear */
	RESIDENT_CLEAR,	     /* clear them: the calling thread freed the block (hot, most likely) */
	RESIDENT_CLEAR_COLD, /* clear them: the purger, for a block another thread wrote */
};

/*
 * Leave no old data in the @nr_pages pages at @addr without writing a page
 * that holds no memory: the resident ones are cleared, or left as they are
 * (RESIDENT_MARK, only with @pages), the others given back to the OS. With
 * @pages (the descriptors of a page run at @addr) each page's state is set
 * to what the page holds afterwards: PAGE_ZEROED (cleared), PAGE_DIRTY
 * (resident, not cleared) or PAGE_CLEAN (given back). Nothing the OS
 * refuses breaks that promise.
 */
void resident_clear(void *addr, size_t nr_pages, enum resident_how how, struct kz_page *pages);

/*
 * Clear @size bytes at @addr, whole cache lines: with memset if they are
 * likely in this core's cache and fit it, else with non-temporal stores
 * (@cold: another core wrote them, or they are part of a block too large
 * for the cache; resident.c has the numbers).
 */
void resident_zero(void *addr, size_t size, bool cold);

#endif /* KZ_RESIDENT_H */
