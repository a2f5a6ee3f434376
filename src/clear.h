/*
 * clear.h - clearing freed objects (the zero-on-free promise): one routine
 * per class, chosen once at start-up.
 *
 * The free fast path ends in a tail call through the routine its slab holds
 * (a copy of kz_clear_class[cls]), so the mode costs no test: with KZMALLOC_INIT=alloc or none
 * every entry is a no-op. Up to 1 KiB a routine is straight-line stores of exactly the class's size
 * (16-byte SSE2 stores, or 32-byte AVX2 stores where the CPU and the OS have them); above, memset.
 *
 * Written once by clear_init, during start-up, before any object exists;
 * read-only afterwards.
 */
#ifndef KZ_CLEAR_H
#define KZ_CLEAR_H

#include <stdbool.h>

#include "size_class.h"

typedef void (*object_clear_fn)(void *obj);

extern KZ_HIDDEN object_clear_fn kz_clear_class[KZ_NR_CLASSES];

/* Fill kz_clear_class: real routines when freed objects are to be cleared, no-ops otherwise. */
void clear_init(bool clear_on_free);

#endif /* KZ_CLEAR_H */
