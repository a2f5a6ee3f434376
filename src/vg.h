/*
 * vg.h - kzmalloc's heap described to Valgrind's memcheck (client requests).
 *
 * Under memcheck (vg_memcheck, found once at start-up by vg_init) threads
 * get no thread cache, so every allocation and free takes the slow paths,
 * and only those call the helpers here. Each helper tests vg_memcheck
 * first: outside memcheck it is one load and a branch never taken, and the
 * fast paths never reach it. Other tools (callgrind, helgrind, DRD) run
 * exactly the code that runs natively.
 *
 * The heap as memcheck sees it:
 *   - an object handed out is a malloc-like block of the size asked for
 *     (which malloc_usable_size then says; see "Exact sizes" below), defined
 *     where kzmalloc promises zero;
 *   - a freed object is a free-like block: inaccessible, its stack kept; it
 *     waits in a quarantine (tcache.c) before its slot is reused;
 *   - free slots, the guard slot between any two objects of a slab, and the
 *     pool's free pages are inaccessible;
 *   - metadata lives outside the pool; the one word of it that can point at
 *     an object's start (a chunk's base) is hidden from the leak checker
 *     while that object lives, so a leaked object is "definitely lost".
 * Built without Valgrind's headers, all of it compiles to nothing.
 */
#ifndef KZ_VG_H
#define KZ_VG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define RUNNING_ON_VALGRIND				     0
#define VALGRIND_GET_VBITS(a, bits, n)			     0
#define VALGRIND_MALLOCLIKE_BLOCK(addr, size, rz, zeroed)    ((void) 0)
#define VALGRIND_FREELIKE_BLOCK(addr, rz)		     ((void) 0)
#define VALGRIND_RESIZEINPLACE_BLOCK(addr, old, new, rz)     ((void) 0)
#define VALGRIND_MAKE_MEM_NOACCESS(addr, len)		     0
#define VALGRIND_MAKE_MEM_DEFINED(addr, len)		     0
#define VALGRIND_MAKE_MEM_UNDEFINED(addr, len)		     0
#define VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(a, n) 0
#define VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(a, n)  0
#endif
#if __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#else
#define VALGRIND_HG_DISABLE_CHECKING(addr, len) ((void) 0)
#endif

/* True under memcheck: set by vg_init before anything else starts, read-only afterwards. */
extern KZ_HIDDEN bool vg_memcheck;

/* Find out whether memcheck runs us: no getenv, no allocation. */
void vg_init(void);

/* An object handed out: a block of @size bytes, defined if kzmalloc promises it zero. */
static inline void vg_alloc(void *obj, size_t size, bool zeroed)
{
	if (unlikely(vg_memcheck))
		VALGRIND_MALLOCLIKE_BLOCK(obj, size, 0, zeroed);
}

/*
 * An object of @room bytes freed: its block (of whatever size memcheck was told) and the rest of
 * its room inaccessible from now on; memcheck remembers where it was freed.
 */
static inline void vg_free(void *obj, size_t room)
{
	if (unlikely(vg_memcheck)) {
		VALGRIND_FREELIKE_BLOCK(obj, 0);
		(void) VALGRIND_MAKE_MEM_NOACCESS(obj, room);
	}
}

/* An object resized where it is. */
static inline void vg_resize(void *obj, size_t old_size, size_t new_size)
{
	if (unlikely(vg_memcheck))
		VALGRIND_RESIZEINPLACE_BLOCK(obj, old_size, new_size, 0);
}

/* Memory the program must not touch: free slots, guard slots, free pages. */
static inline void vg_noaccess(const void *addr, size_t len)
{
	if (unlikely(vg_memcheck))
		(void) VALGRIND_MAKE_MEM_NOACCESS(addr, len);
}

/* Memory the program may use but whose bytes it must not rely on. */
static inline void vg_undefined(const void *addr, size_t len)
{
	if (unlikely(vg_memcheck))
		(void) VALGRIND_MAKE_MEM_UNDEFINED(addr, len);
}

/* Memory that is zero and usable (pages leaving the pool, a mapping grown in place). */
static inline void vg_defined(const void *addr, size_t len)
{
	if (unlikely(vg_memcheck))
		(void) VALGRIND_MAKE_MEM_DEFINED(addr, len);
}

/*
 * Exact sizes. kzmalloc hands out whole class objects, runs and mappings
 * (their room) and the backends tell memcheck so; memcheck's own
 * allocator describes a block at the size the program asked for. So, under
 * memcheck, the API layer tells it that size and keeps it on the side (a
 * table in vg.c, empty outside memcheck): a leak of malloc(777) is 777
 * bytes, a write at byte 777 is reported, and malloc_usable_size says 777.
 * Before kzmalloc frees or resizes the block it makes the rest of the room
 * writable again (vg_free_exact, vg_alloc_whole), so that its own accesses
 * there are no errors.
 */

/* Under memcheck: @obj, told at @room bytes, is a block of @size, the rest no-access. */
void vg_alloc_exact(void *obj, size_t room, size_t size);

/*
 * Under memcheck, before kzmalloc frees @obj: its size is forgotten and the rest of its @room is
 * writable for the clear on free, while the block stays the size asked for, which memcheck's
 * record of the freed block then says.
 */
void vg_free_exact(void *obj, size_t room);

/*
 * Under memcheck, before kzmalloc resizes @obj where it is: its block is its whole @room again
 * (the rest defined if @zeroed), as the backends know it, and the size asked for is forgotten.
 */
void vg_alloc_whole(void *obj, size_t room, bool zeroed);

/* Under memcheck: the size @obj was asked for, or @room if none is recorded. */
size_t vg_requested_size(const void *obj, size_t room);

/* The size table's lock, for the lock-order table (init.c); @i is ignored. */
pthread_mutex_t *vg_sizes_lock(unsigned i);

/*
 * A metadata word holding the address of a live object's start would make
 * the leak checker count the object reachable: while @obj lives, @word is
 * hidden from it if it points there (the leak checker skips ignored ranges;
 * kzmalloc's own accesses to the word stay as fast as ever).
 */
static inline void vg_hide_ptr(const uintptr_t *word, const void *obj)
{
	if (unlikely(vg_memcheck) && *word == (uintptr_t) obj)
		(void) VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(word, sizeof(*word));
}

/* @obj is freed: the word is seen again. */
static inline void vg_show_ptr(const uintptr_t *word, const void *obj)
{
	if (unlikely(vg_memcheck) && *word == (uintptr_t) obj)
		(void) VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(word, sizeof(*word));
}

/*
 * A block that kzmalloc causes to be allocated and keeps for good, which
 * only an interior pointer reaches (the purger thread's dynamic TLS vector,
 * which libc allocates): recorded in a static table, so that the leak
 * checker does not count it against the program. Under memcheck only.
 */
void vg_keep(void *block);

/*
 * @addr holds C11 atomics read and written without a lock: helgrind sees plain loads and
 * stores there (it knows locks, not the memory model) and would call every access a race.
 */
static inline void vg_atomics(const void *addr, size_t len)
{
	VALGRIND_HG_DISABLE_CHECKING(addr, len);
}

#endif /* KZ_VG_H */
