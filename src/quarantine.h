/*
 * quarantine.h - delayed reuse of freed class objects: a bounded FIFO of (object, class) that
 * holds a freed object a while before its slot goes back to its slab, so that a use after free
 * is caught even after later allocations of its class.
 *
 * Today memcheck's (vg.h): under memcheck every freed class object waits here, at most
 * QUARANTINE_MAX of them and QUARANTINE_BYTES in all, the oldest leaving first (memcheck's own
 * --freelist-vol, for kzmalloc). The FIFO takes its bounds from its caller, so a hardening
 * quarantine outside memcheck can be a second one of the same kind.
 *
 * Lock: quarantine.lock guards the FIFO and its counts; a leaf (objects leave it for the slabs
 * after it is dropped), first in fork's order (init.c).
 */
#ifndef KZ_QUARANTINE_H
#define KZ_QUARANTINE_H

#include <pthread.h>
#include <stddef.h>

#include "slab.h"

#define QUARANTINE_MAX	 8192
#define QUARANTINE_BYTES ((size_t) 16 << 20)

/* Start-up: the FIFO's storage, from the metadata arena (under memcheck only). */
void quarantine_init(void);

/*
 * Hold a freed object (no longer live, memcheck already told); the oldest objects beyond the
 * bounds go back to their slabs. The pages that gave the pool (the caller tells purge). Without
 * storage (not under memcheck, or the arena refused) the object goes back at once.
 */
size_t quarantine_add(unsigned cls, struct tcache_entry e);

/* Everything held back to the slabs; the pages given to the pool. */
size_t quarantine_drain(void);

/* Objects of class @cls held (0 outside memcheck). */
size_t quarantine_held(unsigned cls);

/* The quarantine's lock, for the lock-order table (init.c); @i is ignored. */
pthread_mutex_t *quarantine_lock(unsigned i);

#endif /* KZ_QUARANTINE_H */
