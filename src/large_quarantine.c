/*
 * large_quarantine.c - the FIFOs of freed page runs and huge mappings that
 * wait before reuse (KZMALLOC_CHECK=quarantine), and the check of a block
 * leaving one.
 *
 * Owns one ring per kind (enum lq_kind) of the blocks its owner handed in,
 * oldest first; nothing else. The owner clears a block (or, with
 * KZMALLOC_CHECK=protect, purges it and makes it no-access) and marks it
 * freed before it comes in, so every lookup sees it freed (a second free is
 * a double free) and it reads zero while it waits; when it comes out, the
 * owner checks it (large_quarantine_check) and gives it back. A block
 * leaves when a newer one needs its slot (the count cap is the ring's
 * size), when the FIFO holds more bytes than its cap (never the newest, so
 * a block larger than the cap still waits for the next free), when it has
 * waited the purge delay, 100 ms at least (the owner's shrinker asks, so an
 * idle program gets its memory back), or at kz_trim.
 *
 * The bounds, per kind: runs 64 blocks and 64 MiB (a run is 4 MiB at
 * most), mappings 16 and 256 MiB. The check reads at most 16 pages
 * (64 KiB) of a block: all of one up to 16 pages, else the first, the last
 * and 14 evenly spaced between, so a write after free anywhere in a small
 * run, and at the ends of a large one, is caught; a page the owner purged
 * reads zero through the kernel's zero page, at no RSS.
 *
 * Invariants: 0 <= nr <= the kind's cap; bytes is the sum of the held
 * entries' bytes; stamps do not decrease from first to last.
 *
 * Lock: one per FIFO, a leaf: held only to add or take an entry, never
 * while a block is checked or given back (init.c's table).
 */
#include "large_quarantine.h"

#include "fatal.h"
#include "options.h"
#include "os.h"
#include "page.h"
#include "vg.h"

#define LQ_RUNS_MAX	  64
#define LQ_RUNS_MAX_BYTES ((size_t) 64 << 20)
#define LQ_MAPPINGS_MAX	  16
#define LQ_MAPPINGS_BYTES ((size_t) 256 << 20)
#define LQ_MIN_WAIT_MS	  100
#define LQ_CHECK_PAGES	  16

struct lq_fifo {
	pthread_mutex_t lock;
	unsigned first, nr; /* the oldest's slot, how many are held */
	size_t bytes;
};

static struct lq_fifo fifo[LQ_NR] = {
	[LQ_RUNS] = {.lock = PTHREAD_MUTEX_INITIALIZER},
	[LQ_MAPPINGS] = {.lock = PTHREAD_MUTEX_INITIALIZER},
};
static struct lq_entry ring_runs[LQ_RUNS_MAX], ring_mappings[LQ_MAPPINGS_MAX];

static const struct {
	struct lq_entry *ring;
	unsigned max;
	size_t max_bytes;
} lq_bounds[LQ_NR] = {
	[LQ_RUNS] = {ring_runs, LQ_RUNS_MAX, LQ_RUNS_MAX_BYTES},
	[LQ_MAPPINGS] = {ring_mappings, LQ_MAPPINGS_MAX, LQ_MAPPINGS_BYTES},
};

/* Take the oldest off @kind's FIFO into @out. Lock held, nr > 0. */
static void lq_pop(enum lq_kind kind, struct lq_entry *out)
{
	struct lq_fifo *q = &fifo[kind];

	*out = lq_bounds[kind].ring[q->first];
	q->first = (q->first + 1) % lq_bounds[kind].max;
	q->nr--;
	q->bytes -= out->bytes;
}

bool large_quarantine_add(enum lq_kind kind, struct lq_entry e, struct lq_entry *out)
{
	struct lq_fifo *q = &fifo[kind];
	unsigned max = lq_bounds[kind].max;
	bool full;

	e.stamp = os_now_ms();
	pthread_mutex_lock(&q->lock);
	full = q->nr == max;
	if (full)
		lq_pop(kind, out);
	lq_bounds[kind].ring[(q->first + q->nr) % max] = e;
	q->nr++;
	q->bytes += e.bytes;
	pthread_mutex_unlock(&q->lock);
	return full;
}

