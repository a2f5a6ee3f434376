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

/*
 * Leave no old data in the @nr_pages pages at @addr without writing a page
 * that holds no memory: the resident ones are cleared (@clear) or left as
 * they are for the pool to clear when it hands them out (only with
 * @pages), the others given back to the OS. With @pages (the descriptors
 * of a page run at @addr) each page's state is set to what the page holds
 * afterwards: PAGE_ZEROED (cleared), PAGE_DIRTY (resident, not cleared) or
 * PAGE_CLEAN (given back). Nothing the OS refuses breaks that promise.
 */
void resident_clear(void *addr, size_t nr_pages, bool clear, struct kz_page *pages);

#endif /* KZ_RESIDENT_H */
