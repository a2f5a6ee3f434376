/*
 * slab.c - the kmalloc caches (the kernel's SLUB, with out-of-band free
 * slots, behind per-thread caches).
 *
 * Owns one struct kmem_cache per class and every struct slab. A slab is a
 * run of 2^order pages from the pool, KIND_SLAB, whose head descriptor's
 * owner points to its struct slab; struct slabs live in the metadata arena,
 * out of reach of an overflowing object, and are recycled per class.
 *
 * Between the thread caches and the slabs, each cache has a shared array (the old SLAB
 * allocator's per-node shared array_cache, tcmalloc's transfer cache): a flush puts its batch
 * there while there is room, and a refill takes from it before it touches a slab. A free on
 * one thread and an allocation on another (a producer and its consumer, a server's request
 * buffers) then hand objects over as whole batches, under a lock held for one copy of a few
 * hundred bytes (the class's lock), and neither writes a slab's free map or its lists. The array
 * holds at most two thread-cache stacks' worth (at most 256 KiB of objects per class); its objects
 * are cached, like a thread cache's: cleared, not live, not free in their slabs.
 *
 * Memory the caches keep goes back when a class goes idle: the slab shrinker (purge.h) drains
 * the shared array of a class untouched since its last look into the slabs, and gives the
 * empty slabs a class keeps for reuse (up to min_partial, as SLUB keeps partial slabs) back
 * to the pool, all but the one spare; kz_trim takes everything.
 *
 * Invariants (cache lock):
 *   - a slab is on the partial list iff nr_free > 0; nr_free == popcount(free_map);
 *   - a slot is set in free_map only if its live byte is 0;
 *   - cache->nr_free is the sum of its slabs' nr_free;
 *   - at most min_partial wholly free slabs per cache stay (against thrash), and empty
 *     slabs come last on the partial list;
 *   - a slab hands out cache->capacity slots: all of them, or under memcheck
 *     only the odd ones (KZ_MEMCHECK_SLOTS, at least one), so that an
 *     inaccessible guard slot lies before and after every object and an
 *     overflow into the next slot is reported.
 *
 *   - the shared array: avail <= limit; every entry is an object of the class, not live.
 *
 * With KZMALLOC_CHECK=quarantine (not under memcheck) a refill takes each slot at a random place
 * in its slab, the first free one from a random slot on (hardened_malloc's choice), so that the
 * addresses a thread gets say nothing about where the next object lies; each cache has its own
 * generator (cache lock), seeded at start-up. The shared array is off then (limit 0): what the
 * quarantine gives back goes to the free maps, where the next refill chooses among it at random.
 *
 * Locks: one mutex per cache, guarding its slabs and its shared array, never two at once (fork
 * takes them all, in class order: init.c's lock order). A refill or flush served by the shared
 * array holds it for one copy. Under a cache's lock
 * the pool may be called to allocate (cache lock -> pool locks), never to free: slabs left
 * empty are released after the lock is dropped, and the pages they give the pool, or that a
 * cache keeps empty past its spare, are returned to the caller, whose free path tells purge
 * (purge.h) once it is done. The shrinker takes the same locks, one at a time.
 */
#include "slab.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "buddy.h"
#include "harden.h"
#include "meta.h"
#include "os.h"
#include "pagemap.h"
#include "purge.h"
#include "vg.h"
#include "vmstat.h"

/* The most entries a shared array holds: two stacks of the largest thread-cache capacity. */
#define SHARED_MAX (2 * KZ_TCACHE_MAX_CAP)

/* Empty slabs a cache keeps for reuse: 64 KiB of them, at least 1, at most 8. */
#define MIN_PARTIAL_PAGES 16
#define MIN_PARTIAL_MAX	  8

struct array_cache {
	unsigned avail;	       /* entries in use (shared_set_avail) */
	unsigned limit;	       /* two of the class's thread-cache stacks, at most SHARED_MAX */
	unsigned long touched; /* refills and flushes that used it */
	unsigned long seen;    /* touched at the shrinker's last look */
	struct tcache_entry entry[SHARED_MAX];
} __attribute__((aligned(64)));

