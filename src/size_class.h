/*
 * size_class.h - the kmalloc caches' object sizes: a literal table.
 *
 * Four classes per power of two from 128 B up (the kernel's powers of two
 * plus 96 and 192 waste up to half an object), every one a multiple of 16.
 * The worst case, the smallest request a class serves rounded up to the
 * 16-byte alignment every allocation gets, wastes at most 20% (checked by
 * tests/test_size_class.c, with size_to_class; a raw 33-byte request in kmalloc-48 wastes 31%, but
 * it occupies 48 bytes under any 16-byte-aligned allocator).
 *
 * Columns: size in bytes; slab order (a slab is 2^order pages), chosen so
 * that a slab holds enough objects and its tail wastes at most 1/8 of it
 * (checked below); thread-cache capacity (about 64 KiB of objects).
 * Enough objects means two at least: under memcheck a slab hands out only
 * its odd slots (slab.c), half of them, and must still hand out one.
 */
#ifndef KZ_SIZE_CLASS_H
#define KZ_SIZE_CLASS_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "page.h"

/* X(size, slab order, thread-cache capacity) */
#define KZ_SIZE_CLASSES(X)                                                                         \
	X(32, 0, 128)                                                                              \
	X(48, 0, 128)                                                                              \
	X(64, 0, 128)                                                                              \
	X(80, 0, 128)                                                                              \
	X(96, 0, 128)                                                                              \
	X(112, 0, 128)                                                                             \
	X(128, 0, 128)                                                                             \
	X(160, 0, 128)                                                                             \
	X(192, 0, 128)                                                                             \
	X(224, 0, 128)                                                                             \
	X(256, 0, 128)                                                                             \
	X(320, 0, 128)                                                                             \
	X(384, 0, 128)                                                                             \
	X(448, 0, 128)                                                                             \
	X(512, 0, 128)                                                                             \
	X(640, 1, 96)                                                                              \
	X(768, 1, 80)                                                                              \
	X(896, 1, 72)                                                                              \
	X(1024, 1, 64)                                                                             \
	X(1280, 2, 48)                                                                             \
	X(1536, 2, 40)                                                                             \
	X(1792, 2, 36)                                                                             \
	X(2048, 2, 32)                                                                             \
	X(2560, 3, 24)                                                                             \
	X(3072, 3, 20)                                                                             \
	X(3584, 3, 18)                                                                             \
	X(4096, 3, 16)                                                                             \
	X(5120, 4, 12)                                                                             \
	X(6144, 4, 10)                                                                             \
	X(7168, 4, 9)                                                                              \
	X(8192, 4, 8)                                                                              \
	X(10240, 4, 6)                                                                             \
	X(12288, 4, 5)                                                                             \
	X(14336, 5, 4)                                                                             \
	X(16384, 4, 4)                                                                             \
	X(20480, 5, 3)                                                                             \
	X(24576, 5, 2)                                                                             \
	X(28672, 6, 2)                                                                             \
	X(32768, 5, 2)                                                                             \
	X(40960, 5, 1)                                                                             \
	X(49152, 6, 1)                                                                             \
	X(57344, 7, 1)                                                                             \
	X(65536, 5, 1)                                                                             \
	X(81920, 6, 1)                                                                             \
	X(98304, 7, 1)                                                                             \
	X(114688, 7, 1)                                                                            \
	X(131072, 6, 1)

#define KZ_CLASS_COUNT_ONE(size, order, cap) +1
enum { KZ_NR_CLASSES = 0 KZ_SIZE_CLASSES(KZ_CLASS_COUNT_ONE) };

#define KZ_SMALL_MAX	    131072
#define KZ_SLAB_MAX_OBJECTS 128
#define KZ_TCACHE_MAX_CAP   128

/* Objects in a slab of class @size and @order; those of them handed out under memcheck. */
#define KZ_SLAB_OBJECTS(size, order) ((KZ_PAGE_SIZE << (order)) / (size))
#define KZ_MEMCHECK_SLOTS(objects)   ((objects) / 2)

