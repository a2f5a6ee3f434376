/*
 * harden.c - the hardening policy decided at start-up (harden.h): the canary on or off, the
 * per-class clear routines, the pop check, and the class table of malloc's fast path, which
 * counts the canary's room; and the pop check's slow branch, where the report counts class
 * allocations (KZMALLOC_STATS sets the pop check's stats bit).
 *
 * Owns harden_pop_check and harden_malloc_class. Invariant: harden_malloc_class[i] is the
 * smallest class that holds i * 16 bytes and the canary's room. Both are written once by
 * harden_init, during start-up, before any thread cache exists; read-only afterwards (sealed:
 * KZ_RO_AFTER_INIT). No locks.
 */
#include "harden.h"

#include <string.h>

#include "canary.h"
#include "clear.h"
#include "fatal.h"
#include "vg.h"
#include "vmstat.h"

KZ_RO_AFTER_INIT uint64_t harden_pop_check;

#define HARDEN_MALLOC_CLASS_ITEM(cls) (cls),
KZ_RO_AFTER_INIT uint8_t harden_malloc_class[1024 / 16 + 1] = {
	KZ_SMALL_CLASSES(HARDEN_MALLOC_CLASS_ITEM)};

/* The pop check, from the settings. */
static uint64_t pop_check_setting(void)
{
	uint64_t check = harden_canary() ? HARDEN_POP_CANARY : 0;

	/* Every pop takes the slow branch, which counts it: nothing on the fast path when off. */
	if (kz_opt.stats)
		check |= HARDEN_POP_STATS;

	if (harden_init_on_alloc())
		return check | HARDEN_POP_CLEAR;
	/* Only objects cleared at free can be checked whole. */
	if (harden_check_full())
		check |= HARDEN_POP_FULL;
	return check;
}

void harden_init(void)
{
	/* memcheck's own redzones serve there, and its blocks are whole objects. */
	canary_init((kz_opt.check & KZ_CHECK_CANARY) && !vg_memcheck);
	clear_init(harden_init_on_free() ? CLEAR_WHOLE
		   : harden_init_none()	 ? CLEAR_FIRST_WORD
					 : CLEAR_NOTHING,
		   harden_canary(), kz_opt.stats);
	for (size_t i = 0; i < ARRAY_SIZE(harden_malloc_class); i++)
		harden_malloc_class[i] = (uint8_t) size_to_class(i * 16 + harden_canary_room());
	harden_pop_check = pop_check_setting();
}

static bool object_is_zero(const void *obj, size_t size)
{
	const uint64_t *w = obj;

	for (size_t i = 0; i < size / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* Every setting but the report alone. */
__attribute__((noinline)) static void *pop_checks(size_t cls, void *obj, size_t size)
{
	uint64_t check = harden_pop_check;
	size_t room = kz_class_size[cls];

	if (check & HARDEN_POP_CLEAR) {
		memset(obj, 0, room);
		count_vm_events(VM_ZEROED_ALLOC, room);
	} else if (!object_is_zero(obj, check & HARDEN_POP_FULL ? room : sizeof(uint64_t)))
		kz_fatal("malloc", "write after free", obj);
	if (check & HARDEN_POP_CANARY)
		canary_arm(obj, room, size);
	if (check & HARDEN_POP_STATS)
		vmstat_class_alloc(cls, size);
	return obj;
}

void *harden_pop_slow(size_t cls, void *obj, size_t size)
{
	/* The report alone: the fast path's check, then the count, with no stack frame. */
	if (likely(harden_pop_check == HARDEN_POP_STATS && !*(const uint64_t *) obj)) {
		vmstat_class_alloc(cls, size);
		return obj;
	}
	return pop_checks(cls, obj, size);
}
