/*
 * zero_size.c - zero-size pointers in no-access regions (KZMALLOC_CHECK=zero-size; zero_size.h).
 *
 * Owns the regions: chunk-aligned 4 MiB reservations from the OS layer, mapped PROT_NONE and
 * registered in the page map (chunk_register) for the life of the process, each with a
 * record from the metadata arena holding one live bit per 16-byte slot. A region is one
 * KIND_ZERO block, so any address in it finds its record through the page map without being
 * touched. The records form a ring; allocation is next-fit from a cursor that goes round it, so a
 * freed address is handed out again only when the cursor comes round to it (a slot freed just
 * behind the cursor waits for every free slot of the ring ahead of it: 262,143 per region), and a
 * late double free still finds its bit clear. A new region is added only when no region has a
 * free slot that fits; the cursor then starts on it.
 *
 * Invariants: slot 0 of a region (its base, which its descriptor holds) is never handed out;
 * nr_live of a region and of all is the number of bits set; a region's bits are only set or
 * cleared under the lock, and only for slots inside it.
 *
 * Lock: zero.lock guards the ring, the cursor, the bitmaps and the counters. A leaf: the OS
 * layer, the metadata arena and the chunk registry are called with it dropped, so it may be
 * taken under any other lock (init.c's lock order: 9 of 10).
 */
#include "zero_size.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "chunk.h"
#include "meta.h"
#include "os.h"
#include "vg.h"

#define ZERO_SLOTS (KZ_CHUNK_SIZE / ZERO_SIZE_SLOT)
#define ZERO_WORDS (ZERO_SLOTS / 64)

static_assert(ZERO_SLOTS % 64 == 0, "whole bitmap words");
static_assert(ZERO_SIZE_MAX_ALIGN / ZERO_SIZE_SLOT <= ZERO_SLOTS, "an aligned slot in a region");

struct zero_region {
	uint64_t live[ZERO_WORDS]; /* bit i: slot i is handed out and not freed */
	uintptr_t base;		   /* the region's first byte: slot 0 */
	size_t nr_live;
	struct zero_region *next; /* the ring, in order of creation; or the spare list */
};

static struct {
	pthread_mutex_t lock;
	struct zero_region *cur; /* the cursor: where the next search starts (NULL: no region) */
	size_t cur_slot;
	struct zero_region *spare; /* records whose reservation failed, for the next try */
	size_t nr_regions;
	size_t nr_live;
} zero = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The slots of bitmap word @w aligned to @step slots (a power of two); never slot 0. */
static uint64_t slot_mask(size_t w, size_t step)
{
	uint64_t mask;

	if (step >= 64)
		mask = w % (step / 64) ? 0 : 1;
	else
		mask = ~0ull / ((1ull << step) - 1); /* one bit every @step */
	return w ? mask : mask & ~1ull;
}

/* The first free slot of @r in [@from, @to) aligned to @step slots, or ZERO_SLOTS. */
static size_t slot_find(const struct zero_region *r, size_t from, size_t to, size_t step)
{
	for (size_t w = from / 64; w * 64 < to; w++) {
		uint64_t free = ~r->live[w] & slot_mask(w, step);

		if (w == from / 64)
			free &= ~0ull << (from % 64);
		if (to - w * 64 < 64)
			free &= (1ull << (to - w * 64)) - 1;
		if (free)
			return w * 64 + (size_t) __builtin_ctzll(free);
	}
	return ZERO_SLOTS;
}

/* Mark @slot of @r live and move the cursor past it. Lock held. */
static void *slot_take(struct zero_region *r, size_t slot)
{
	r->live[slot / 64] |= 1ull << (slot % 64);
	r->nr_live++;
	zero.nr_live++;
	zero.cur = r;
	zero.cur_slot = slot + 1;
	return (void *) (r->base + slot * ZERO_SIZE_SLOT);
}

