/*
 * vg.c - is memcheck running us? (vg.h says what kzmalloc then does.)
 *
 * RUNNING_ON_VALGRIND is true under every Valgrind tool, callgrind
 * included, whose counts must not change; VALGRIND_GET_VBITS is a request
 * only memcheck answers (with 1), every other tool and the bare CPU with 0.
 * Both are a few instructions, once, at start-up: no getenv, no allocation.
 * No locks: vg_memcheck is written before any other thread can run
 * kzmalloc's code, read-only afterwards (sealed: KZ_RO_AFTER_INIT); vg_kept takes its slots
 * atomically.
 */
#include "vg.h"

#include <stdatomic.h>
#include <stdint.h>

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
