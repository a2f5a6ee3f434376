/*
 * vg.c - is memcheck running us? (vg.h says what kzmalloc then does.)
 *
 * RUNNING_ON_VALGRIND is true under every Valgrind tool, callgrind
 * included, whose counts must not change; VALGRIND_GET_VBITS is a request
 * only memcheck answers (with 1), every other tool and the bare CPU with 0.
 * Both are a few instructions, once, at start-up: no getenv, no allocation.
 * No locks: vg_memcheck is written before any other thread can run
 * kzmalloc's code, read-only afterwards.
 */
#include "vg.h"

#include <stdint.h>

bool vg_memcheck;

void vg_init(void)
{
	uint64_t probe = 0, vbits = 0;

	if (RUNNING_ON_VALGRIND)
		vg_memcheck = VALGRIND_GET_VBITS(&probe, &vbits, sizeof(probe)) == 1;
}
