/*
 * kmalloc.c - the malloc API layer: the one routing decision, errno, realloc, the aligned
 * variants, the checks that turn heap misuse into a message, and start-up (kz_init) on the slow
 * paths.
 *
 * Which backend serves (size, alignment) is decided once, by kmalloc_route: the kmalloc caches
 * through the thread cache up to 128 KiB, page runs up to 4 MiB (with the guard page, if it is
 * on, inside one chunk), huge mappings above; 0 bytes, with KZMALLOC_CHECK=zero-size, a no-access
 * slot (zero_size.c). The canary's room is added there and nowhere else. What a pointer handed
 * back is comes from the page map alone (chunk, page descriptor, compound head, its kind), and
 * what each kind can do is one table of operations (object_ops): lookup, usable size, free,
 * fits, resize; realloc and free_sized compare the object with the route of the new request.
 *
 * The fast paths (kmalloc and kfree of a class object, in kmalloc_fast.h so that preload/ can
 * inline them) take no lock: a pop or push on the thread's stack, one live byte written; kfree
 * adds the page-map walk and the class's clear routine. A pop that finds the stack empty comes
 * to kmalloc_miss, which starts kzmalloc and the purger thread if wanted before the thread cache
 * refills. Under memcheck no thread has a cache: class objects are handed out one at a time and
 * wait in the quarantine (quarantine.h) when freed. With KZMALLOC_CHECK=quarantine no thread has
 * one either: the miss path and the free slow path, which every allocation and free then
 * reaches, go to the hardening quarantine, which delays and randomizes reuse.
 *
 * With KZMALLOC_STATS the slow paths count what they serve (vmstat.h): page runs, mappings,
 * zero-size pointers and reallocs here, class objects in the pop check's slow branch and the
 * clear routines.
 *
 * Owns no state and no locks. free preserves errno. The free slow path (object_free) is where
 * purge is told what a free left for it, once, after the backend is done and with no lock held
 * (purge.h).
 */
#include "kmalloc.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "buddy.h"
#include "canary.h"
#include "clear.h"
#include "fatal.h"
#include "harden.h"
#include "huge.h"
#include "init.h"
#include "kmalloc_fast.h"
#include "kzmalloc.h"
#include "large.h"
#include "purge.h"
#include "quarantine.h"
#include "vg.h"
#include "vmstat.h"
#include "zero_size.h"

/* The alignment every allocation gets. */
#define KZ_MIN_ALIGN 16

static bool is_power_of_2(size_t x)
{
	return x && !(x & (x - 1));
}

/* The pages that hold @bytes (at least 1), as the page runs count them. */
static size_t pages_of(size_t bytes)
{
	return bytes ? (bytes + KZ_PAGE_SIZE - 1) >> KZ_PAGE_SHIFT : 1;
}

/*
 * The pages of a run for @size bytes: with the canary's room, which with the guard page is none
 * (the canary takes only the slack of the last page: harden_run_canary_room).
 */
static size_t run_pages(size_t size)
{
	return pages_of(size + harden_run_canary_room());
}

/* Which backend serves a request. */
enum route_kind {
	ROUTE_SLAB,  /* a class object; cls */
	ROUTE_SLOT,  /* a class object at an aligned slot; cls, align (kmalloc_slot) */
	ROUTE_LARGE, /* a page run of pages pages (and the guard page, if on) */
	ROUTE_HUGE,  /* a mapping */
	ROUTE_ZERO,  /* a zero-size pointer */
	ROUTE_NOMEM, /* above PTRDIFF_MAX: ENOMEM */
};

struct route {
	enum route_kind kind;
	unsigned cls;
	union {
		size_t pages; /* ROUTE_LARGE */
		size_t align; /* ROUTE_SLOT */
	};
};

/*
 * An aligned request takes an aligned slot of the class its size fits, rather than an object of
 * the first class whose size is a multiple of the alignment, when that class is this many times
 * larger: the object would be cleared whole at free (aligned_alloc(4096, 64) would clear 4 KiB),
 * and the slot, 4 KiB-aligned for instance in every kmalloc-64 page, leaves the rest of its slab
 * to other requests. Below it the thread cache's pop is cheaper than the slot's lock.
 */
