/*
 * large.c - objects from 128 KiB to 4 MiB, and smaller ones with a large
 * alignment: a run of pages from the pool (KIND_LARGE), its head recording
 * how many pages it has.
 *
 * Clearing. While the purger thread runs (purge_zeroing), a freed run goes
 * back to the pool dirty, in every KZMALLOC_INIT mode, and waits on the
 * pool's zero queue for the purger to clear it (buddy_free_to_zero): the
 * freeing thread writes nothing, and an allocation gets a run the purger
 * cleared, or clears one itself only when nothing cleared fits. The
 * promise of KZMALLOC_INIT=free then reads: a freed run's bytes leave free
 * memory within 10 to 20 ms, half the purge delay at most (purge.h has the
 * exact terms), and are never handed out again. Without the thread (not yet
 * started, KZMALLOC_PURGE_THREAD=0, delay 0, memcheck), KZMALLOC_INIT=free
 * clears a run when it is freed, and it goes back as zeroed pages, not
 * cleared again when reused; the other modes leave it dirty for the pool
 * to clear when it hands it out. Either way only what the program touched
 * is written: a run that was all resident when it was handed out is
 * cleared (or left dirty) whole, any other one page by page where it is
 * resident, the rest given back to the OS, and the pool told which of its
 * pages are zeroed, dirty or clean (resident.h). Under memcheck a run
 * is a malloc-like block of its usable size, always defined (pool pages are
 * zero), and a run at the start of a chunk hides the chunk's base from the
 * leak checker while it lives (vg.h).
 *
 * Guard pages (KZMALLOC_CHECK=guard): a run takes one page more from the
 * pool and makes it no-access (os_set_memory_np), so a linear overflow
 * faults at once; head->owner points at it (NULL: no guard), and the usable
 * size, realloc in place and free_sized leave it out. A run that would not
 * fit a chunk with its guard (a 4 MiB request) is routed to a huge mapping
 * instead (kmalloc.c decides; this file is never asked for one).
 * The pool's counters count the guard page in use (it is not free), so
 * pages_large is the usable pages plus one per run. Invariant: a page is
 * no-access only while its run is allocated or freeing; access is restored
 * before the run goes back to the pool, and the guard page is never
 * written (the pool handed it out zero), so it goes back zeroed, or dirty
 * with a run left dirty. If the OS will not
 * install a guard (each splits a mapping, and vm.max_map_count caps them),
 * the run goes back whole and the request gets a run without one (a
 * warning says so the first time); if it will not lift one at free, the run is marked freeing
 * (page.h: lookups see it freed) and waits on the stuck stack, which this
 * file's shrinker retries on every purge pass (and kz_trim).
 *
 * Protection (KZMALLOC_CHECK=protect): a freed run is purged (MADV_DONTNEED)
 * and then made no-access, guard page and all, and goes back to the pool
 * as BUDDY_PROTECTED: clean pages the pool makes accessible again when it
 * hands them out (buddy.c), so a read or write through a stale pointer
 * dies by SIGSEGV until the pages are another block's. Nothing is cleared
 * (the purge zeroes) and no guard is lifted (the whole run is no-access).
 * If the OS will not make it no-access, the run still goes back purged,
 * accessible and zero; if it will not purge it, the run is freed as
 * without the check. A write racing with the free, between the purge and
 * the mprotect, may leave bytes in a page marked clean: the program's own
 * use after free, as a write after the clearing is without the check.
 *
 * Quarantine (KZMALLOC_CHECK=quarantine): a freed run waits in a FIFO
 * (large_quarantine.h: 64 runs, 64 MiB) before it goes back, marked
 * freeing meanwhile, so a later allocation of its size gets other pages.
 * It waits cleared by the freeing thread (in every KZMALLOC_INIT mode, and
 * while the purger runs too: the zero queue is the pool's) or, with
 * protect, no-access; when it leaves it is checked to read zero where
 * sampled unless it is no-access (the fault is the check), its guard page
 * is lifted, and it goes back with its pages marked as they were cleared.
 * A free pushes the oldest out when the FIFO is full or over its bytes;
 * this file's shrinker pushes out what waited the purge delay, and
 * everything at kz_trim. A quarantined run counts in use (pages_large).
 *
 * Locks: none of its own (the FIFO's is large_quarantine.c's, never held
 * while a run is given back). The stuck stack is lock-free (pushed one run at a
 * time, emptied whole by one exchange, so no ABA), linked through the
 * heads' free-list links, which allocated and freeing runs do not use.
 */
#include "large.h"

#include <errno.h>
#include <stdatomic.h>

