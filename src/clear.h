/*
 * clear.h - clearing freed objects (the zero-on-free promise): one routine
 * per class, chosen once at start-up.
 *
 * The free fast path ends in a tail call through clear_class[cls], the class
 * being in the slab's head descriptor, so the mode costs no test. By default
 * (KZMALLOC_INIT=free) a routine clears the whole object: up to 1 KiB with
 * straight-line stores of exactly the class's size (16-byte SSE2 stores, or
 * 32-byte AVX2 stores where the CPU and the OS have them), above with
 * memset. With KZMALLOC_INIT=none it clears the first word only, which the
 * allocation path checks for a write after free; with =alloc, nothing.
 * With KZMALLOC_CHECK=canary every class's routine checks the canary first
 * (canary.h) and clears it with the rest. With KZMALLOC_STATS a counting routine stands in front
 * of each (vmstat.h): free's fast path needs no test for the report either.
 *
 * Written once by clear_init, during start-up, before any object exists;
 * read-only afterwards.
 */
#ifndef KZ_CLEAR_H
#define KZ_CLEAR_H

#include <stdbool.h>

#include "size_class.h"

typedef void (*object_clear_fn)(void *obj);

extern KZ_HIDDEN object_clear_fn clear_class[KZ_NR_CLASSES];

/* What a freed object's routine clears (the hardening policy decides: harden.c). */
enum clear_mode {
	CLEAR_WHOLE,	  /* KZMALLOC_INIT=free */
	CLEAR_FIRST_WORD, /* KZMALLOC_INIT=none: the word the pop check reads */
	CLEAR_NOTHING,	  /* KZMALLOC_INIT=alloc: allocation clears */
};

/*
 * Fill clear_class for @mode, each routine checking the canary first if @canary (after
 * canary_init), and counting the free for the report first if @count.
 */
void clear_init(enum clear_mode mode, bool canary, bool count);

/*
 * The bytes class @cls's routine clears: the class's size by default, the first word with
 * KZMALLOC_INIT=none, none with =alloc (with the canary and =none, also the bytes past the
 * request, which are not counted). The report's bytes zeroed by free.
 */
size_t clear_class_bytes(unsigned cls);

#endif /* KZ_CLEAR_H */