#define SLOT_ALIGN_RATIO 4

/*
 * The one routing decision: where @size bytes aligned to @align (a power of two) go, with the
 * settings of now (the callers start kzmalloc first). The block holds @size and the canary's
 * room; a class object's class is the first that fits whose size is a multiple of @align, so
 * that every slot of its slabs is aligned, or, when that class is much larger, the class that
 * fits with an aligned slot of it (SLOT_ALIGN_RATIO; the first from it up with an aligned slot
 * for every @align bytes of slab, so that the request takes no more pages than by the first way;
 * not under memcheck, whose slabs hand out odd slots only); either way an ordinary object of its
 * class afterwards. A page run (run_pages: with the guard page, no room for the canary) with its
 * guard page fits one chunk, else it is a mapping (which has no canary). Inline: with @align
 * constant the class loop folds away.
 */
/* The first class that holds @room whose size is a multiple of @align (KZ_NR_CLASSES: none). */
static inline unsigned aligned_class(size_t room, size_t align)
{
	unsigned cls = size_to_class(room > align ? room : align);

	while (align > KZ_MIN_ALIGN && cls < KZ_NR_CLASSES && kz_class_size[cls] % align)
		cls++;
	return cls;
}

static inline struct route kmalloc_route(size_t size, size_t align)
{
	size_t room = size + harden_canary_room(), pages;

	/* One test for two rare cases: 0, and above PTRDIFF_MAX (negative as a ptrdiff_t). */
	if (unlikely((ptrdiff_t) size <= 0)) {
		if (size)
			return (struct route){.kind = ROUTE_NOMEM};
		if (harden_zero_size() && align <= ZERO_SIZE_MAX_ALIGN)
			return (struct route){.kind = ROUTE_ZERO};
	}
	if (room <= KZ_SMALL_MAX && align <= KZ_PAGE_SIZE) {
		unsigned cls;

		/* Only a room below the alignment can be that much smaller: its class is
		 * kmalloc-align. */
		if (align > KZ_MIN_ALIGN && room * SLOT_ALIGN_RATIO <= align && !vg_memcheck) {
			cls = slab_dense_aligned[__builtin_ctzl(align) - 5][size_to_class(room)];
			if (cls < KZ_NR_CLASSES && SLOT_ALIGN_RATIO * kz_class_size[cls] <= align)
				return (struct route){
					.kind = ROUTE_SLOT, .cls = cls, .align = align};
		}
		cls = aligned_class(room, align);
		if (cls < KZ_NR_CLASSES)
			return (struct route){.kind = ROUTE_SLAB, .cls = cls};
	}
	pages = run_pages(size);
	if (align <= KZ_CHUNK_SIZE && pages + harden_guard() <= KZ_CHUNK_PAGES)
		return (struct route){.kind = ROUTE_LARGE, .pages = pages};
	return (struct route){.kind = ROUTE_HUGE};
}

/*
 * Under memcheck: the object becomes a block, defined for the pop check, and undefined again
 * after it unless kzmalloc promises it zero (with KZMALLOC_INIT=none only its first word is, for
 * kzmalloc's own check).
 */
static void *memcheck_alloc(size_t cls, size_t size)
{
	size_t room = kz_class_size[cls];
	struct tcache_entry e;
	void *obj;

	count_vm_event(VM_TCACHE_MISS);
	if (!slab_refill((unsigned) cls, &e, 1))
		return NULL;
	vg_alloc(e.obj, room, true);
	*e.live = 1;
	obj = harden_pop(cls, e.obj, harden_pop_check, size);
	if (harden_init_none())
		vg_undefined(obj, room);
	vg_alloc_exact(obj, room, size);
	return obj;
}

