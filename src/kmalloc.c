/*
 * kmalloc.c - the malloc API layer: size dispatch, errno, realloc, the
 * aligned variants, and the checks that turn heap misuse into a message.
 *
 * Requests up to 128 KiB go to the kmalloc caches through the thread cache,
 * up to 4 MiB to page runs, above that to huge mappings; 0 bytes, with
 * KZMALLOC_CHECK=zero-size, to a no-access slot (zero_size.c). A pointer handed
 * back is identified through the page map alone: chunk, page descriptor,
 * compound head, its kind, and for a slab the object's slot and live byte.
 *
 * The fast paths (kmalloc and kfree of a class object, in kmalloc_fast.h so
 * that preload/ can inline them) take no lock: a pop or push on the
 * thread's bin, one live byte written; kfree adds the page-map walk and
 * the class's clear routine. Everything else starts here.
 *
 * Owns no state and no locks. free preserves errno. The free slow path
 * (object_free) is where purge is told what a free left for it, once,
 * after the backend is done and with no lock held (purge.h); the
 * allocation slow paths start the purger thread when a free asked for it.
 */
#include "kmalloc.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "buddy.h"
#include "canary.h"
#include "fatal.h"
#include "huge.h"
#include "init.h"
#include "kmalloc_fast.h"
#include "kzmalloc.h"
#include "large.h"
#include "options.h"
#include "purge.h"
#include "zero_size.h"

/* The alignment every allocation gets. */
#define KZ_MIN_ALIGN 16

static bool is_power_of_2(size_t x)
{
	return x && !(x & (x - 1));
}

/*
 * The class an allocation of @size bytes aligned to @align gets: the first that fits whose size
 * is a multiple of @align, so that every slot of its slabs is aligned; KZ_NR_CLASSES for a page
 * run or a mapping.
 */
static size_t alloc_class(size_t size, size_t align)
{
	size_t cls;

	if (align > KZ_PAGE_SIZE || size > KZ_SMALL_MAX)
		return KZ_NR_CLASSES;
	cls = size_to_class(size > align ? size : align);
	while (cls < KZ_NR_CLASSES && kz_class_size[cls] % align)
		cls++;
	return cls;
}

#define KZ_MALLOC_CLASS_ITEM(cls) (cls),
uint8_t kz_malloc_class[1024 / 16 + 1] = {KZ_SMALL_CLASSES(KZ_MALLOC_CLASS_ITEM)};

void kmalloc_init(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(kz_malloc_class); i++)
		kz_malloc_class[i] = (uint8_t) size_to_class(i * 16 + kz_canary_room);
}

/*
 * Anything that is not a class object of at most 16-byte alignment, and every request of 0 bytes:
 * with KZMALLOC_CHECK=zero-size a zero-size pointer if the alignment is at most a page, else the
 * smallest object that has the alignment. With the canary the block holds @size and the
 * canary's room; a huge mapping has no canary.
 */
static void *alloc_slow(size_t size, size_t align)
{
	size_t room, cls;
	void *p;

	kz_init();
	purge_start_wanted();
	/* One test for two rare cases: 0, and above PTRDIFF_MAX (negative as a ptrdiff_t). */
	if (unlikely((ptrdiff_t) size <= 0)) {
		if (size) {
			errno = ENOMEM;
			return NULL;
		}
		if ((kz_opt.check & KZ_CHECK_ZERO_SIZE) && align <= ZERO_SIZE_MAX_ALIGN)
			return zero_size_alloc(align);
	}
	room = size + kz_canary_room;
	cls = alloc_class(room, align);
	if (cls < KZ_NR_CLASSES)
		return tcache_alloc(cls, size);
	if (room > KZ_CHUNK_SIZE || align > KZ_CHUNK_SIZE)
		return huge_alloc(size, align);
	p = large_alloc(room, align);
	/* A page run, unless its guard page made it a mapping (large_alloc). */
	if (p && kz_canary_room && pagemap_page(p)->kind == KIND_LARGE)
		canary_arm(p, large_usable(pagemap_page(p)), size);
	return p;
}

/* Above 1 KiB, and 0 (size - 1 wraps), which alloc_slow decides. */
void *kmalloc_slow(size_t size)
{
	if (likely(size - 1 < KZ_SMALL_MAX - kz_canary_room))
		return tcache_alloc(size_to_class(size + kz_canary_room), size);
	return alloc_slow(size, KZ_MIN_ALIGN);
}

void *kmalloc(size_t size)
{
	return kmalloc_fast(size);
}

/* What a pointer handed back to us is. */
struct object {
	struct kz_page *head;
	struct slab *slab; /* KIND_SLAB */
	size_t slot;	   /* KIND_SLAB */
	size_t room;	   /* the bytes of its class, page run or mapping */
	size_t usable;	   /* room, or with a canary the request's size */
};

/* What a pointer inside an object is called: no allocation is less than 16-byte aligned. */
static const char *inside(const void *ptr)
{
	return IS_ALIGNED(ptr, KZ_MIN_ALIGN) ? "interior pointer" : "unaligned pointer";
}

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
	switch (head->kind) {
	case KIND_SLAB:
		obj->slab = head->owner;
		obj->room = kz_class_size[obj->slab->cls];
		if (!slab_slot(obj->slab, ptr, &obj->slot) ||
		    obj->slot >= slab_objects(obj->slab->cls))
			kz_fatal(func, inside(ptr), ptr);
		if (obj->slab->live[obj->slot] != 1)
			kz_fatal(func, freed, ptr);
		break;
	case KIND_LARGE:
		if (page_address(head) != ptr)
			kz_fatal(func, inside(ptr), ptr);
		obj->room = large_usable(head);
		break;
	case KIND_HUGE:
		if (page_chunk(head)->base != (uintptr_t) ptr)
			kz_fatal(func, inside(ptr), ptr);
		obj->room = obj->usable = huge_usable(page_chunk(head));
		return;
	case KIND_ZERO: /* every aligned address is a slot's start: handed out, or free */
		if (!IS_ALIGNED(ptr, ZERO_SIZE_SLOT))
			kz_fatal(func, inside(ptr), ptr);
		if (!zero_size_live(head, ptr))
			kz_fatal(func, freed, ptr);
		obj->usable = 0;
		return;
	default:
		kz_fatal(func, "pointer not from malloc", ptr);
	}
	obj->usable = kz_canary_room ? canary_check(ptr, obj->room, func) : obj->room;
}

