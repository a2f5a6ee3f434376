/*
 * page.h - page descriptors and chunks: the pool's only metadata.
 *
 * A chunk is 2^KZ_MAX_ORDER pages (4 MiB) mapped at an address aligned to
 * its size. Its descriptor holds one struct kz_page per page, out of band:
 * nothing of the pool's lives in the memory it hands out. A descriptor sits
 * in a slot aligned to KZ_CHUNK_DESC_ALIGN, so the chunk of any page
 * descriptor is found by rounding its address down (page_chunk).
 *
 * Block states, read from the first page of each block (the head):
 *   allocated  flags == PG_HEAD, kind says who owns it, nr_pages how many
 *              pages it has (a run of 2^order pages or fewer: the tail of a
 *              rounded-up block goes back to the pool); tails: PG_TAIL and
 *              head = distance back to the head
 *   free       flags == PG_HEAD | PG_FREE, on free_area[order]
 *   purging    flags == PG_HEAD | PG_FREE | PG_ISOLATED, off the lists while
 *              the purger gives its pages back
 *   queued     flags == PG_HEAD | PG_FREE | PG_ZEROING: free, with dirty pages
 *              the purger is to clear (background zeroing), on the pool's
 *              zero queue instead of a free list; it merges like a free
 *              one; clearing adds PG_ISOLATED while the purger has it off
 *              the queue
 *   freeing    flags == PG_HEAD | PG_FREEING: freed by its owner, who must
 *              still undo something before the pool may have it back (a
 *              large run whose guard page the OS would not make accessible
 *              again, or one waiting in the quarantine, large_quarantine.h;
 *              a huge mapping's head so too while it waits there); every
 *              lookup sees it freed, the pool counts it in use
 * Every other page of a free block has flags == 0. A free page's state says
 * whether it reads zero and whether it still holds memory (page_state).
 * An allocated slab's head also carries what kfree needs to find the slot
 * (the slab's base and its class's reciprocal, in place of the free-list
 * links, and its class, in place of head), so that the free path reads one
 * descriptor line before the slot's live byte; the slab layer writes them
 * when it carves the slab, and they are read only while the head says
 * KIND_SLAB. flags, order, head, nr_pages, kind and the free-list links are
 * guarded by the pool lock; a page's state by it while the page is free, and by the
 * allocating thread between the allocation and the block's return.
 */
#ifndef KZ_PAGE_H
#define KZ_PAGE_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kzmalloc.h"
#include "list.h"

#define KZ_PAGE_SHIFT	    12
#define KZ_NR_ORDERS	    (KZ_MAX_ORDER + 1)
#define KZ_CHUNK_PAGES	    (1u << KZ_MAX_ORDER)
#define KZ_CHUNK_SHIFT	    (KZ_PAGE_SHIFT + KZ_MAX_ORDER)
#define KZ_CHUNK_SIZE	    ((size_t) 1 << KZ_CHUNK_SHIFT)
#define KZ_CHUNK_DESC_ALIGN ((size_t) 64 << 10)

static_assert(KZ_PAGE_SIZE == (1UL << KZ_PAGE_SHIFT), "page shift");

enum page_flags {
	PG_HEAD = 1 << 0,     /* first page of a block */
	PG_TAIL = 1 << 1,     /* another page of an allocated block */
	PG_FREE = 1 << 2,     /* the block is free */
	PG_ISOLATED = 1 << 3, /* the free block is off the lists, being purged */
	PG_FREEING = 1 << 4,  /* an allocated block its owner freed, not yet given back */
	PG_ZEROING = 1 << 5,  /* the free block waits on the zero queue (buddy_area.c) */
};

/* Who owns an allocated block. */
enum page_kind {
	KIND_PAGES, /* the page API: kz_alloc_pages */
	KIND_SLAB,  /* a slab; owner is its struct slab */
	KIND_LARGE, /* one large object */
	KIND_HUGE,  /* the head of a huge mapping's descriptor (not a pool page) */
	KIND_ZERO,  /* a no-access region of zero-size pointers (not a pool page); owner: its record
		     */
	KIND_NR,
};

/*
 * What a free page holds. Allocated pages are PAGE_CLEAN, with two
 * exceptions for their owner's use: an allocated head is PAGE_ZEROED if
 * every page of its block was resident when it was handed out (a free that
 * clears the block then knows a memset touches nothing new), and an owner
 * sets each page's state to what it holds just before it gives the block
 * back with BUDDY_MARKED (buddy.h).
 */
enum page_state {
	PAGE_CLEAN,  /* reads zero, holds no memory: fresh, or purged (maybe no-access: buddy.c) */
	PAGE_ZEROED, /* reads zero, still resident: cleared when it was freed */
	PAGE_DIRTY,  /* old data: cleared by the purger, or before it is handed out */
};

