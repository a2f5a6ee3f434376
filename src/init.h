/*
 * init.h - start-up: options, the pool, fork handlers; once per process,
 * on the first call into kzmalloc or from its constructor, whichever comes
 * first. Nothing on this path allocates.
 */
#ifndef KZ_INIT_H
#define KZ_INIT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "util.h"

extern KZ_HIDDEN atomic_bool kz_ready;

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