void *kmalloc_miss(size_t cls, size_t size)
{
	kz_init();
	purge_start_wanted();
	/* A malloc up to 1 KiB made before start-up chose its class by the table of then. */
	if (unlikely(kz_class_size[cls] < size + harden_canary_room()))
		cls = kmalloc_route(size, KZ_MIN_ALIGN).cls;
	if (unlikely(vg_memcheck))
		return memcheck_alloc(cls, size);
	if (harden_quarantine()) {
		count_vm_event(VM_TCACHE_MISS); /* no thread has a cache with the quarantine on */
		return quarantine_alloc(cls, size);
	}
	return tcache_refill(cls, size);
}

/*
 * An object of class @cls at an address aligned to @align, for @size bytes: one the thread freed
 * last, or a slot taken from the slabs. Afterwards an ordinary object of its class.
 */
__attribute__((noinline)) static void *kmalloc_slot(size_t cls, size_t size, size_t align)
{
	struct tcache_entry e;
	void *obj = tcache_pop_aligned(cls, size, align);

	if (obj)
		return obj;
	count_vm_event(VM_TCACHE_MISS);
	if (!slab_alloc_aligned((unsigned) cls, align, &e))
		return NULL;
	if (harden_quarantine())
		return quarantine_reuse(cls, e, size);
	*e.live = 1;
	return harden_pop(cls, e.obj, harden_pop_check, size);
}

/* With the canary: a run @p serves @size bytes, the rest of its pages is canary (large.h). */
static void run_arm(void *p, size_t size)
{
	struct kz_page *head = pagemap_page(p);

	large_set_request(head, size);
	canary_arm(p, large_usable(head), size);
}

/* A page run, mapping or zero-size pointer handed out: counted here (class objects by the pop). */
static void *count_alloc(void *p, size_t size)
{
	if (p) {
		count_vm_event(VM_MALLOC);
		count_vm_events(VM_BYTES_REQUESTED, size);
	}
	return p;
}

/* Under memcheck, the live object @p (told at its room) is a block of @size bytes. */
static void *memcheck_exact(void *p, size_t size)
{
	if (unlikely(vg_memcheck) && p)
		vg_alloc_exact(p, kmalloc_room(p), size);
	return p;
}

/* Serve @size bytes aligned to @align by route @r (kzmalloc started). */
static void *alloc_routed(struct route r, size_t size, size_t align)
{
	void *p;

	if (likely(r.kind == ROUTE_SLAB))
		return kmalloc_class(r.cls, size);
	if (r.kind == ROUTE_SLOT)
		return kmalloc_slot(r.cls, size, r.align);
	purge_start_wanted();
	switch (r.kind) {
	case ROUTE_LARGE:
		p = large_alloc(r.pages, align);
		if (p && harden_canary())
			run_arm(p, size);
		return count_alloc(memcheck_exact(p, size), size);
	case ROUTE_HUGE:
		return count_alloc(memcheck_exact(huge_alloc(size, align), size), size);
	case ROUTE_ZERO:
		return count_alloc(zero_size_alloc(align), size);
	default:
		errno = ENOMEM;
		return NULL;
	}
}

/* kmalloc_slow's other cases: before start-up, 0, page runs, mappings, ENOMEM. */
__attribute__((noinline)) static void *kmalloc_routed(size_t size)
{
	kz_init();
	return alloc_routed(kmalloc_route(size, KZ_MIN_ALIGN), size, KZ_MIN_ALIGN);
}

/*
 * Above 1 KiB, and 0 (size - 1 wraps). Out of line, so that calloc's fast path stays short. A
 * class object, the common case, is kmalloc_route's first answer for the minimum alignment:
 * taken here by table, without building the route, and without a stack frame.
 */
__attribute__((noinline)) void *kmalloc_slow(size_t size)
{
	size_t room = size + harden_canary_room();

	if (likely(kz_is_ready() && size - 1 < KZ_SMALL_MAX - harden_canary_room()))
		return kmalloc_class(kz_class_of_medium[(room - 1) >> KZ_MEDIUM_SHIFT], size);
	return kmalloc_routed(size);
}

