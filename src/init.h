/*
 * init.h - start-up: options, the pool, fork handlers; once per process,
 * on the first call into kzmalloc or from its constructor, whichever comes
 * first. Nothing on this path allocates. Its last step makes the data it
 * wrote once read-only (KZ_RO_AFTER_INIT).
 */
#ifndef KZ_INIT_H
#define KZ_INIT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "util.h"

extern KZ_HIDDEN atomic_bool kz_ready;

/*
 * The pages of the data written only during start-up (KZ_RO_AFTER_INIT, util.h), laid out by
 * the partial link (ro_after_init.ld): page-aligned bounds, nothing else between them. Read-only
 * from the end of start-up on.
 */
extern KZ_HIDDEN char kz_ro_after_init_start[], kz_ro_after_init_end[];

void kz_init_slow(void);

/* Whether start-up is done (kz_init would return at once). */
static inline bool kz_is_ready(void)
{
	return likely(atomic_load_explicit(&kz_ready, memory_order_acquire));
}

static inline void kz_init(void)
{
	if (unlikely(!atomic_load_explicit(&kz_ready, memory_order_acquire)))
		kz_init_slow();
}

#endif /* KZ_INIT_H */