/* The next free slot aligned to @step from the cursor on, once round the ring; NULL if none. */
static void *ring_take(size_t step)
{
	struct zero_region *r = zero.cur;
	size_t from = zero.cur_slot, slot;

	if (!r)
		return NULL;
	do {
		if (r->nr_live < ZERO_SLOTS - 1 &&
		    (slot = slot_find(r, from, ZERO_SLOTS, step)) < ZERO_SLOTS)
			return slot_take(r, slot);
		r = r->next;
		from = 0;
	} while (r != zero.cur);
	/* Back at the cursor's region: the slots before the cursor, freed longest ago. */
	if (r->nr_live < ZERO_SLOTS - 1 &&
	    (slot = slot_find(r, 0, zero.cur_slot, step)) < ZERO_SLOTS)
		return slot_take(r, slot);
	return NULL;
}

/*
 * Reserve a region and put it on the ring after the cursor's, with the cursor on it: fresh
 * addresses go first. Called without the lock (mmap is slow); false + ENOMEM if the OS, the
 * metadata arena or the page map refuses, and nothing is kept but the record, for the next try.
 */
static bool region_grow(void)
{
	struct zero_region *r;
	void *base;

	pthread_mutex_lock(&zero.lock);
	r = zero.spare;
	if (r)
		zero.spare = r->next;
	pthread_mutex_unlock(&zero.lock);
	if (!r && !(r = meta_alloc(sizeof(*r), 64)))
		return false;
	base = os_reserve_aligned(KZ_CHUNK_SIZE, KZ_CHUNK_SIZE);
	r->base = (uintptr_t) base;
	if (base && !chunk_register(base, KZ_CHUNK_SIZE, KIND_ZERO, r)) {
		os_unreserve(base, KZ_CHUNK_SIZE);
		base = NULL;
	}
	pthread_mutex_lock(&zero.lock);
	if (!base) {
		r->next = zero.spare;
		zero.spare = r;
	} else {
		r->next = zero.cur ? zero.cur->next : r;
		if (zero.cur)
			zero.cur->next = r;
		zero.cur = r;
		zero.cur_slot = 0;
		zero.nr_regions++;
	}
	pthread_mutex_unlock(&zero.lock);
	if (!base)
		errno = ENOMEM;
	return base != NULL;
}

void *zero_size_alloc(size_t align)
{
	size_t step = align > ZERO_SIZE_SLOT ? align / ZERO_SIZE_SLOT : 1;
	void *p;

	kz_assert(align <= ZERO_SIZE_MAX_ALIGN && !(align & (align - 1)));
	for (;;) {
		pthread_mutex_lock(&zero.lock);
		p = ring_take(step);
		pthread_mutex_unlock(&zero.lock);
		if (p)
			break;
		if (!region_grow())
			return NULL;
	}
	vg_alloc(p, 0, true);
	return p;
}

static size_t slot_of(const struct zero_region *r, const void *ptr)
{
	return ((uintptr_t) ptr - r->base) / ZERO_SIZE_SLOT;
}

bool zero_size_live(const struct kz_page *head, const void *ptr)
{
	const struct zero_region *r = head->owner;
	size_t slot = slot_of(r, ptr);
	bool live;

	if (!IS_ALIGNED(ptr, ZERO_SIZE_SLOT))
		return false;
	pthread_mutex_lock(&zero.lock);
	live = (r->live[slot / 64] >> (slot % 64)) & 1;
	pthread_mutex_unlock(&zero.lock);
	return live;
}

void zero_size_free(const struct kz_page *head, void *ptr)
{
	struct zero_region *r = head->owner;
	size_t slot = slot_of(r, ptr);

	vg_free(ptr, 0);
	pthread_mutex_lock(&zero.lock);
	kz_assert((r->live[slot / 64] >> (slot % 64)) & 1);
	r->live[slot / 64] &= ~(1ull << (slot % 64));
	r->nr_live--;
	zero.nr_live--;
	pthread_mutex_unlock(&zero.lock);
}

void zero_size_stats(size_t *regions, size_t *live)
{
	pthread_mutex_lock(&zero.lock);
	*regions = zero.nr_regions;
	*live = zero.nr_live;
	pthread_mutex_unlock(&zero.lock);
}

pthread_mutex_t *zero_size_lock(unsigned i)
{
	(void) i;
	return &zero.lock;
}