struct kmem_cache {
	pthread_mutex_t lock;
	struct kz_list partial;	    /* slabs with free slots, fullest first; empty ones last */
	struct kz_list spare_slabs; /* struct slabs to reuse */
	size_t nr_slabs;
	size_t nr_free;	       /* free slots in all slabs */
	size_t nr_empty;       /* wholly free slabs (empty_add) */
	unsigned long touched; /* refills and flushes that reached the slabs */
	unsigned long seen;    /* touched at the shrinker's last look */
	uint16_t min_partial;  /* empty slabs kept */
	uint16_t objects;      /* per slab */
	uint16_t capacity;     /* slots handed out per slab: objects, or the odd ones (memcheck) */
	uint16_t pages;	       /* per slab */
	uint16_t meta_size;
	uint64_t rng; /* the random slot choice's generator (slab_random) */
} __attribute__((aligned(64)));

#define KZ_CLASS_ORDER_ITEM(size, order, cap) (order),
static const uint8_t class_order[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(KZ_CLASS_ORDER_ITEM)};

static struct kmem_cache kmalloc_caches[KZ_NR_CLASSES];

/* Refills take slots at random (the quarantine, not under memcheck). Set by slab_init. */
static bool slab_random;
static struct array_cache shared_arrays[KZ_NR_CLASSES];

/*
 * The counts the shrinker's pending test reads without the locks: written under them with
 * relaxed atomic stores, so that the unlocked read is a defined (if stale) one.
 */
static void empty_add(struct kmem_cache *cache, int delta)
{
	__atomic_store_n(&cache->nr_empty, cache->nr_empty + (size_t) (ptrdiff_t) delta,
			 __ATOMIC_RELAXED);
}

static void shared_set_avail(struct array_cache *ac, unsigned avail)
{
	__atomic_store_n(&ac->avail, avail, __ATOMIC_RELAXED);
}

#define KZ_CLASS_SHARED_ITEM(size, order, cap) (2 * (cap)),
static const uint16_t shared_limit[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(KZ_CLASS_SHARED_ITEM)};

#define KZ_SMALL_CLASS_ITEM(cls) (cls),
const uint8_t kz_class_of_small[1024 / 16 + 1] = {KZ_SMALL_CLASSES(KZ_SMALL_CLASS_ITEM)};

/* Filled by slab_init, sealed afterwards (KZ_RO_AFTER_INIT). */
KZ_RO_AFTER_INIT uint8_t slab_dense_aligned[KZ_PAGE_SHIFT - 4][KZ_NR_CLASSES];
KZ_RO_AFTER_INIT uint8_t kz_class_of_medium[KZ_SMALL_MAX >> KZ_MEDIUM_SHIFT];

static size_t slab_scan(bool all);
static bool slab_pending(void);
static const struct shrinker slab_shrinker = {.scan = slab_scan, .pending = slab_pending};

/* The step between the slots of class @cls whose address is a multiple of @align (see below). */
static size_t aligned_step(unsigned cls, size_t align)
{
	size_t size = kz_class_size[cls], low = size & -size;

	return align > low ? align / low : 1;
}

/* Fill slab_dense_aligned, from the largest class down. */
static void slab_dense_init(void)
{
	for (unsigned i = 0; i < KZ_PAGE_SHIFT - 4; i++) {
		size_t align = (size_t) 32 << i;
		unsigned next = KZ_NR_CLASSES;

		for (unsigned cls = KZ_NR_CLASSES; cls-- > 0;) {
			size_t bytes = (size_t) KZ_PAGE_SIZE << class_order[cls];
			size_t objects = KZ_SLAB_OBJECTS(kz_class_size[cls], class_order[cls]);
			size_t step = aligned_step(cls, align);

			if ((objects + step - 1) / step * align >= bytes)
				next = cls;
			slab_dense_aligned[i][cls] = (uint8_t) next;
		}
	}
}