/* Alignments above KZ_MIN_ALIGN (a power of two). */
static void *alloc_aligned(size_t size, size_t align)
{
	kz_init();
	return alloc_routed(kmalloc_route(size, align), size, align);
}

void *kmalloc(size_t size)
{
	return kmalloc_fast(size);
}

/* What a pointer handed back to us is. */
struct object {
	const struct object_ops *ops; /* its kind's */
	struct kz_page *head;
	struct slab *slab; /* KIND_SLAB */
	size_t slot;	   /* KIND_SLAB */
	size_t room;	   /* the bytes of its class, page run or mapping */
	size_t usable;	   /* room, or with a canary the request's size */
};

/*
 * What each kind of block can do, for the slow paths; a new backend is one more row. lookup
 * checks that @ptr is the start of a live object of the kind (or stops the process for @func,
 * with @freed the word for a freed one) and gives its room; release frees it and gives the pages
 * left for purge; fits says whether it could be what the request routed @r of @size bytes
 * returned (free_sized: a mapping may be longer than asked); resize keeps it where it is for
 * @size bytes when the new request's route is its own, or gives NULL (realloc moves it); canary,
 * for the kinds that carry one when it is on, checks it and gives the request's size.
 */
struct object_ops {
	size_t (*lookup)(void *ptr, const char *func, const char *freed, struct object *obj);
	size_t (*release)(void *ptr, const struct object *obj);
	bool (*same_route)(const struct object *obj, struct route r);
	bool (*fits)(const struct object *obj, struct route r, size_t size);
	void *(*resize)(void *ptr, const struct object *obj, size_t size);
	size_t (*canary)(const void *ptr, const struct object *obj, const char *func);
};

/* What a pointer inside an object is called: no allocation is less than 16-byte aligned. */
static const char *inside(const void *ptr)
{
	return IS_ALIGNED(ptr, KZ_MIN_ALIGN) ? "interior pointer" : "unaligned pointer";
}

static bool route_fits(const struct object *obj, struct route r, size_t size)
{
	(void) size;
	return obj->ops->same_route(obj, r);
}

/* A class object or page run keeps its place: its canary moves, what it uncovers reads zero. */
static void *resize_in_place(void *ptr, const struct object *obj, size_t size)
{
	if (harden_canary()) {
		if (size > obj->usable)
			memset((char *) ptr + obj->usable, 0, size - obj->usable);
		canary_arm(ptr, obj->room, size);
	}
	return ptr;
}

/* A class object's canary records its size. */
static size_t slab_canary(const void *ptr, const struct object *obj, const char *func)
{
	return canary_check(ptr, obj->room, func);
}

static void *no_resize(void *ptr, const struct object *obj, size_t size)
{
	(void) ptr, (void) obj, (void) size;
	return NULL;
}

static size_t slab_lookup(void *ptr, const char *func, const char *freed, struct object *obj)
{
	obj->slab = obj->head->owner;
	if (!slab_slot(obj->slab, ptr, &obj->slot) || obj->slot >= slab_objects(obj->slab->cls))
		kz_fatal(func, inside(ptr), ptr);
	if (obj->slab->live[obj->slot] != 1)
		kz_fatal(func, freed, ptr);
	return kz_class_size[obj->slab->cls];
}

/*
 * A class object's free once it is known live (by the lookup, or by kfree_fast): cleared, then
 * cached by the thread; under memcheck, told and quarantined; with KZMALLOC_CHECK=quarantine,
 * quarantined. The pages that left the pool.
 */
static size_t slab_release(struct slab *slab, void *ptr, uint8_t *live)
{
	unsigned cls = slab->cls;

	*live = 0;
	if (unlikely(vg_memcheck)) {
		vg_free_exact(ptr, kz_class_size[cls]);
		clear_class[cls](ptr);
		vg_free(ptr, kz_class_size[cls]);
		return quarantine_add(cls, (struct tcache_entry){ptr, live});
	}
	clear_class[cls](ptr);
	if (harden_quarantine())
		return quarantine_free(cls, (struct tcache_entry){ptr, live});
	return tcache_free(cls, ptr, live);
}

