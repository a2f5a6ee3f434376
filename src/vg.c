/*
 * vg.c - is memcheck running us? (vg.h says what kzmalloc then does.) And,
 * under memcheck only, the size each live block was asked for.
 *
 * RUNNING_ON_VALGRIND is true under every Valgrind tool, callgrind
 * included, whose counts must not change; VALGRIND_GET_VBITS is a request
 * only memcheck answers (with 1), every other tool and the bare CPU with 0.
 * Both are a few instructions, once, at start-up: no getenv, no allocation.
 *
 * The size table: open addressing, linear probing, a power-of-two number of
 * slots mapped from the OS (never from kzmalloc's heap) and doubled, or
 * rebuilt in place of its tombstones, when half full. A key is the block's
 * address inverted, so that the leak checker, which scans this mapping,
 * never takes it for a pointer to the block. A block the table has no room
 * for (the OS refused a bigger table) is described at its room, as before.
 *
 * Locks: vg_sizes.lock guards the table (a leaf: nothing is taken under
 * it). vg_memcheck is written before any other thread can run kzmalloc's
 * code, read-only afterwards (sealed: KZ_RO_AFTER_INIT); vg_kept takes its
 * slots atomically.
 */
#include "vg.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "kzmalloc.h"
#include "os.h"

KZ_RO_AFTER_INIT bool vg_memcheck;

/* Few: one purger thread per process (and per forked child). A root for the leak checker. */
static void *volatile vg_kept[16]; /* written only: volatile keeps the stores */
static atomic_uint vg_nr_kept;

void vg_keep(void *block)
{
	unsigned i = atomic_fetch_add(&vg_nr_kept, 1);

	if (i < ARRAY_SIZE(vg_kept))
		vg_kept[i] = block;
}

void vg_init(void)
{
	uint64_t probe = 0, vbits = 0;

	if (RUNNING_ON_VALGRIND)
		vg_memcheck = VALGRIND_GET_VBITS(&probe, &vbits, sizeof(probe)) == 1;
}

struct vg_size {
	uintptr_t key; /* ~address; VG_EMPTY or VG_GONE otherwise */
	size_t size;
};

#define VG_EMPTY     ((uintptr_t) 0)
#define VG_GONE	     ((uintptr_t) 1)
#define VG_MIN_SLOTS ((size_t) 4096)

static struct {
	pthread_mutex_t lock;
	struct vg_size *slot;
	size_t mask; /* slots - 1, or 0 before the first block */
	size_t used; /* live keys and tombstones */
	size_t live;
} vg_sizes = {.lock = PTHREAD_MUTEX_INITIALIZER};

static size_t vg_hash(uintptr_t key)
{
	return (size_t) ((key >> 4) * 0x9e3779b97f4a7c15ull >> 20);
}

/* The slot of @key, or the empty one where it would go. */
static struct vg_size *vg_find(struct vg_size *slot, size_t mask, uintptr_t key)
{
	struct vg_size *gone = NULL;

	for (size_t i = vg_hash(key) & mask;; i = (i + 1) & mask) {
		if (slot[i].key == key)
			return &slot[i];
		if (slot[i].key == VG_GONE && !gone)
			gone = &slot[i];
		if (slot[i].key == VG_EMPTY)
			return gone ? gone : &slot[i];
	}
}

/* A table of @slots for the live keys (twice them at least); false if the OS refused. */
static bool vg_rebuild(size_t slots)
{
	struct vg_size *fresh = os_map_aligned(slots * sizeof(*fresh), KZ_PAGE_SIZE);

	if (!fresh)
		return false;
	for (size_t i = 0; vg_sizes.mask && i <= vg_sizes.mask; i++)
		if (vg_sizes.slot[i].key > VG_GONE)
			*vg_find(fresh, slots - 1, vg_sizes.slot[i].key) = vg_sizes.slot[i];
	if (vg_sizes.mask)
		os_unmap(vg_sizes.slot, (vg_sizes.mask + 1) * sizeof(*fresh));
	vg_sizes.slot = fresh;
	vg_sizes.mask = slots - 1;
	vg_sizes.used = vg_sizes.live;
	return true;
}

/* Record that @obj was asked for @size bytes; false if there is no room to. */
static bool vg_size_set(const void *obj, size_t size)
{
	uintptr_t key = ~(uintptr_t) obj;
	struct vg_size *e;
	bool ok = true;

	pthread_mutex_lock(&vg_sizes.lock);
	if (2 * (vg_sizes.used + 1) > vg_sizes.mask + 1) {
		size_t slots = vg_sizes.mask ? vg_sizes.mask + 1 : VG_MIN_SLOTS;

		while (4 * (vg_sizes.live + 1) > slots)
			slots *= 2;
		ok = vg_rebuild(slots);
	}
	if (ok) {
		e = vg_find(vg_sizes.slot, vg_sizes.mask, key);
		if (e->key <= VG_GONE) {
			vg_sizes.used += e->key == VG_EMPTY;
			vg_sizes.live++;
		}
		*e = (struct vg_size){key, size};
	}
	pthread_mutex_unlock(&vg_sizes.lock);
	return ok;
}

/* The size recorded for @obj (forgotten if @forget), or @room if none is. */
static size_t vg_size_get(const void *obj, size_t room, bool forget)
{
	uintptr_t key = ~(uintptr_t) obj;
	struct vg_size *e;

	pthread_mutex_lock(&vg_sizes.lock);
	if (vg_sizes.mask) {
		e = vg_find(vg_sizes.slot, vg_sizes.mask, key);
		if (e->key == key) {
			room = e->size;
			if (forget) {
				e->key = VG_GONE;
				vg_sizes.live--;
			}
		}
	}
	pthread_mutex_unlock(&vg_sizes.lock);
	return room;
}

size_t vg_requested_size(const void *obj, size_t room)
{
	return vg_size_get(obj, room, false);
}

void vg_alloc_exact(void *obj, size_t room, size_t size)
{
	if (size >= room || !vg_size_set(obj, size))
		return;
	if (size) {
		VALGRIND_RESIZEINPLACE_BLOCK(obj, room, size, 0);
		return;
	}
	/* memcheck resizes to no block of 0 bytes: told again, as its malloc(0) is */
	VALGRIND_FREELIKE_BLOCK(obj, 0);
	VALGRIND_MALLOCLIKE_BLOCK(obj, 0, 0, 0);
	(void) VALGRIND_MAKE_MEM_NOACCESS(obj, room);
}

void vg_free_exact(void *obj, size_t room)
{
	size_t size = vg_size_get(obj, room, true);

	if (size < room)
		(void) VALGRIND_MAKE_MEM_UNDEFINED((char *) obj + size, room - size);
}

void vg_alloc_whole(void *obj, size_t room, bool zeroed)
{
	size_t size = vg_size_get(obj, room, true);

	if (size < room) {
		VALGRIND_RESIZEINPLACE_BLOCK(obj, size, room, 0);
		if (zeroed) /* the rest was cleared when it was handed out, and never written */
			(void) VALGRIND_MAKE_MEM_DEFINED((char *) obj + size, room - size);
	}
}

pthread_mutex_t *vg_sizes_lock(unsigned i)
{
	(void) i;
	return &vg_sizes.lock;
}