void slab_init(void)
{
	uint64_t seed;

	slab_random = harden_quarantine() && !vg_memcheck;
	seed = slab_random ? os_random_seed() : 0;
	for (size_t i = 1024 >> KZ_MEDIUM_SHIFT; i < ARRAY_SIZE(kz_class_of_medium); i++)
		kz_class_of_medium[i] = (uint8_t) size_to_class((i + 1) << KZ_MEDIUM_SHIFT);
	slab_dense_init();
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		struct kmem_cache *cache = &kmalloc_caches[cls];

		pthread_mutex_init(&cache->lock, NULL);
		list_init(&cache->partial);
		list_init(&cache->spare_slabs);
		cache->pages = (uint16_t) (1u << class_order[cls]);
		cache->objects = (uint16_t) KZ_SLAB_OBJECTS(kz_class_size[cls], class_order[cls]);
		cache->capacity =
			vg_memcheck ? (uint16_t) KZ_MEMCHECK_SLOTS(cache->objects) : cache->objects;
		kz_assert(cache->capacity >= 1); /* size_class.h checks every row for it */
		cache->meta_size = (uint16_t) ALIGN_DOWN(
			offsetof(struct slab, live) + cache->objects + 1 + 15, 16);
		cache->min_partial = (uint16_t) (cache->pages >= MIN_PARTIAL_PAGES
							 ? 1
							 : MIN_PARTIAL_PAGES / cache->pages);
		if (cache->min_partial > MIN_PARTIAL_MAX)
			cache->min_partial = MIN_PARTIAL_MAX;
		/* Read without the locks, by the relaxed atomics above (helgrind knows locks only).
		 */
		vg_atomics(&shared_arrays[cls].avail, sizeof(shared_arrays[cls].avail));
		vg_atomics(&cache->nr_empty, sizeof(cache->nr_empty));
		/* Under memcheck, objects go straight back to their slabs: no second cache. */
		shared_arrays[cls].limit = vg_memcheck || slab_random ? 0 : shared_limit[cls];
		cache->rng = seed ^ (cls * 0xd1b54a32d192ed03ull);
	}
	purge_register(&slab_shrinker);
}

/* A struct slab for class @cls: a recycled one, or a new one from the arena. Cache lock held. */
static struct slab *slab_struct_get(struct kmem_cache *cache)
{
	struct slab *slab;

	if (list_empty(&cache->spare_slabs))
		return meta_alloc(cache->meta_size, 16);
	slab = list_entry(cache->spare_slabs.next, struct slab, lru);
	list_del(&slab->lru);
	return slab;
}

/* Carve a new slab: every slot free, none live. Cache lock held; dropped around the pool. */
static struct slab *slab_new(struct kmem_cache *cache, unsigned cls)
{
	unsigned first = vg_memcheck ? 1 : 0, step = vg_memcheck ? 2 : 1;
	struct kz_page *page;
	struct slab *slab;

	pthread_mutex_unlock(&cache->lock);
	page = buddy_alloc(cache->pages, 0, KIND_SLAB);
	pthread_mutex_lock(&cache->lock);
	if (!page)
		return NULL;
	slab = slab_struct_get(cache);
	if (!slab) {
		pthread_mutex_unlock(&cache->lock);
		buddy_free(page, cache->pages, KIND_SLAB, BUDDY_ZEROED);
		pthread_mutex_lock(&cache->lock);
		errno = ENOMEM;
		return NULL;
	}
	memset(slab, 0, cache->meta_size);
	slab->base = page_address(page);
	slab->page = page;
	slab->cls = (uint8_t) cls;
	slab->size = kz_class_size[cls];
	slab->nr_free = cache->capacity;
	for (unsigned i = first; i < cache->objects; i += step)
		slab->free_map[i / 64] |= (uint64_t) 1 << (i % 64);
	vg_noaccess(slab->base, (size_t) cache->pages << KZ_PAGE_SHIFT);
	page->slab.base = slab->base;
	page->slab.recip = kz_class_recip[cls];
	page->cls = (uint16_t) cls;
	page->owner = slab;
	list_add_tail(&slab->lru, &cache->partial);
	cache->nr_slabs++;
	cache->nr_free += cache->capacity;
	empty_add(cache, 1);
	count_vm_event(VM_SLAB_NEW);
	return slab;
}

/* Up to @want entries off the top of @ac into @out; how many. Cache lock held. */
static size_t shared_take(struct array_cache *ac, struct tcache_entry *out, size_t want)
{
	size_t n = ac->avail < want ? ac->avail : want;

	shared_set_avail(ac, ac->avail - (unsigned) n);
	memcpy(out, &ac->entry[ac->avail], n * sizeof(*out));
	ac->touched++;
	return n;
}

/* Up to @n entries of @in into @ac, as many as it has room for; how many (the first ones of
 * @in). Cache lock held. */
static size_t shared_put(struct array_cache *ac, const struct tcache_entry *in, size_t n)
{
	size_t room = ac->limit - ac->avail;

	if (n > room)
		n = room;
	memcpy(&ac->entry[ac->avail], in, n * sizeof(*in));
	shared_set_avail(ac, ac->avail + (unsigned) n);
	ac->touched++;
	return n;
}