/* May the oldest of @q leave for @why? Lock held. */
static bool lq_due(enum lq_kind kind, enum lq_why why)
{
	const struct lq_fifo *q = &fifo[kind];
	uint32_t wait = kz_opt.purge_delay_ms;

	if (!q->nr)
		return false;
	if (why == LQ_ALL || (q->nr > 1 && q->bytes > lq_bounds[kind].max_bytes))
		return true;
	if (wait < LQ_MIN_WAIT_MS)
		wait = LQ_MIN_WAIT_MS;
	return why == LQ_EXPIRED &&
	       os_ms_elapsed(os_now_ms(), lq_bounds[kind].ring[q->first].stamp, wait);
}

bool large_quarantine_take(enum lq_kind kind, enum lq_why why, struct lq_entry *out)
{
	struct lq_fifo *q = &fifo[kind];
	bool due;

	pthread_mutex_lock(&q->lock);
	due = lq_due(kind, why);
	if (due)
		lq_pop(kind, out);
	pthread_mutex_unlock(&q->lock);
	return due;
}

bool large_quarantine_waiting(enum lq_kind kind)
{
	bool waiting;

	pthread_mutex_lock(&fifo[kind].lock);
	waiting = fifo[kind].nr != 0;
	pthread_mutex_unlock(&fifo[kind].lock);
	return waiting;
}

/* Does the page at @page read zero? A word at a time, or-ed: no branch per word. */
static bool page_is_zero(const char *page)
{
	const uint64_t *w = (const uint64_t *) page;
	uint64_t acc = 0;

	for (size_t i = 0; i < KZ_PAGE_SIZE / sizeof(*w); i++)
		acc |= w[i];
	return acc == 0;
}

/* Whether the sampled pages of @e read zero (or it is not checked: no-access while it waits). */
static bool lq_intact(const struct lq_entry *e)
{
	size_t nr = e->bytes >> KZ_PAGE_SHIFT, step = nr <= LQ_CHECK_PAGES ? 1 : 0;
	const char *base = e->addr;

	if (!e->check)
		return true;
	for (size_t i = 0; i < (step ? nr : LQ_CHECK_PAGES); i++) {
		const char *page =
			base + ((step ? i : i * (nr - 1) / (LQ_CHECK_PAGES - 1)) << KZ_PAGE_SHIFT);
		bool zero;

		vg_defined(page, KZ_PAGE_SIZE); /* freed, to memcheck: this is no use of it */
		zero = page_is_zero(page);
		vg_noaccess(page, KZ_PAGE_SIZE);
		if (!zero)
			return false;
	}
	return true;
}

void large_quarantine_check(const struct lq_entry *e)
{
	if (!lq_intact(e))
		kz_fatal("free", "write after free", e->addr);
}

/*
 * Every block still held, checked under its FIFO's lock (an exception to the rule above, at
 * exit only: no other thread can then take the block out and unmap it); reported after.
 */
void large_quarantine_exit(void)
{
	const void *bad = NULL;

	for (unsigned kind = 0; kind < LQ_NR && !bad; kind++) {
		struct lq_fifo *q = &fifo[kind];

		pthread_mutex_lock(&q->lock);
		for (unsigned i = 0; i < q->nr && !bad; i++) {
			const struct lq_entry *e =
				&lq_bounds[kind].ring[(q->first + i) % lq_bounds[kind].max];

			if (!lq_intact(e))
				bad = e->addr;
		}
		pthread_mutex_unlock(&q->lock);
	}
	if (bad)
		kz_fatal("exit", "write after free", bad);
}

pthread_mutex_t *large_quarantine_lock(unsigned i)
{
	return &fifo[i].lock;
}
