/*
 * slab.h - the kmalloc caches: one per size class, each a set of slabs
 * (page blocks from the pool carved into equal objects), feeding the
 * thread caches in batches.
 *
 * Free slots are tracked out of band, never in the objects: a slab's
 * free_map says which slots the slab can hand out, and its live bytes say
 * which objects the program holds. An object in a thread cache is in
 * neither: it is not live, and not free in the slab either.
 */
#ifndef KZ_SLAB_H
#define KZ_SLAB_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "page.h"
#include "size_class.h"

struct slab {
	struct kz_list lru; /* in the cache's partial list while it has free slots */
	char *base;	    /* the first object: the block's first byte */
	struct kz_page *page;
	uint32_t size;	  /* the class's object size */
	uint16_t nr_free; /* slots set in free_map */
	uint8_t cls;
	uint64_t free_map[KZ_SLAB_MAX_OBJECTS / 64]; /* cache lock */
	/*
	 * One byte per slot, 1 while the program holds the object. Bytes are
	 * separate memory locations, so threads that free different objects of
	 * one slab need no atomics; a free of an object that is not live is a
	 * double free (or a pointer never handed out). One byte past the
	 * last slot stays 0, so a pointer at a slot-sized step into the tail
	 * waste fails the live test like any other bad pointer.
	 */
	uint8_t live[];
};

/* An object on its way between a slab and a thread cache, with its live byte. */
struct tcache_entry {
	void *obj;
	uint8_t *live;
};

/* Start-up: the caches, their shared arrays, the slab shrinker. */
void slab_init(void);

/*
 * Up to @want objects of class @cls into @out; how many (0: no memory, errno ENOMEM). With
 * KZMALLOC_CHECK=quarantine each from a random free slot of its slab, else in address order.
 */
size_t slab_refill(unsigned cls, struct tcache_entry *out, size_t want);

/*
 * Per alignment 2^(5 + i) (32 B to a page) and class: the first class from it up whose slabs
 * have an aligned slot for every 2^(5 + i) bytes (so that aligned objects there take no more
 * pages than objects of the alignment's own size would), or KZ_NR_CLASSES. Set by slab_init.
 */
extern KZ_HIDDEN uint8_t slab_dense_aligned[KZ_PAGE_SHIFT - 4][KZ_NR_CLASSES];

/*
 * One object of class @cls whose address is a multiple of @align (a power of two, at most a
 * page), into @out: a free slot at such an address, taken out of band (under the cache lock, not
 * through a thread cache) from one of the first partial slabs that has one, else from an empty
 * slab. false when there is no memory (errno ENOMEM). Not under memcheck, whose slabs hand out
 * only odd slots.
 */
bool slab_alloc_aligned(unsigned cls, size_t align, struct tcache_entry *out);

/*
 * Give @n objects of class @cls back: into the class's shared array while it has room (the
 * next refill, on any thread, takes them from there), the rest to their slabs, where slabs left
 * empty go back to the pool past the few each class keeps. The pages given to the pool or kept
 * empty, for the caller to tell purge (purge_notify).
 */
size_t slab_flush(unsigned cls, const struct tcache_entry *in, size_t n);

/*
 * Drain every shared array into the slabs and give every empty slab back to the pool (kz_trim;
 * the pool's own scan purges them). The slab shrinker (purge.h) does the same, class by class,
 * for classes gone idle, at start-up registered by slab_init.
 */
void slab_shrink(void);

/*
 * The slot @obj would be in, of the slab whose head descriptor is @page, and whether @obj is
 * exactly that slot's start. With recip = ceil(2^64 / size) and an offset below 2^32, the high
 * half of offset * recip is offset / size, and the low half is below recip exactly when size
 * divides the offset (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019):
 * one multiply both divides and checks. Reads the head descriptor only (page.h).
 */
static inline bool page_slab_slot(const struct kz_page *page, const void *obj, size_t *slot)
{
	unsigned __int128 q =
		(unsigned __int128) (uint64_t) ((const char *) obj - page->slab.base) *
		page->slab.recip;

	*slot = (size_t) (q >> 64);
	return (uint64_t) q < page->slab.recip;
}

static inline bool slab_slot(const struct slab *slab, const void *obj, size_t *slot)
{
	return page_slab_slot(slab->page, obj, slot);
}

/* slabinfo: per class. */
struct slab_info {
	size_t active_objs; /* out of the slabs and the shared array: held, or cached by threads */
	size_t num_objs;
	size_t num_slabs;
	unsigned objs_per_slab;
	unsigned pages_per_slab;
};

void slab_info(unsigned cls, struct slab_info *info);
unsigned slab_objects(unsigned cls);

/* Class @cls's cache lock, for the lock-order table (init.c). */
pthread_mutex_t *slab_cache_lock(unsigned cls);

#endif /* KZ_SLAB_H */
