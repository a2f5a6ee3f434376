/*
 * large.h - objects above the largest class: runs of pages from the pool up
 * to 4 MiB (the unused tail of the rounded-up block stays in the pool);
 * above that they are huge (huge.h). With KZMALLOC_CHECK=guard each ends in
 * a no-access guard page, which the usable size leaves out.
 */
#ifndef KZ_LARGE_H
#define KZ_LARGE_H

#include <stddef.h>
#include <stdint.h>

#include "page.h"

/* Register the shrinker that gives back runs whose guard page was stuck; at start-up. */
void large_init(void);
/* @nr_pages pages (and the guard, which must fit the chunk too) aligned to @align; NULL + ENOMEM.
 */
void *large_alloc(size_t nr_pages, size_t align);
/* Grow a run in place to @nr_pages, zero beyond its old end (realloc); false if the pages after it
 * are not free, or it has a guard page. */
bool large_extend(struct kz_page *head, size_t nr_pages);
/* Free a run; the pages it left for purge (purge.h, purge_notify). */
size_t large_free(struct kz_page *head);

/* A run's pages but its guard page (head->owner, page.h). */
static inline size_t large_usable(const struct kz_page *head)
{
	return ((size_t) head->nr_pages - (head->owner != NULL)) << KZ_PAGE_SHIFT;
}

/*
 * With the canary: the run serves a request of @size bytes; its slack (under a page and the
 * canary's room) is recorded in the head, where no overflow reaches it (canary.h).
 */
static inline void large_set_request(struct kz_page *head, size_t size)
{
	kz_assert(size <= large_usable(head) && large_usable(head) - size <= UINT16_MAX);
	head->slack = (uint16_t) (large_usable(head) - size);
}

/* The request a run with the canary serves (large_set_request). */
static inline size_t large_request(const struct kz_page *head)
{
	return large_usable(head) - head->slack;
}

#endif /* KZ_LARGE_H */