/* Free a looked-up object, then tell purge what that left it, with nothing held. */
static void object_free(void *ptr, const struct object *obj)
{
	int saved_errno = errno;
	size_t nr_pages = 0;

	switch (obj->head->kind) {
	case KIND_SLAB: {
		unsigned cls = obj->slab->cls;

		obj->slab->live[obj->slot] = 0;
		obj->slab->clear(ptr);
		nr_pages = tcache_free(cls, ptr, &obj->slab->live[obj->slot]);
		break;
	}
	case KIND_LARGE:
		nr_pages = large_free(obj->head);
		break;
	default: /* tested last, so that a slab or a large object pays nothing for it */
		if (obj->head->kind == KIND_ZERO)
			zero_size_free(obj->head, ptr);
		else
			nr_pages = huge_free(page_chunk(obj->head));
		break;
	}
	purge_notify(nr_pages);
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
 * Whether @obj could be what an allocation of @size bytes aligned to @align returned: its class,
 * or for a page run its page count (at least one page), or for a mapping a length it holds (a
 * mapping may be longer than asked: reused from the cache, or a shrink the OS refused).
 */
static bool object_fits(const struct object *obj, size_t size, size_t align)
{
	size_t cls = alloc_class(size, align),
	       pages = size ? (size + KZ_PAGE_SIZE - 1) & ~(KZ_PAGE_SIZE - 1) : KZ_PAGE_SIZE;

	/* The canary knows the very size. */
	if (kz_canary_room && (obj->head->kind == KIND_SLAB || obj->head->kind == KIND_LARGE))
		return size == obj->usable;
	switch (obj->head->kind) {
	case KIND_SLAB:
		return cls == obj->slab->cls;
	case KIND_LARGE:
		return cls == KZ_NR_CLASSES && pages == obj->room;
	default: /* KIND_ZERO last, as in object_free */
		if (obj->head->kind == KIND_ZERO)
			return size == 0;
		return cls == KZ_NR_CLASSES && pages <= obj->room;
	}
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

	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	p = kmalloc(total);
	/* Class objects are zero already unless KZMALLOC_INIT=none; pages always are. */
	if (p && kz_opt.init == KZ_INIT_NONE && total <= KZ_SMALL_MAX)
		memset(p, 0, total);
	return p;
}

/* A class object or page run keeps its place: its canary moves, what it uncovers reads zero. */
static void *resize_in_place(void *ptr, const struct object *obj, size_t size)
{
	if (kz_canary_room) {
		if (size > obj->usable)
			memset((char *) ptr + obj->usable, 0, size - obj->usable);
		canary_arm(ptr, obj->room, size);
	}
	return ptr;
}

void *krealloc(void *ptr, size_t size)
{
	struct object obj;
	void *fresh;

	if (!ptr)
		return kmalloc(size);
	if (size == 0) {
		free_slow(ptr, "realloc");
		return NULL;
	}
	object_lookup(ptr, "realloc", false, &obj);
	if (size > PTRDIFF_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	/* Stay where it is when the request still fits the same class or run. */
	if (obj.head->kind == KIND_SLAB && size <= KZ_SMALL_MAX - kz_canary_room &&
	    size_to_class(size + kz_canary_room) == obj.slab->cls)
		return resize_in_place(ptr, &obj, size);
	if (obj.head->kind == KIND_LARGE && size + kz_canary_room > KZ_SMALL_MAX &&
	    (size + kz_canary_room + KZ_PAGE_SIZE - 1) >> KZ_PAGE_SHIFT ==
		    obj.room >> KZ_PAGE_SHIFT)
		return resize_in_place(ptr, &obj, size);
	if (obj.head->kind == KIND_HUGE && size > KZ_CHUNK_SIZE)
		if ((fresh = huge_resize(page_chunk(obj.head), size)))
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

	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
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
	return alloc_slow(size, alignment);
}

void *kaligned_alloc(size_t alignment, size_t size)
{
	return kmemalign(alignment, size);
}

int kposix_memalign(void **memptr, size_t alignment, size_t size)
{
	int saved_errno = errno;
	void *p;

	if (!is_power_of_2(alignment) || alignment % sizeof(void *))
		return EINVAL;
	p = kmemalign(alignment, size);
	if (!p) {
		int err = errno;

		errno = saved_errno;
		return err;
	}
	*memptr = p;
	return 0;
}

void *kvalloc(size_t size)
{
	return kmemalign(KZ_PAGE_SIZE, size);
}

void *kpvalloc(size_t size)
{
	size_t rounded = (size + KZ_PAGE_SIZE - 1) & ~(KZ_PAGE_SIZE - 1);

	if (rounded < size) {
		errno = ENOMEM;
		return NULL;
	}
	return kmemalign(KZ_PAGE_SIZE, rounded ? rounded : KZ_PAGE_SIZE);
}

size_t ksize(void *ptr)
{
	struct object obj;

	if (!ptr)
		return 0;
	object_lookup(ptr, "malloc_usable_size", false, &obj);
	return obj.usable;
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