/* Slot @i of @slab, free, into @e: no longer free. Cache lock held. */
static void slab_take_slot(struct kmem_cache *cache, struct slab *slab, unsigned i,
			   struct tcache_entry *e)
{
	slab->free_map[i / 64] &= ~((uint64_t) 1 << (i % 64));
	e->obj = slab->base + (size_t) i * slab->size;
	e->live = &slab->live[i];
	slab->nr_free--;
	cache->nr_free--;
}

/* Up to @want free slots of @slab into @out, in address order; how many. Cache lock held. */
static size_t slab_take_first(struct kmem_cache *cache, struct slab *slab, struct tcache_entry *out,
			      size_t want)
{
	size_t got = 0;

	for (unsigned w = 0; w < KZ_SLAB_MAX_OBJECTS / 64 && got < want; w++)
		while (slab->free_map[w] && got < want)
			slab_take_slot(cache, slab,
				       w * 64 + (unsigned) __builtin_ctzll(slab->free_map[w]),
				       &out[got++]);
	return got;
}

/* The first free slot of @slab at or after slot @start, going round. @slab has one. */
static unsigned slab_free_slot_from(const struct slab *slab, unsigned start)
{
	unsigned w = start / 64;
	uint64_t word = slab->free_map[w] & (UINT64_MAX << (start % 64));

	while (!word) {
		w = (w + 1) % (KZ_SLAB_MAX_OBJECTS / 64);
		word = slab->free_map[w];
	}
	return w * 64 + (unsigned) __builtin_ctzll(word);
}

/*
 * Up to @want free slots of @slab into @out, each the first free one from a random slot on; how
 * many. Cache lock held.
 */
static size_t slab_take_random(struct kmem_cache *cache, struct slab *slab,
			       struct tcache_entry *out, size_t want)
{
	size_t got = 0;

	while (slab->nr_free && got < want)
		slab_take_slot(
			cache, slab,
			slab_free_slot_from(slab, kz_random_below(&cache->rng, cache->objects)),
			&out[got++]);
	return got;
}

size_t slab_refill(unsigned cls, struct tcache_entry *out, size_t want)
{
	struct kmem_cache *cache = &kmalloc_caches[cls];
	size_t got;

	pthread_mutex_lock(&cache->lock);
	got = shared_take(&shared_arrays[cls], out, want);
	if (got == want) {
		pthread_mutex_unlock(&cache->lock);
		return got;
	}
	cache->touched++;
	while (got < want) {
		struct slab *slab;

		if (list_empty(&cache->partial) && !slab_new(cache, cls))
			break;
		slab = list_entry(cache->partial.next, struct slab, lru);
		if (slab->nr_free == cache->capacity)
			empty_add(cache, -1);
		if (unlikely(slab_random))
			got += slab_take_random(cache, slab, out + got, want - got);
		else
			got += slab_take_first(cache, slab, out + got, want - got);
		if (!slab->nr_free)
			list_del(&slab->lru);
	}
	pthread_mutex_unlock(&cache->lock);
	return got;
}

/*
 * The slots of a class-@cls slab whose address is a multiple of @align, as a map like free_map.
 * A slab starts on a page boundary (its block is aligned to its order), so slot i is aligned
 * when i * size is: every step-th slot from 0, step = @align / gcd(size, @align), a power of
 * two.
 */
static void aligned_slots(unsigned cls, size_t align, uint64_t map[KZ_SLAB_MAX_OBJECTS / 64])
{
	size_t step = aligned_step(cls, align);

	for (unsigned w = 0; w < KZ_SLAB_MAX_OBJECTS / 64; w++)
		map[w] = step < 64 ? UINT64_MAX / (((uint64_t) 1 << step) - 1)
				   : (uint64_t) ((w * 64) % step == 0);
}

/* The first free slot of @slab set in @map, or -1. */
static int slab_free_slot_in(const struct slab *slab, const uint64_t *map)
{
	for (unsigned w = 0; w < KZ_SLAB_MAX_OBJECTS / 64; w++)
		if (slab->free_map[w] & map[w])
			return (int) (w * 64 +
				      (unsigned) __builtin_ctzll(slab->free_map[w] & map[w]));
	return -1;
}

/* How many partial slabs an aligned request looks at before it takes an empty one. */
#define ALIGNED_SCAN 8

