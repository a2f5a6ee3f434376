/*
 * kmalloc_fast.h - kmalloc's and kfree's fast paths, inline, so that the
 * preload layer's malloc and free are these paths themselves rather than a
 * jump to them (kmalloc.c builds the kz_ names from the same code).
 *
 * kmalloc_fast, about 20 instructions: the class of a request of 1 byte to
 * 1 KiB by table (0 wraps round to the slow path, at no cost to the rest), a
 * pop from the thread's stack, the live byte set, the first word checked (a
 * freed object still reads zero). An empty stack goes to kmalloc_miss, the
 * API's miss path, which starts kzmalloc and refills the stack.
 *
 * kfree_fast, about 40 instructions and a clear routine: the page map (two
 * dependent loads; a foreign page reads as an all-zero descriptor), one 16-bit compare for "the
 * head page of an allocated slab" (tail pages take one more hop), one multiply that gives the slot
 * and checks that ptr is its start, the live byte (a double free fails
 * here), a push on the thread's stack, and a tail call to the class's clear
 * routine (a no-op unless KZMALLOC_INIT=free), last, so that nothing needs
 * saving around it. A full stack goes to kfree_full, which flushes it (the
 * object is known live by then). Anything else goes to kfree_slow, which tells misuse
 * from the large, huge and foreign cases.
 *
 * No locks, no atomics beyond the page map's acquire loads (plain loads on
 * x86-64). C only.
 */
#ifndef KZ_KMALLOC_FAST_H
#define KZ_KMALLOC_FAST_H

#include "clear.h"
#include "pagemap.h"
#include "tcache.h"

/* Requests above 1 KiB and every case the fast path does not take. */
void *kmalloc_slow(size_t size);
void kfree_slow(void *ptr);

/*
 * kfree_fast's other miss: @ptr was a live object of @slab, its live byte @live (already 0), but
 * the thread's stack is full (or the thread has no cache). Clears it and flushes through the
 * thread cache.
 */
void kfree_full(struct slab *slab, void *ptr, uint8_t *live);

/*
 * The miss path of a class object: the thread's stack for @cls was empty. Starts kzmalloc (and
 * the purger thread, if a free asked for it), then refills through the thread cache.
 */
void *kmalloc_miss(size_t cls, size_t size);

/* An object of class @cls (routed: it has the canary's room) for a request of @size bytes. */
static inline void *kmalloc_class(size_t cls, size_t size)
{
	void *obj = tcache_pop(cls, size);

	if (unlikely(!obj))
		return kmalloc_miss(cls, size);
	return obj;
}

static inline void *kmalloc_fast(size_t size)
{
	/* 0 wraps round to kmalloc_slow; (size - 1) / 16 + 1 is (size + 15) / 16, from the same
	 * register, so the test costs what size <= 1024 did. */
	if (likely(size - 1 < 1024))
		return kmalloc_class(harden_malloc_class[((size - 1) >> 4) + 1], size);
	return kmalloc_slow(size);
}

/*
 * The head descriptor of the slab whose live object @ptr is, and in @live its live byte; NULL
 * for anything else (kfree_slow and the API's lookup tell misuse from the other kinds).
 */
static inline struct kz_page *slab_object(void *ptr, uint8_t **live)
{
	struct kz_page *page;
	size_t slot;

	if (unlikely(!pagemap_covers(ptr)))
		return NULL;
	page = pagemap_lookup_page(ptr);
	if (unlikely(page_flags_kind(page) != page_state16(PG_HEAD, KIND_SLAB))) {
		page = compound_head(page);
		if (page_flags_kind(page) != page_state16(PG_HEAD, KIND_SLAB))
			return NULL;
	}
	if (unlikely(!page_slab_slot(page, ptr, &slot)))
		return NULL;
	*live = &((struct slab *) page->owner)->live[slot];
	if (unlikely(**live != 1))
		return NULL;
	return page;
}

static inline void kfree_fast(void *ptr)
{
	uint8_t *live;
	struct kz_page *page = slab_object(ptr, &live);
	size_t cls;

	if (unlikely(!page))
		goto slow;
	cls = page->cls;
	*live = 0;
	if (unlikely(!tcache_push(cls, ptr, live))) {
		kfree_full(page->owner, ptr, live);
		return;
	}
	clear_class[cls](ptr);
	return;
slow:
	kfree_slow(ptr);
}

#endif /* KZ_KMALLOC_FAST_H */