#include "buddy.h"
#include "fatal.h"
#include "harden.h"
#include "large_quarantine.h"
#include "os.h"
#include "purge.h"
#include "resident.h"
#include "vg.h"
#include "vmstat.h"

/* Freed runs whose guard page is still no-access, newest first. */
static _Atomic(struct kz_page *) large_stuck;

static void stuck_push(struct kz_page *head)
{
	struct kz_page *top = atomic_load(&large_stuck);

	do
		head->lru.next = top ? &top->lru : NULL;
	while (!atomic_compare_exchange_weak(&large_stuck, &top, head));
}

/* Lift the guard page and give the run back, or (the OS refused again) keep it stuck. */
static void stuck_release(struct kz_page *head)
{
	if (!os_set_memory_rw(head->owner, KZ_PAGE_SIZE)) {
		stuck_push(head);
		return;
	}
	buddy_mark_freeing(head, false);
	buddy_free(head, head->nr_pages, KIND_LARGE, BUDDY_DIRTY);
}

static void large_release(const struct lq_entry *e);

/*
 * Push out of the quarantine what waited long enough, or (@all) everything, then retry every
 * stuck run; the pages go to the pool, whose own scan purges them.
 */
static size_t large_scan(bool all)
{
	struct kz_page *head;
	struct lq_entry e;

	while (large_quarantine_take(LQ_RUNS, all ? LQ_ALL : LQ_EXPIRED, &e))
		large_release(&e);
	head = atomic_exchange(&large_stuck, NULL);
	while (head) {
		struct kz_page *next =
			head->lru.next ? list_entry(head->lru.next, struct kz_page, lru) : NULL;

		stuck_release(head);
		head = next;
	}
	return 0;
}

static bool large_pending(void)
{
	return atomic_load(&large_stuck) != NULL || large_quarantine_waiting(LQ_RUNS);
}

static const struct shrinker large_shrinker = {.scan = large_scan, .pending = large_pending};

void large_init(void)
{
	purge_register(&large_shrinker);
}

void *large_alloc(size_t nr_pages, size_t align)
{
	size_t nr_guard = harden_guard() ? 1 : 0;
	unsigned align_order = align > KZ_PAGE_SIZE ? page_order(align) : 0;
	struct kz_page *page;
	char *addr;

	kz_assert(nr_pages >= 1 && nr_pages + nr_guard <= KZ_CHUNK_PAGES);
	page = buddy_alloc(nr_pages + nr_guard, align_order, KIND_LARGE);
	if (!page)
		return NULL;
	addr = page_address(page);
	if (nr_guard && !os_set_memory_np(addr + (nr_pages << KZ_PAGE_SHIFT), KZ_PAGE_SIZE)) {
		/*
		 * Refused (vm.max_map_count): the run back, untouched so still zero, and one
		 * without a guard instead, so that the program gets its memory as on any
		 * allocator (the guard is a check, not a promise).
		 */
		buddy_free(page, nr_pages + nr_guard, KIND_LARGE, BUDDY_ZEROED);
		kz_warn_guard_refused();
		page = buddy_alloc(nr_pages, align_order, KIND_LARGE);
		if (!page)
			return NULL;
		addr = page_address(page);
	} else if (nr_guard) {
		page->owner = addr + (nr_pages << KZ_PAGE_SHIFT);
	}
	vg_alloc(addr, large_usable(page), true);
	vg_hide_ptr(&page_chunk(page)->base, addr);
	return addr;
}

bool large_extend(struct kz_page *head, size_t nr_pages)
{
	size_t old = large_usable(head);
	char *addr = page_address(head);

	if (head->owner || !buddy_extend(head, nr_pages, KIND_LARGE))
		return false;
	vg_resize(addr, old, large_usable(head));
	vg_defined(addr + old, large_usable(head) - old); /* pool pages: zero */
	return true;
}

/*
 * Clear a run being freed (@zero; else the purger or the pool clears it)
 * and say what its pages hold now. A run all resident when handed out
 * most likely still is, and one memset is then the cheapest way: no system
 * call, and nothing written that holds no memory. Any other run is cleared
 * where it is resident and given back elsewhere, page by page, and its
 * pages are marked so. The guard page is never written; it reads zero.
 */
static enum buddy_fill large_clear(struct kz_page *head, bool zero)
{
	void *addr = page_address(head);
	size_t usable = large_usable(head);