/*
 * The slab an aligned request takes its slot from: one of the first ALIGNED_SCAN partial slabs
 * (the bound keeps a class whose aligned slots are all taken from being walked whole), else the
 * empty spare at the back, else a new one. Cache lock held; NULL without memory.
 */
static struct slab *slab_for_aligned(struct kmem_cache *cache, unsigned cls, const uint64_t *map)
{
	struct kz_list *pos;
	unsigned scanned = 0;
	struct slab *slab;

	list_for_each(pos, &cache->partial)
	{
		slab = list_entry(pos, struct slab, lru);
		if (slab_free_slot_in(slab, map) >= 0)
			return slab;
		if (++scanned == ALIGNED_SCAN)
			break;
	}
	if (cache->nr_empty) {
		slab = list_entry(cache->partial.prev, struct slab, lru);
		kz_assert(slab->nr_free == cache->capacity);
		return slab;
	}
	return slab_new(cache, cls);
}

bool slab_alloc_aligned(unsigned cls, size_t align, struct tcache_entry *out)
{
	struct kmem_cache *cache = &kmalloc_caches[cls];
	uint64_t map[KZ_SLAB_MAX_OBJECTS / 64];
	struct slab *slab;
	int i;

	aligned_slots(cls, align, map);
	pthread_mutex_lock(&cache->lock);
	slab = slab_for_aligned(cache, cls, map);
	if (!slab) {
		pthread_mutex_unlock(&cache->lock);
		return false;
	}
	i = slab_free_slot_in(slab, map);
	kz_assert(i >= 0 && !vg_memcheck);
	/*
	 * An empty slab taken for one slot goes to the front, so that refills fill the rest of it
	 * before they touch other slabs: the aligned object does not keep a slab to itself.
	 */
	if (slab->nr_free == cache->capacity) {
		empty_add(cache, -1);
		list_del(&slab->lru);
		list_add(&slab->lru, &cache->partial);
	}
	slab->free_map[i / 64] &= ~((uint64_t) 1 << (i % 64));
	slab->nr_free--;
	cache->nr_free--;
	if (!slab->nr_free)
		list_del(&slab->lru);
	pthread_mutex_unlock(&cache->lock);
	out->obj = slab->base + (size_t) i * kz_class_size[cls];
	out->live = &slab->live[i];
	kz_assert(IS_ALIGNED(out->obj, align));
	return true;
}

static size_t slab_release(struct kmem_cache *cache, struct kz_list *empty);

/* The slab of a cached object: its live byte lies in the slab's live array. */
static struct slab *entry_slab(const struct tcache_entry *e)
{
	struct kz_page *page = compound_head(pagemap_page(e->obj));

	return page->owner;
}

/*
 * @n objects of class @cls back to their slabs. Slabs left empty stay, up to min_partial, at the
 * back of the partial list; the others go onto @empty, for slab_release once the lock is dropped.
 * The pages of slabs kept past the spare (the shrinker gives them back once the class is idle).
 * Cache lock held.
 */
static size_t slabs_put(struct kmem_cache *cache, unsigned cls, const struct tcache_entry *in,
			size_t n, struct kz_list *empty)
{
	size_t kept = 0;

	cache->touched++;
	for (size_t k = 0; k < n; k++) {
		struct slab *slab = entry_slab(&in[k]);
		size_t i = (size_t) (in[k].live - slab->live);

		kz_assert(slab->cls == cls && !*in[k].live);
		kz_assert(!(slab->free_map[i / 64] & ((uint64_t) 1 << (i % 64))));
		slab->free_map[i / 64] |= (uint64_t) 1 << (i % 64);
		cache->nr_free++;
		if (slab->nr_free++ == 0)
			list_add(&slab->lru, &cache->partial);
		if (slab->nr_free < cache->capacity)
			continue;
		/* Wholly free: keep up to min_partial, at the back; release the rest. */
		list_del(&slab->lru);
		if (cache->nr_empty < cache->min_partial) {
			list_add_tail(&slab->lru, &cache->partial);
			if (cache->nr_empty)
				kept += cache->pages;
			empty_add(cache, 1);
		} else {
			list_add(&slab->lru, empty);
			cache->nr_slabs--;
			cache->nr_free -= cache->capacity;
		}
	}
	return kept;
}

