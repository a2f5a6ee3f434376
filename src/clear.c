/*
 * clear.c - the per-class clear routines behind kz_clear_class.
 *
 * Class sizes are multiples of 16 and objects are 16-byte aligned, so a
 * class of up to 1 KiB is cleared by size/16 aligned SSE2 stores, or by
 * size/32 unaligned AVX2 stores plus one 16-byte store for an odd tail:
 * kmalloc-32 is two instructions and a return, kmalloc-1k thirty-two.
 * Straight-line code beats memset's size dispatch for every class up to
 * there; above it memset (vector loops, then rep stosb) is as good.
 *
 * No state but the table; no locks (written before any thread allocates).
 */
#include "clear.h"

#include <stdint.h>
#include <string.h>

#include "canary.h"
#include "pagemap.h"
#include "slab.h"

#define CLEAR_INLINE_MAX 1024

object_clear_fn kz_clear_class[KZ_NR_CLASSES];

typedef char v16 __attribute__((vector_size(16), aligned(16)));
typedef char v32 __attribute__((vector_size(32), aligned(16)));

static void clear_none(void *obj)
{
	(void) obj;
}

static void clear_first_word(void *obj)
{
	*(uint64_t *) obj = 0;
}

/* Constant @size: the compiler unrolls these loops into plain stores. */
static inline __attribute__((always_inline)) void clear_sse2(char *p, size_t size)
{
	if (size > CLEAR_INLINE_MAX) {
		memset(p, 0, size);
		return;
	}
#pragma GCC unroll 64
	for (size_t i = 0; i < size / 16; i++)
		((v16 *) p)[i] = (v16){0};
}

static inline __attribute__((always_inline, target("avx2"))) void clear_avx2(char *p, size_t size)
{
	if (size > CLEAR_INLINE_MAX) {
		memset(p, 0, size);
		return;
	}
#pragma GCC unroll 32
	for (size_t i = 0; i < size / 32; i++)
		((v32 *) p)[i] = (v32){0};
	if (size % 32)
		*(v16 *) (p + size - 16) = (v16){0};
}

#define CLEAR_ROUTINES(size, order, cap)                                                           \
	static void clear_sse2_##size(void *obj)                                                   \
	{                                                                                          \
		clear_sse2(obj, size);                                                             \
	}                                                                                          \
	__attribute__((target("avx2"))) static void clear_avx2_##size(void *obj)                   \
	{                                                                                          \
		clear_avx2(obj, size);                                                             \
	}
KZ_SIZE_CLASSES(CLEAR_ROUTINES)

#define CLEAR_SSE2_ITEM(size, order, cap) clear_sse2_##size,
#define CLEAR_AVX2_ITEM(size, order, cap) clear_avx2_##size,
static const object_clear_fn clear_sse2_class[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(CLEAR_SSE2_ITEM)};
static const object_clear_fn clear_avx2_class[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(CLEAR_AVX2_ITEM)};

/*
 * With the canary, every class: check it (free's fast path has only the object; the page map
 * gives its class), then clear what the mode clears, and the canary always, so that a freed
 * object holds nothing of kzmalloc's.
 */
static void clear_canary(void *obj)
{
	struct slab *slab = compound_head(pagemap_lookup_page(obj))->owner;
	size_t room = kz_class_size[slab->cls], size = canary_check(obj, room, "free");

	if (kz_opt.init == KZ_INIT_FREE)
		size = 0;
	memset((char *) obj + size, 0, room - size);
	clear_first_word(obj);
}

void clear_init(enum kz_init_mode mode)
{
	const object_clear_fn *routines = clear_sse2_class;

	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		routines = clear_avx2_class;
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		if (mode == KZ_INIT_FREE)
			kz_clear_class[cls] = routines[cls];
		else
			kz_clear_class[cls] = mode == KZ_INIT_NONE ? clear_first_word : clear_none;
		if (kz_canary_room)
			kz_clear_class[cls] = clear_canary;
	}
}
