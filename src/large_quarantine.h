/*
 * large_quarantine.h - delayed reuse of freed page runs and huge mappings
 * (KZMALLOC_CHECK=quarantine): a bounded FIFO per kind that holds a freed
 * block a while before its owner (large.c, huge.c) gives it back to the
 * pool or the cache of mappings, so that a stale pointer does not write
 * into the next allocation of the same size, and a check when it leaves
 * that it still reads zero. Class objects have their own (quarantine.h).
 */
#ifndef KZ_LARGE_QUARANTINE_H
#define KZ_LARGE_QUARANTINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whose blocks a FIFO holds. */
enum lq_kind {
	LQ_RUNS,     /* page runs (large.c): 64 at most, 64 MiB in all */
	LQ_MAPPINGS, /* huge mappings (huge.c): 16 at most, 256 MiB in all */
	LQ_NR,
};

/* One freed block waiting. */
struct lq_entry {
	void *block;	/* the owner's record: a run's head, a mapping's chunk */
	void *addr;	/* its first byte */
	size_t bytes;	/* its usable bytes: what the byte cap counts, what the check reads */
	uint32_t stamp; /* when it came in (os_now_ms), set by large_quarantine_add */
	uint8_t fill;	/* the owner's note on how to give it back (large.c: enum buddy_fill) */
	bool check;	/* accessible while it waits: checked to read zero when it leaves */
};

/* Why a block is taken out (large_quarantine_take). */
enum lq_why {
	LQ_OVER,    /* the FIFO is over its byte cap (the newest always stays) */
	LQ_EXPIRED, /* over the cap, or the oldest waited the purge delay (100 ms at least) */
	LQ_ALL,	    /* anything (kz_trim) */
};

/*
 * Hold @e (cleared or made no-access by its owner, and marked freed); if the FIFO was full, its
 * oldest comes out into @out (true), for the owner to check and give back with no lock held.
 */
bool large_quarantine_add(enum lq_kind kind, struct lq_entry e, struct lq_entry *out);

/* Take the oldest out into @out if @why says it may leave; false if none. */
bool large_quarantine_take(enum lq_kind kind, enum lq_why why, struct lq_entry *out);

/* Does the FIFO hold anything (the shrinkers' pending)? Takes the lock (purge.c: no lost wake-up).
 */
bool large_quarantine_waiting(enum lq_kind kind);

/*
 * A block leaving: if @e->check, stop the process with "kzmalloc: free(): write after free ADDR"
 * unless it still reads zero where sampled: all of a block up to 16 pages, else 16 pages of it,
 * the first, the last and 14 evenly between.
 */
void large_quarantine_check(const struct lq_entry *e);

/* The FIFOs' locks, for the lock-order table (init.c): @i is an enum lq_kind. */
/* Process exit: every block still held is checked as if it left now ("exit(): write after free").
 */
void large_quarantine_exit(void);

pthread_mutex_t *large_quarantine_lock(unsigned i);

#endif /* KZ_LARGE_QUARANTINE_H */