static size_t slab_free(void *ptr, const struct object *obj)
{
	return slab_release(obj->slab, ptr, &obj->slab->live[obj->slot]);
}

void kfree_full(struct slab *slab, void *ptr, uint8_t *live)
{
	int saved_errno = errno;

	purge_notify(slab_release(slab, ptr, live));
	errno = saved_errno;
}

static bool slab_same_route(const struct object *obj, struct route r)
{
	return (r.kind == ROUTE_SLAB || r.kind == ROUTE_SLOT) && r.cls == obj->slab->cls;
}

static size_t large_lookup(void *ptr, const char *func, const char *freed, struct object *obj)
{
	(void) freed;
	if (page_address(obj->head) != ptr)
		kz_fatal(func, inside(ptr), ptr);
	return large_usable(obj->head);
}

static size_t large_object_free(void *ptr, const struct object *obj)
{
	if (unlikely(vg_memcheck))
		vg_free_exact(ptr, obj->room);
	count_vm_event(VM_FREE);
	return large_free(obj->head);
}

/* realloc: a run may stay where it is for any run's size (large_object_resize decides). */
static bool large_same_route(const struct object *obj, struct route r)
{
	(void) obj;
	return r.kind == ROUTE_LARGE;
}

/* free_sized: the request took exactly this many pages. */
static bool large_fits(const struct object *obj, struct route r, size_t size)
{
	(void) size;
	return r.kind == ROUTE_LARGE && r.pages == obj->room >> KZ_PAGE_SHIFT;
}

/* A run's head records the request's size: its canary may have no word (canary.h). */
static size_t large_canary(const void *ptr, const struct object *obj, const char *func)
{
	size_t size = large_request(obj->head);

	canary_verify(ptr, obj->room, size, func);
	return size;
}

/*
 * As many pages: in place. More: in place if the pages after it are free (never with a guard
 * page). Fewer: moved (NULL).
 */
static void *large_object_resize(void *ptr, const struct object *obj, size_t size)
{
	size_t pages = run_pages(size), have = obj->room >> KZ_PAGE_SHIFT;
	struct object grown = *obj;

	if (pages < have || (pages > have && !large_extend(obj->head, pages)))
		return NULL;
	grown.room = large_usable(obj->head);
	if (harden_canary())
		large_set_request(obj->head, size);
	return resize_in_place(ptr, &grown, size);
}

static size_t huge_lookup(void *ptr, const char *func, const char *freed, struct object *obj)
{
	(void) freed;
	if (page_chunk(obj->head)->base != (uintptr_t) ptr)
		kz_fatal(func, inside(ptr), ptr);
	return huge_usable(page_chunk(obj->head));
}

static size_t huge_object_free(void *ptr, const struct object *obj)
{
	if (unlikely(vg_memcheck))
		vg_free_exact(ptr, obj->room);
	count_vm_event(VM_FREE);
	return huge_free(page_chunk(obj->head));
}

static bool huge_same_route(const struct object *obj, struct route r)
{
	(void) obj;
	return r.kind == ROUTE_HUGE;
}

/* A mapping may be longer than asked: reused from the cache, or a shrink the OS refused. */
static bool huge_fits(const struct object *obj, struct route r, size_t size)
{
	return r.kind == ROUTE_HUGE && pages_of(size) << KZ_PAGE_SHIFT <= obj->room;
}

/* In place or by moving the pages (no copy); NULL if neither works. */
static void *huge_object_resize(void *ptr, const struct object *obj, size_t size)
{
	(void) ptr;
	return huge_resize(page_chunk(obj->head), size);
}

/* Every aligned address of a region is a slot's start: handed out, or free. */
static size_t zero_lookup(void *ptr, const char *func, const char *freed, struct object *obj)
{
	if (!IS_ALIGNED(ptr, ZERO_SIZE_SLOT))
		kz_fatal(func, inside(ptr), ptr);
	if (!zero_size_live(obj->head, ptr))
		kz_fatal(func, freed, ptr);
	return 0;
}

