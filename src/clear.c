/*
 * clear.c - the per-class clear routines behind clear_class.
 *
 * Class sizes are multiples of 16 and objects are 16-byte aligned, so a
 * class of up to 1 KiB is cleared by size/16 aligned SSE2 stores, or by
 * size/32 unaligned AVX2 stores plus one 16-byte store for an odd tail:
 * kmalloc-32 is two instructions and a return, kmalloc-1k thirty-two.
 * Straight-line code beats memset's size dispatch for every class up to
 * there; above it memset (vector loops, then rep stosb) is as good.
 *
 * With the canary each class has its own canary routine too, which knows its class's size, so a
 * routine needs nothing but the object (no page-map walk).
 *
 * With the report on (KZMALLOC_STATS) a counting routine per class stands in front of the chosen
 * one and counts the free (vmstat.h).
 *
 * No state but the tables; no locks (written before any thread allocates, sealed afterwards:
 * KZ_RO_AFTER_INIT).
 */
#include "clear.h"

#include <stdint.h>
#include <string.h>

#include "canary.h"
#include "vmstat.h"

#define CLEAR_INLINE_MAX 1024

KZ_RO_AFTER_INIT object_clear_fn clear_class[KZ_NR_CLASSES];
/* With the report: what clear_count calls, and what each class's routine clears. */
KZ_RO_AFTER_INIT static object_clear_fn clear_counted[KZ_NR_CLASSES];
KZ_RO_AFTER_INIT static uint32_t clear_bytes[KZ_NR_CLASSES];
/* With the canary: CLEAR_WHOLE, else only past the request. */
KZ_RO_AFTER_INIT static bool canary_clears_whole;

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

/*
 * @size, hidden from the compiler: above CLEAR_INLINE_MAX the routines call libc's memset, whose
 * size dispatch is tuned per CPU, rather than the `rep stos` gcc inlines for a constant size
 * (2.5 times slower for 2 KiB on the machines this was measured on: bench/RESULTS.md).
 */
static inline size_t runtime_size(size_t size)
{
	__asm__("" : "+r"(size));
	return size;
}

/* Constant @size: the compiler unrolls these loops into plain stores. */
static inline __attribute__((always_inline)) void clear_sse2(char *p, size_t size)
{
	if (size > CLEAR_INLINE_MAX) {
		memset(p, 0, runtime_size(size));
		return;
	}
#pragma GCC unroll 64
	for (size_t i = 0; i < size / 16; i++)
		((v16 *) p)[i] = (v16){0};
}

static inline __attribute__((always_inline, target("avx2"))) void clear_avx2(char *p, size_t size)
{
	if (size > CLEAR_INLINE_MAX) {
		memset(p, 0, runtime_size(size));
		return;
	}
#pragma GCC unroll 32
	for (size_t i = 0; i < size / 32; i++)
		((v32 *) p)[i] = (v32){0};
	if (size % 32)
		*(v16 *) (p + size - 16) = (v16){0};
}

/*
 * With the canary, every class: check it (free's fast path has only the object; the routine
 * knows its class's size), then clear what the mode clears, and the canary always, so that a
 * freed object holds nothing of kzmalloc's.
 */
static void clear_canary(void *obj, size_t room)
{
	size_t size = canary_check(obj, room, "free");

	if (canary_clears_whole)
		size = 0;
	memset((char *) obj + size, 0, room - size);
	clear_first_word(obj);
}

#define CLEAR_ROUTINES(size, order, cap)                                                           \
	static void clear_sse2_##size(void *obj)                                                   \
	{                                                                                          \
		clear_sse2(obj, size);                                                             \
	}                                                                                          \
	__attribute__((target("avx2"))) static void clear_avx2_##size(void *obj)                   \
	{                                                                                          \
		clear_avx2(obj, size);                                                             \
	}                                                                                          \
	static void clear_canary_##size(void *obj)                                                 \
	{                                                                                          \
		clear_canary(obj, size);                                                           \
	}
KZ_SIZE_CLASSES(CLEAR_ROUTINES)

/*
 * With the report on, every class's routine is a counting one: free's fast path ends in a call
 * through clear_class, so this sees every class object freed, and free pays nothing when the
 * report is off. The class comes from the routine (one per class), the object needs no lookup.
 */
static inline __attribute__((always_inline)) void clear_count(void *obj, size_t cls)
{
	vmstat_class_free(cls);
	clear_counted[cls](obj);
}

#define CLEAR_CLASS_ITEM(size, order, cap) CLEAR_CLASS_##size,
enum { KZ_SIZE_CLASSES(CLEAR_CLASS_ITEM) }; /* each size's class, as a constant */

#define CLEAR_COUNT_ROUTINE(size, order, cap)                                                      \
	static void clear_count_##size(void *obj)                                                  \
	{                                                                                          \
		clear_count(obj, CLEAR_CLASS_##size);                                              \
	}
KZ_SIZE_CLASSES(CLEAR_COUNT_ROUTINE)

#define CLEAR_SSE2_ITEM(size, order, cap)   clear_sse2_##size,
#define CLEAR_AVX2_ITEM(size, order, cap)   clear_avx2_##size,
#define CLEAR_CANARY_ITEM(size, order, cap) clear_canary_##size,
static const object_clear_fn clear_sse2_class[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(CLEAR_SSE2_ITEM)};
static const object_clear_fn clear_avx2_class[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(CLEAR_AVX2_ITEM)};
static const object_clear_fn clear_canary_class[KZ_NR_CLASSES] = {
	KZ_SIZE_CLASSES(CLEAR_CANARY_ITEM)};
#define CLEAR_COUNT_ITEM(size, order, cap) clear_count_##size,
static const object_clear_fn clear_count_class[KZ_NR_CLASSES] = {KZ_SIZE_CLASSES(CLEAR_COUNT_ITEM)};

/* With the report: the counting routines in front of the chosen ones. */
static void clear_count_init(void)
{
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		clear_counted[cls] = clear_class[cls];
		clear_class[cls] = clear_count_class[cls];
	}
}

size_t clear_class_bytes(unsigned cls)
{
	return clear_bytes[cls];
}

void clear_init(enum clear_mode mode, bool canary, bool count)
{
	const object_clear_fn *routines = clear_sse2_class;

	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		routines = clear_avx2_class;
	canary_clears_whole = mode == CLEAR_WHOLE;
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		clear_bytes[cls] = mode == CLEAR_WHOLE	   ? kz_class_size[cls]
				   : mode == CLEAR_NOTHING ? 0
							   : sizeof(uint64_t);
		if (canary)
			clear_class[cls] = clear_canary_class[cls];
		else if (mode == CLEAR_WHOLE)
			clear_class[cls] = routines[cls];
		else
			clear_class[cls] = mode == CLEAR_FIRST_WORD ? clear_first_word : clear_none;
	}
	if (count)
		clear_count_init();
}