struct kz_page {
	union {
		struct kz_list lru; /* free heads: the link in free_area[order] */
		struct { /* slab heads (slab.c): for kfree's slot test (page_slab_slot) */
			const char *base; /* the first object: the block's first byte */
			uint64_t recip;	  /* ceil(2^64 / the class's size) */
		} slab;
	};
	union {
		void *owner; /* allocated heads: the owning layer's record (a slab; a large
				run's guard page, or NULL) */
		struct {
			uint32_t stamp;	      /* ms clock when the block last became free */
			uint16_t nr_resident; /* pages ZEROED or DIRTY: what a purge gives back */
			uint16_t nr_dirty;    /* pages DIRTY: what an allocation must clear */
		} free;
	};
	union {
		uint16_t head;	/* tails: how many pages back the head is */
		uint16_t cls;	/* slab heads: the class */
		uint16_t slack; /* large heads, canary on: the bytes past the request */
	};
	uint16_t nr_pages; /* allocated heads: pages in the block */
	uint8_t order;	   /* heads: the order of the block it came from */
	uint8_t flags;	   /* enum page_flags */
	uint8_t kind;	   /* allocated heads: enum page_kind */
	uint8_t state;	   /* enum page_state */
};

static_assert(sizeof(struct kz_page) == 32, "a page descriptor is half a cache line");

/* The descriptors first: a page's descriptor is chunk + index * 32, nothing to add. */
struct kz_chunk {
	struct kz_page pages[KZ_CHUNK_PAGES];
	uintptr_t base;	     /* address of the chunk's first page */
	size_t size;	     /* KZ_CHUNK_SIZE, or a huge mapping's length */
	size_t guard;	     /* huge: the no-access bytes at the end of size (0 or a page) */
	struct kz_list link; /* in the pool's list of chunks, or of spare descriptors */
};

static_assert(sizeof(struct kz_chunk) <= KZ_CHUNK_DESC_ALIGN, "descriptor fits its slot");

static inline struct kz_chunk *page_chunk(const struct kz_page *page)
{
	return (struct kz_chunk *) ALIGN_DOWN((uintptr_t) page, KZ_CHUNK_DESC_ALIGN);
}

static inline size_t page_index(const struct kz_page *page)
{
	return (size_t) (page - page_chunk(page)->pages);
}

static inline void *page_address(const struct kz_page *page)
{
	return (void *) (page_chunk(page)->base + (page_index(page) << KZ_PAGE_SHIFT));
}

/*
 * flags and kind as one 16-bit value, so that "an allocated head of kind K"
 * is one compare on the free path: page_state16(PG_HEAD, K).
 */
#define page_state16(flags, kind) ((uint16_t) ((flags) | (kind) << 8))

static inline uint16_t page_flags_kind(const struct kz_page *page)
{
	uint16_t v;

	memcpy(&v, &page->flags, sizeof(v));
	return v;
}

static_assert(offsetof(struct kz_page, kind) == offsetof(struct kz_page, flags) + 1,
	      "flags and kind are adjacent");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	      "page_state16: flags in the low byte (x86-64 only; CMakeLists.txt)");

static inline struct kz_page *compound_head(struct kz_page *page)
{
	return (page->flags & PG_TAIL) ? page - page->head : page;
}

/*
 * Mark a run allocated (the kernel's prep_compound_page): a head of @kind
 * with @nr_pages from an order-@order block, and tails that point back to it.
 */
static inline void page_prep_compound(struct kz_page *page, unsigned order, size_t nr_pages,
				      enum page_kind kind)
{
	kz_assert(IS_ALIGNED(page_index(page), (size_t) 1 << order));
	page->flags = PG_HEAD;
	page->order = (uint8_t) order;
	page->kind = (uint8_t) kind;
	page->nr_pages = (uint16_t) nr_pages;
	page->owner = NULL;
	for (size_t i = 1; i < nr_pages; i++) {
		page[i].flags = PG_TAIL;
		page[i].head = (uint16_t) i;
	}
}

/* The smallest order whose block holds @size bytes, 0 for 0 (kz_get_order, the kernel's
 * get_order). */
static inline unsigned page_order(size_t size)
{
	if (size <= KZ_PAGE_SIZE)
		return 0;
	return (unsigned) (64 - __builtin_clzl((size - 1) >> KZ_PAGE_SHIFT));
}

/* @size rounded up to whole pages (the kernel's PAGE_ALIGN); 0 if that wraps. */
static inline size_t page_align(size_t size)
{
	return (size + KZ_PAGE_SIZE - 1) & ~((size_t) KZ_PAGE_SIZE - 1);
}

#endif /* KZ_PAGE_H */
