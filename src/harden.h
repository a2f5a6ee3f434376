/*
 * harden.h - the hardening policy: what the settings (KZMALLOC_INIT, KZMALLOC_CHECK) and the
 * tools running us make kzmalloc do, as named predicates in the kernel's want_init_on_free()
 * style. Every layer asks these instead of reading kz_opt's init and check fields.
 *
 * The predicates are static inline over the settings (options.h) and the canary's room
 * (canary.h), both written once during start-up and read-only afterwards, so the hot paths pay
 * one load for them and the layers below the hardening one (slab, large, huge) may use them as
 * they use options.h: they read settings, they call nothing. What is decided once at start-up
 * from them (harden_init: the canary, the clear routines, the pop check, the class table of
 * malloc's fast path) is harden.c's; so is what makes the report's counting free when it is off
 * (the pop check's stats bit, the counting clear routines). No locks.
 */
#ifndef KZ_HARDEN_H
#define KZ_HARDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "canary.h"
#include "options.h"
#include "size_class.h"

/* Freed objects and runs are cleared at once (KZMALLOC_INIT=free, the default). */
static inline bool harden_init_on_free(void)
{
	return kz_opt.init == KZ_INIT_FREE;
}

/* Objects are cleared when they are handed out (KZMALLOC_INIT=alloc). */
static inline bool harden_init_on_alloc(void)
{
	return kz_opt.init == KZ_INIT_ALLOC;
}

/* Neither: only pages from the pool are zero, so calloc clears (KZMALLOC_INIT=none). */
static inline bool harden_init_none(void)
{
	return kz_opt.init == KZ_INIT_NONE;
}

/* A reused object is checked whole, not by its first word (KZMALLOC_CHECK=full, INIT=free). */
static inline bool harden_check_full(void)
{
	return harden_init_on_free() && (kz_opt.check & KZ_CHECK_FULL);
}

/* Large and huge blocks end in a no-access guard page (KZMALLOC_CHECK=guard). */
static inline bool harden_guard(void)
{
	return kz_opt.check & KZ_CHECK_GUARD;
}

/* malloc(0) points into a no-access region (KZMALLOC_CHECK=zero-size). */
static inline bool harden_zero_size(void)
{
	return kz_opt.check & KZ_CHECK_ZERO_SIZE;
}

/*
 * Freed objects and blocks wait in a bounded quarantine before their memory is reused, and are
 * checked when they leave it (KZMALLOC_CHECK=quarantine).
 */
static inline bool harden_quarantine(void)
{
	return kz_opt.check & KZ_CHECK_QUARANTINE;
}

/* Freed large and huge blocks are no-access until handed out again (KZMALLOC_CHECK=protect). */
static inline bool harden_protect(void)
{
	return kz_opt.check & KZ_CHECK_PROTECT;
}

/*
 * The bytes a request needs beyond its size for the end-of-object canary (KZMALLOC_CHECK=canary,
 * not under memcheck): KZ_CANARY_MIN or 0; KZ_CANARY_MIN before start-up (canary.h).
 */
static inline size_t harden_canary_room(void)
{
	return canary_room;
}

/*
 * The room a page run adds for the canary: none with the guard page, so that a linear overflow of
 * a run whose size is a page multiple faults at its first byte past the end; its canary is then
 * only the slack of its last page, fewer than KZ_CANARY_MIN bytes or none (canary.h).
 */
static inline size_t harden_run_canary_room(void)
{
	return harden_guard() ? 0 : canary_room;
}

/* Class objects and page runs carry a canary. */
static inline bool harden_canary(void)
{
	return canary_room != 0;
}

/*
 * The pop check (tcache.h): or-ed with the first word of every class object handed out. 0 by
 * default, so that one test both checks that a freed object still reads zero (a write after
 * free shows up) and lets the other settings branch off to harden_pop_slow.
 */
enum harden_pop {
	HARDEN_POP_CLEAR = 1,  /* KZMALLOC_INIT=alloc: clear the object */
	HARDEN_POP_FULL = 2,   /* KZMALLOC_CHECK=full: check the whole object, not its first word */
	HARDEN_POP_CANARY = 4, /* the canary: fill the object's */
	HARDEN_POP_STATS = 8,  /* KZMALLOC_STATS: count the allocation (vmstat.h) */
};

/* The pop check every thread cache starts with; set by harden_init. */
extern KZ_HIDDEN uint64_t harden_pop_check;

/*
 * The class malloc gives a request up to 1 KiB, indexed by (size + 15) / 16: kz_class_of_small,
 * or with the canary the class of its room more. Set by harden_init (the room is decided there),
 * read-only afterwards; until then kz_class_of_small (the API's miss path fixes a class chosen
 * that early).
 */
extern KZ_HIDDEN uint8_t harden_malloc_class[1024 / 16 + 1];

/*
 * Decide the policy from the settings (after vg_init and options_init, before anything is
 * allocated): the canary, the clear routines (clear.h), the pop check, harden_malloc_class.
 */
void harden_init(void);

/*
 * The pop check's other branch, for @obj of class @cls handed out for a request of @size bytes:
 * clear it, check all of it, or stop the process at a write after free; then arm its canary and
 * count it for the report. Returns @obj.
 */
void *harden_pop_slow(size_t cls, void *obj, size_t size) __attribute__((returns_nonnull));

/* Hand @obj of class @cls out for @size bytes through the pop check @check: one or, one branch. */
static inline void *harden_pop(size_t cls, void *obj, uint64_t check, size_t size)
{
	if (unlikely((*(const uint64_t *) obj | check) != 0))
		return harden_pop_slow(cls, obj, size);
	return obj;
}

#endif /* KZ_HARDEN_H */