size_t slab_flush(unsigned cls, const struct tcache_entry *in, size_t n)
{
	struct kmem_cache *cache = &kmalloc_caches[cls];
	size_t put, kept = 0;
	struct kz_list empty;

	list_init(&empty);
	pthread_mutex_lock(&cache->lock);
	put = shared_put(&shared_arrays[cls], in, n);
	if (put < n)
		kept = slabs_put(cache, cls, in + put, n - put, &empty);
	pthread_mutex_unlock(&cache->lock);
	return kept + slab_release(cache, &empty);
}

/*
 * Give wholly free slabs back to the pool (zeroed if every object was cleared on free); the pages
 * given.
 */
static size_t slab_release(struct kmem_cache *cache, struct kz_list *empty)
{
	struct kz_list *pos;
	size_t nr_pages = 0;

	if (list_empty(empty))
		return 0;
	list_for_each(pos, empty)
	{
		struct slab *slab = list_entry(pos, struct slab, lru);

		buddy_free(slab->page, cache->pages, KIND_SLAB,
			   harden_init_on_free() ? BUDDY_ZEROED : BUDDY_DIRTY);
		nr_pages += cache->pages;
	}
	pthread_mutex_lock(&cache->lock);
	while (!list_empty(empty)) {
		struct kz_list *first = empty->next;

		list_del(first);
		list_add(first, &cache->spare_slabs);
	}
	pthread_mutex_unlock(&cache->lock);
	return nr_pages;
}

/*
 * Class @cls's empty slabs past @keep, off the back of its partial list, onto @empty. Cache
 * lock held.
 */
static void slabs_take_empty(struct kmem_cache *cache, size_t keep, struct kz_list *empty)
{
	while (cache->nr_empty > keep) {
		struct kz_list *last = cache->partial.prev;

		kz_assert(list_entry(last, struct slab, lru)->nr_free == cache->capacity);
		list_del(last);
		list_add(last, empty);
		cache->nr_slabs--;
		cache->nr_free -= cache->capacity;
		empty_add(cache, -1);
	}
}

/*
 * The slab shrinker: a class untouched since the last look gets its shared array drained into
 * its slabs, and its empty slabs but the spare go back to the pool (@all: everything, the spare
 * too). Pages go to the pool, whose own scan, after this one, purges them: nothing is purged
 * here.
 */
static size_t slab_scan(bool all)
{
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		struct kmem_cache *cache = &kmalloc_caches[cls];
		struct array_cache *ac = &shared_arrays[cls];
		size_t n = 0, keep;
		struct kz_list empty;
		bool idle;

		list_init(&empty);
		pthread_mutex_lock(&cache->lock);
		if (all || ac->touched == ac->seen) {
			n = ac->avail;
			shared_set_avail(ac, 0);
			if (n) /* its empty slabs are taken below, or on the next look */
				slabs_put(cache, cls, ac->entry, n, &empty);
		}
		ac->seen = ac->touched;
		idle = cache->touched - cache->seen == (n ? 1u : 0u);
		keep = all ? 0 : idle ? 1 : cache->min_partial;
		slabs_take_empty(cache, keep, &empty);
		cache->seen = cache->touched;
		pthread_mutex_unlock(&cache->lock);
		slab_release(cache, &empty);
	}
	return 0;
}

static bool slab_pending(void)
{
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++)
		if (__atomic_load_n(&shared_arrays[cls].avail, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&kmalloc_caches[cls].nr_empty, __ATOMIC_RELAXED) > 1)
			return true;
	return false;
}

void slab_shrink(void)
{
	slab_scan(true);
}

void slab_info(unsigned cls, struct slab_info *info)
{
	struct kmem_cache *cache = &kmalloc_caches[cls];

	pthread_mutex_lock(&cache->lock);
	info->num_slabs = cache->nr_slabs;
	info->num_objs = cache->nr_slabs * cache->capacity;
	/* Out of the slabs, less what waits in the shared array: held, or cached by threads. */
	info->active_objs = info->num_objs - cache->nr_free - shared_arrays[cls].avail;
	pthread_mutex_unlock(&cache->lock);
	info->objs_per_slab = cache->capacity;
	info->pages_per_slab = cache->pages;
}

unsigned slab_objects(unsigned cls)
{
	return kmalloc_caches[cls].objects;
}

pthread_mutex_t *slab_cache_lock(unsigned cls)
{
	return &kmalloc_caches[cls].lock;
}