	if (head->state == PAGE_ZEROED) {
		if (zero) {
			resident_zero(addr, usable, false);
			count_vm_events(VM_ZEROED_FREE, usable);
		}
		return zero ? BUDDY_ZEROED : BUDDY_DIRTY;
	}
	resident_clear(addr, usable >> KZ_PAGE_SHIFT, zero ? RESIDENT_CLEAR : RESIDENT_MARK, head);
	/*
	 * The guard page reads zero (never written since the pool cleared it).
	 * Counted resident whether it is or not, it lets a run the program
	 * filled come back all resident, so that its next free is one memset;
	 * the price is a page the purger may give back for nothing.
	 */
	if (head->owner)
		head[head->nr_pages - 1].state = PAGE_ZEROED;
	return BUDDY_MARKED;
}

/*
 * Free a run: its guard lifted, cleared now or left to the purger (a run whose guard is stuck
 * waits too long for that: it is cleared now), given back.
 */
static size_t large_free_now(struct kz_page *head)
{
	size_t nr_pages = head->nr_pages; /* once given back, the run may be another's at once */
	bool stuck = head->owner && !os_set_memory_rw(head->owner, KZ_PAGE_SIZE);
	bool later = !stuck && purge_zeroing(); /* the purger clears it */
	enum buddy_fill fill = large_clear(head, harden_init_on_free() && !later);
	void *addr = page_address(head);

	vg_free(addr, large_usable(head));
	vg_show_ptr(&page_chunk(head)->base, addr);
	if (stuck) {
		buddy_mark_freeing(head, true);
		stuck_push(head);
		return nr_pages; /* the purger retries it */
	}
	if (later)
		buddy_free_to_zero(head, nr_pages, KIND_LARGE, fill);
	else
		buddy_free(head, nr_pages, KIND_LARGE, fill);
	return nr_pages;
}

/*
 * KZMALLOC_CHECK=protect: purge the run, then make it no-access (guard page and all); each page
 * clean. False if the OS would not purge it (nothing changed); @np says whether it is no-access.
 */
static bool large_protect(struct kz_page *head, bool *np)
{
	void *addr = page_address(head);
	size_t size = (size_t) head->nr_pages << KZ_PAGE_SHIFT;

	if (!os_purge(addr, size))
		return false;
	for (size_t i = 0; i < head->nr_pages; i++)
		head[i].state = PAGE_CLEAN;
	*np = os_set_memory_np(addr, size);
	return true;
}

/*
 * A run out of the quarantine: checked, then given back as it was left (protected, or cleared
 * with each page marked); a guard page the OS will not lift keeps it on the stuck stack.
 */
static void large_release(const struct lq_entry *e)
{
	struct kz_page *head = e->block;

	large_quarantine_check(e);
	if (e->fill != BUDDY_PROTECTED && head->owner &&
	    !os_set_memory_rw(head->owner, KZ_PAGE_SIZE)) {
		stuck_push(head); /* still freeing */
		return;
	}
	buddy_mark_freeing(head, false);
	buddy_free(head, head->nr_pages, KIND_LARGE, (enum buddy_fill) e->fill);
}

/*
 * Free a run with protect or quarantine on: protected (or, if the OS will not purge it, cleared
 * for the quarantine, else freed as without the checks), then given back or quarantined; with
 * the pages of the runs the quarantine pushed out, what is left for purge. Out of line, so that
 * the default free keeps no stack frame for it.
 */
__attribute__((noinline)) static size_t large_free_checked(struct kz_page *head)
{
	size_t nr_pages = head->nr_pages;
	void *addr = page_address(head);
	struct lq_entry e = {
		.block = head, .addr = addr, .bytes = large_usable(head), .check = true};
	struct lq_entry out;
	bool np = false;

	if (harden_protect() && large_protect(head, &np)) {
		e.fill = BUDDY_PROTECTED;
		e.check = !np;
	} else if (harden_quarantine()) {
		e.fill = (uint8_t) large_clear(head, true);
	} else {
		return large_free_now(head);
	}
	vg_free(addr, large_usable(head));
	vg_show_ptr(&page_chunk(head)->base, addr);
	if (!harden_quarantine()) {
		buddy_free(head, nr_pages, KIND_LARGE, BUDDY_PROTECTED);
		return nr_pages;
	}
	buddy_mark_freeing(head, true);
	if (large_quarantine_add(LQ_RUNS, e, &out)) {
		nr_pages += ((struct kz_page *) out.block)->nr_pages;
		large_release(&out);
	}
	while (large_quarantine_take(LQ_RUNS, LQ_OVER, &out)) {
		nr_pages += ((struct kz_page *) out.block)->nr_pages;
		large_release(&out);
	}
	return nr_pages;
}

size_t large_free(struct kz_page *head)
{
	if (unlikely(harden_protect() || harden_quarantine()))
		return large_free_checked(head);
	return large_free_now(head);
}