static size_t zero_object_free(void *ptr, const struct object *obj)
{
	count_vm_event(VM_FREE);
	zero_size_free(obj->head, ptr);
	return 0;
}

static bool zero_same_route(const struct object *obj, struct route r)
{
	(void) obj;
	return r.kind == ROUTE_ZERO;
}

/* A zero-size pointer is what any request of 0 bytes may have returned. */
static bool zero_fits(const struct object *obj, struct route r, size_t size)
{
	(void) obj, (void) r;
	return size == 0;
}

/* A block of the page API, or a kind malloc never hands out. */
static size_t pages_lookup(void *ptr, const char *func, const char *freed, struct object *obj)
{
	(void) freed, (void) obj;
	kz_fatal(func, "pointer not from malloc", ptr);
}

static const struct object_ops object_ops[KIND_NR] = {
	[KIND_PAGES] = {.lookup = pages_lookup},
	[KIND_SLAB] = {slab_lookup, slab_free, slab_same_route, route_fits, resize_in_place,
		       slab_canary},
	[KIND_LARGE] = {large_lookup, large_object_free, large_same_route, large_fits,
			large_object_resize, large_canary},
	[KIND_HUGE] = {huge_lookup, huge_object_free, huge_same_route, huge_fits,
		       huge_object_resize, NULL},
	[KIND_ZERO] = {zero_lookup, zero_object_free, zero_same_route, zero_fits, no_resize, NULL},
};

/*
 * Identify @ptr for @func (which frees it if @freeing), or stop the process with the one-line
 * message: not ours, inside an object rather than at its start, already free, or a block of the
 * page API. Never reads the memory @ptr points to before it knows @ptr is a live object; then
 * checks its canary, if it has one.
 */
static void object_lookup(void *ptr, const char *func, bool freeing, struct object *obj)
{
	const char *freed = freeing ? "double free" : "pointer to freed memory";
	struct kz_page *page = pagemap_page(ptr);
	struct kz_page *head;

	if (!page)
		kz_fatal(func, "pointer not from kzmalloc", ptr);
	head = compound_head(page);
	*obj = (struct object){.head = head};
	if (head->flags != PG_HEAD)
		kz_fatal(func, freed, ptr);
	obj->ops = &object_ops[head->kind < KIND_NR ? head->kind : KIND_PAGES];
	obj->room = obj->ops->lookup(ptr, func, freed, obj);
	obj->usable =
		obj->ops->canary && harden_canary() ? obj->ops->canary(ptr, obj, func) : obj->room;
	if (unlikely(vg_memcheck)) /* no canary: the size asked for is on the side (vg.h) */
		obj->usable = vg_requested_size(ptr, obj->room);
}

/* Free a looked-up object, then tell purge what that left it, with nothing held. */
static void object_free(void *ptr, const struct object *obj)
{
	int saved_errno = errno;

	purge_notify(obj->ops->release(ptr, obj));
	errno = saved_errno;
}

static void free_slow(void *ptr, const char *func)
{
	struct object obj;

	if (!ptr)
		return;
	object_lookup(ptr, func, true, &obj);
	object_free(ptr, &obj);
}

void kfree_slow(void *ptr)
{
	free_slow(ptr, "free");
}

void kfree(void *ptr)
{
	kfree_fast(ptr);
}

/*
 * Whether @obj could be what an allocation of @size bytes aligned to @align returned: its route
 * is the object's (for a mapping, one it holds); with the canary, which knows the very size, the
 * size it records.
 */
static bool object_fits(const struct object *obj, size_t size, size_t align)
{
	struct route r;

	if (obj->ops->canary && harden_canary())
		return size == obj->usable;
	r = kmalloc_route(size, align);
	if (obj->ops->fits(obj, r, size))
		return true;
	/*
	 * A small aligned request routed to an aligned slot may have been served by the class that
	 * is a multiple of the alignment instead: pvalloc(0) is kmalloc-4k's, as it was before
	 * slots, and it stays so with zero-size, which routes the other aligned requests for 0.
	 */
	if (r.kind != ROUTE_SLOT && !(r.kind == ROUTE_ZERO && align > KZ_MIN_ALIGN))
		return false;
	r = (struct route){.kind = ROUTE_SLAB,
			   .cls = aligned_class(size + harden_canary_room(), align)};
	return r.cls < KZ_NR_CLASSES && obj->ops->fits(obj, r, size);
}