/* Each row checked: alignment, objects per slab, tail waste, thread-cache bounds. */
#define KZ_CLASS_CHECK(size, order, cap)                                                           \
	static_assert((size) % 16 == 0, "kmalloc-" #size ": a multiple of 16");                    \
	static_assert(KZ_MEMCHECK_SLOTS(KZ_SLAB_OBJECTS(size, order)) >= 1 &&                      \
			      KZ_SLAB_OBJECTS(size, order) <= KZ_SLAB_MAX_OBJECTS,                 \
		      "kmalloc-" #size ": objects per slab (at most 128; under memcheck, half of " \
		      "them, at least one)");                                                      \
	static_assert((KZ_PAGE_SIZE << (order)) % (size) *8 <= (KZ_PAGE_SIZE << (order)),          \
		      "kmalloc-" #size ": slab tail waste at most 1/8");                           \
	static_assert((cap) >= 1 && (cap) <= KZ_TCACHE_MAX_CAP && (cap) * (size) <= (128 << 10),   \
		      "kmalloc-" #size ": thread cache capacity");
KZ_SIZE_CLASSES(KZ_CLASS_CHECK)

/* Per class: the size, and ceil(2^64 / size) to divide offsets by it exactly (slab_slot). */
#define KZ_CLASS_SIZE_ITEM(size, order, cap)  (size),
#define KZ_CLASS_RECIP_ITEM(size, order, cap) (UINT64_MAX / (size) + 1),
static const uint32_t kz_class_size[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(KZ_CLASS_SIZE_ITEM)};
static const uint64_t kz_class_recip[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(KZ_CLASS_RECIP_ITEM)};
static_assert(KZ_NR_CLASSES == 47 && KZ_SMALL_MAX == 131072, "47 classes, up to 128 KiB");

/*
 * The class of every size up to 1 KiB in 16-byte steps, indexed by (size + 15) / 16:
 * size_to_class's fast case. One literal list for the two tables made from it
 * (kz_class_of_small here, and harden_malloc_class's value until start-up, harden.h);
 * tests/test_size_class.c checks
 * every size against the class sizes.
 */
/* clang-format off */
#define KZ_SMALL_CLASSES(X) \
	X(0) X(0) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(7) X(8) X(8) X(9) X(9) X(10) \
	X(10) X(11) X(11) X(11) X(11) X(12) X(12) X(12) X(12) X(13) X(13) X(13) X(13) X(14) X(14) X(14) \
	X(14) X(15) X(15) X(15) X(15) X(15) X(15) X(15) X(15) X(16) X(16) X(16) X(16) X(16) X(16) X(16) \
	X(16) X(17) X(17) X(17) X(17) X(17) X(17) X(17) X(17) X(18) X(18) X(18) X(18) X(18) X(18) X(18) \
	X(18)
/* clang-format on */
extern KZ_HIDDEN const uint8_t kz_class_of_small[1024 / 16 + 1];

/*
 * The class of every size from 1 KiB + 1 to KZ_SMALL_MAX, indexed by (size - 1) >> 8: above
 * 1 KiB every class boundary is a multiple of 256. Filled by slab_init from size_to_class (and
 * checked against it by tests/test_size_class.c); kmalloc's slow path reads it after start-up.
 */
#define KZ_MEDIUM_SHIFT 8
extern KZ_HIDDEN uint8_t kz_class_of_medium[KZ_SMALL_MAX >> KZ_MEDIUM_SHIFT];

/*
 * The class of a request. Up to 1 KiB a table lookup; above, each
 * power-of-two range (2^k, 2^(k+1)] has four classes 2^(k-2) apart, and
 * kmalloc-128 is class 6.
 */
static inline unsigned size_to_class(size_t size)
{
	unsigned k;

	if (size <= 1024)
		return kz_class_of_small[(size + 15) >> 4];
	k = 63 - (unsigned) __builtin_clzl(size - 1);
	return 6 + 4 * (k - 7) + (unsigned) ((size - 1 - ((size_t) 1 << k)) >> (k - 2)) + 1;
}

#endif /* KZ_SIZE_CLASS_H */