/*
 * object_fits for @align, or for any larger alignment @ptr has: a program may hand free_sized an
 * object it got from memalign (C23 says it may not, glibc lets it), and only the size is wrong
 * if no alignment makes it fit.
 */
static bool object_fits_aligned(const struct object *obj, void *ptr, size_t size, size_t align)
{
	size_t have =
		(uintptr_t) ptr & -(uintptr_t) ptr; /* the largest power of two dividing ptr */

	for (align = align < KZ_MIN_ALIGN ? KZ_MIN_ALIGN : align; align <= have; align *= 2)
		if (object_fits(obj, size, align))
			return true;
	return false;
}

void kfree_checked(void *ptr, size_t size, size_t align, const char *func)
{
	struct object obj;

	if (!ptr)
		return;
	object_lookup(ptr, func, true, &obj);
	if (!is_power_of_2(align) || !IS_ALIGNED(ptr, align))
		kz_fatal(func, "wrong alignment for", ptr);
	if (size > PTRDIFF_MAX || !object_fits_aligned(&obj, ptr, size, align))
		kz_fatal(func, "wrong size for", ptr);
	object_free(ptr, &obj);
}

void kfree_sized(void *ptr, size_t size)
{
	kfree_checked(ptr, size, KZ_MIN_ALIGN, "free_sized");
}

void kfree_aligned_sized(void *ptr, size_t alignment, size_t size)
{
	kfree_checked(ptr, size, alignment, "free_aligned_sized");
}

void *kcalloc(size_t nmemb, size_t size)
{
	size_t total;
	void *p;

	if (!kmalloc_array_size(nmemb, size, &total))
		return NULL;
	p = kmalloc(total);
	/* Class objects are zero already unless KZMALLOC_INIT=none; pages always are. */
	if (p && harden_init_none() && total <= KZ_SMALL_MAX)
		memset(p, 0, total);
	return p;
}

/*
 * realloc of a live class object to a class size, without the canary (which would move) or
 * memcheck (which wants every block told): found by the free fast path's lookup, kept when the
 * size's class is its own, else moved by kmalloc and kfree. NULL to leave it to the general path
 * (which also tells misuse from the other kinds).
 */
static inline void *krealloc_class(void *ptr, size_t size, bool *done)
{
	struct kz_page *page;
	uint8_t *live;
	size_t room;
	void *fresh;

	*done = false;
	if (harden_canary() || vg_memcheck || size - 1 >= KZ_SMALL_MAX)
		return NULL;
	page = slab_object(ptr, &live);
	if (!page)
		return NULL;
	*done = true;
	room = kz_class_size[page->cls];
	if (size_to_class(size) == page->cls)
		return ptr;
	fresh = kmalloc(size);
	if (!fresh)
		return NULL;
	memcpy(fresh, ptr, size < room ? size : room);
	kfree_fast(ptr);
	return fresh;
}

/*
 * The object resized where its kind keeps it, or NULL. Under memcheck the block is whole again
 * while its kind resizes it (as the backends tell memcheck), then the new size, or the old one if
 * it stays as it was.
 */
static void *resize_object(void *ptr, const struct object *obj, size_t size)
{
	void *fresh;

	if (likely(!vg_memcheck))
		return obj->ops->resize(ptr, obj, size);
	vg_alloc_whole(ptr, obj->room, !harden_init_none());
	fresh = obj->ops->resize(ptr, obj, size);
	memcheck_exact(fresh ? fresh : ptr, fresh ? size : obj->usable);
	return fresh;
}

void *krealloc(void *ptr, size_t size)
{
	struct object obj;
	void *fresh;
	bool done;

	if (!ptr)
		return kmalloc(size);
	count_vm_event(VM_REALLOC);
	fresh = krealloc_class(ptr, size, &done);
	if (done)
		return fresh;
	if (size == 0) {
		free_slow(ptr, "realloc");
		return NULL;
	}
	object_lookup(ptr, "realloc", false, &obj);
	if (size > PTRDIFF_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	/* Stay where it is when the request goes where the object is: its class, run or mapping. */
	if (obj.ops->same_route(&obj, kmalloc_route(size, KZ_MIN_ALIGN)) &&
	    (fresh = resize_object(ptr, &obj, size)))
		return fresh;
	fresh = kmalloc(size);
	if (!fresh)
		return NULL;
	memcpy(fresh, ptr, size < obj.usable ? size : obj.usable);
	object_free(ptr, &obj);
	return fresh;
}

void *kreallocarray(void *ptr, size_t nmemb, size_t size)
{
	size_t total;

	if (!kmalloc_array_size(nmemb, size, &total))
		return NULL;
	return krealloc(ptr, total);
}

/* memalign rounds a bad alignment up to a power of two, as glibc does. */
void *kmemalign(size_t alignment, size_t size)
{
	if (alignment <= KZ_MIN_ALIGN)
		return kmalloc(size);
	if (alignment > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (!is_power_of_2(alignment))
		alignment = (size_t) 1 << (64 - __builtin_clzl(alignment));
	return alloc_aligned(size, alignment);
}

void *kaligned_alloc(size_t alignment, size_t size)
{
	return kmemalign(alignment, size);
}

/*
 * posix_memalign answers through its result and leaves errno as it found it,
 * also when it succeeds after an inner step failed and a fallback served.
 */
int kposix_memalign(void **memptr, size_t alignment, size_t size)
{
	int saved_errno = errno;
	int err = 0;
	void *p;

	if (!is_power_of_2(alignment) || alignment % sizeof(void *))
		return EINVAL;
	p = kmemalign(alignment, size);
	if (p)
		*memptr = p;
	else
		err = errno;
	errno = saved_errno;
	return err;
}

void *kvalloc(size_t size)
{
	return kmemalign(KZ_PAGE_SIZE, size);
}

void *kpvalloc(size_t size)
{
	size_t rounded;

	if (!kmalloc_pvalloc_size(size, &rounded))
		return NULL;
	return kmemalign(KZ_PAGE_SIZE, rounded);
}

size_t ksize(void *ptr)
{
	struct object obj;

	if (!ptr)
		return 0;
	object_lookup(ptr, "malloc_usable_size", false, &obj);
	return obj.usable;
}

size_t kmalloc_room(void *ptr)
{
	struct object obj;

	object_lookup(ptr, "malloc_usable_size", false, &obj);
	return obj.room;
}

bool kmalloc_owns(uintptr_t addr)
{
	return pagemap_page((const void *) addr) != NULL;
}

/* The kz_ names of the API are these functions. */
#define KZ_ALIAS(name, impl)                                                                       \
	__typeof(impl) name __attribute__((alias(#impl), visibility("default")))
KZ_ALIAS(kz_malloc, kmalloc);
KZ_ALIAS(kz_calloc, kcalloc);
KZ_ALIAS(kz_realloc, krealloc);
KZ_ALIAS(kz_reallocarray, kreallocarray);
KZ_ALIAS(kz_free, kfree);
KZ_ALIAS(kz_free_sized, kfree_sized);
KZ_ALIAS(kz_free_aligned_sized, kfree_aligned_sized);
KZ_ALIAS(kz_posix_memalign, kposix_memalign);
KZ_ALIAS(kz_aligned_alloc, kaligned_alloc);
KZ_ALIAS(kz_memalign, kmemalign);
KZ_ALIAS(kz_valloc, kvalloc);
KZ_ALIAS(kz_pvalloc, kpvalloc);
KZ_ALIAS(kz_malloc_usable_size, ksize);
