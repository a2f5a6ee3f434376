/*
 * resident.c - clearing freed memory only where it is resident.
 *
 * A program may ask for far more than it touches (sort mallocs a buffer of
 * gigabytes for a file of megabytes). Clearing such a block with one memset
 * would write every page of it: a second per gigabyte, and the gigabyte in
 * RSS, for memory the program never used. So the block is asked which pages
 * hold memory (mincore), in pieces of RESIDENT_BATCH pages so that the
 * vector stays small and on the stack: runs of resident pages are cleared
 * with memset, and runs of the others are given back with MADV_DONTNEED,
 * after which they read zero; that covers pages swapped out too, which
 * mincore does not count resident. A run given back may span pieces, so a
 * sparse gigabyte costs a few hundred mincore calls and a few madvise ones;
 * and a short resident run after pages being given back (fewer than
 * RESIDENT_ABSORB) goes back with them rather than being cleared, so that
 * a block touched in a stride (a page in eight, say) costs one madvise, not
 * one per hole: each such call costs about as much as faulting a few pages
 * back in, should the block be used again.
 *
 * Whatever the OS refuses, the pages read zero (or are left dirty for the
 * pool to clear) afterwards: a piece mincore will not describe is taken as
 * resident, and a run madvise will not give back is cleared like a resident
 * one.
 *
 * Cost: the question is a system call per 2 MiB, which a fully resident
 * block does not need (its memset is the whole cost and touches nothing
 * new), so a caller that knows its block is resident clears it directly
 * (large.c); huge blocks, where a memset costs milliseconds, always ask.
 *
 * How a run is cleared (resident_zero) depends on whose cache holds it.
 * The thread that freed or allocates a block most likely has it in its own
 * cache, where memset is the fastest way for a block up to 8 MiB (hot);
 * for a larger one (cleared piece by piece, but the pieces do not fit the
 * cache together), and always for the purger, which clears blocks another
 * core wrote (cold), non-temporal stores (SSE2 movntdq) are: they need no
 * read for ownership and do not evict the clearing core's cache. Medians
 * of 11 to 15 rounds on the project's 2-core VM (2026-12-02, other work
 * running), in us, of a block written whole just before:
 *
 *                 the same core           the other core
 *   size         memset    NT stores     memset      NT stores
 *   256 KiB         5..6     23..30        8..36       11..15
 *   4 MiB        103..120   178..180     141..478     170..225
 *   8 MiB        251..268   377..379     253..1240    423..473
 *   16 MiB           2441        940          3722        1194
 *
 * The other core's memset varies with where the two virtual CPUs run; what
 * decided the purger's way was a program's: 20 blocks of 5 to 25 MiB
 * replaced 800 times, cleared by the purger with memset up to 8 MiB, ran
 * in 2.4 to 2.7 s of wall time and 3.7 to 4.1 s of CPU, with
 * non-temporal stores at every size in 1.5 to 1.9 s and 2.1 to 2.5 s.
 *
 * MADV_DONTNEED and faulting the pages back in costs 20 to 40 times a
 * memset there (page faults in that VM cost about 3 us each), so a block
 * that the program will use again is cleared, never given back, however
 * large it is; only pages that hold no memory are given back.
 *
 * No state and no locks: the caller owns the block and its descriptors.
 */
#include "resident.h"

#include <emmintrin.h>
#include <stdint.h>
#include <string.h>

#include "os.h"
#include "util.h"
#include "vmstat.h"

/* Pages per mincore call: a 512-byte vector, one 2 MiB transparent huge page. */
#define RESIDENT_BATCH 512

/* A resident run shorter than this after pages being given back goes back with them. */
#define RESIDENT_ABSORB 8

/* Hot memory in a block above this is cleared with non-temporal stores (the table above). */
#define RESIDENT_NT_HOT ((size_t) 8 << 20)

/* Cold memory from this up: below it a memset costs no more, and keeps it in the cache. */
#define RESIDENT_NT_COLD ((size_t) 64 << 10)

/* Clear whole lines, four 16-byte non-temporal stores each, then order them before what follows. */
static void zero_nt(char *p, size_t size)
{
	const __m128i z = _mm_setzero_si128();

	for (char *end = p + size; p < end; p += KZ_CACHE_LINE) {
		_mm_stream_si128((__m128i *) p, z);
		_mm_stream_si128((__m128i *) (p + 16), z);
		_mm_stream_si128((__m128i *) (p + 32), z);
		_mm_stream_si128((__m128i *) (p + 48), z);
	}
	_mm_sfence();
}

void resident_zero(void *addr, size_t size, bool cold)
{
	if (cold ? size >= RESIDENT_NT_COLD : size > RESIDENT_NT_HOT)
		zero_nt(addr, size);
	else
		memset(addr, 0, size);
}

struct sweep {
	char *base;
	struct kz_page *pages; /* NULL: a huge mapping, no states to set */
	enum resident_how how;
	bool cold; /* resident_zero's: the purger's, or a block too large for the cache */
	size_t zap_first, nr_zap; /* the run of pages not resident, not yet given back */
};

static void mark(const struct sweep *s, size_t first, size_t nr, enum page_state state)
{
	if (s->pages)
		for (size_t i = first; i < first + nr; i++)
			s->pages[i].state = (uint8_t) state;
}

/* Resident pages: cleared now, or left dirty for the pool. */
static void clear_run(const struct sweep *s, size_t first, size_t nr)
{
	if (s->how != RESIDENT_MARK) {
		resident_zero(s->base + (first << KZ_PAGE_SHIFT), nr << KZ_PAGE_SHIFT, s->cold);
		count_vm_events(s->how == RESIDENT_CLEAR_COLD ? VM_ZEROED_PURGER : VM_ZEROED_FREE,
				(unsigned long) nr << KZ_PAGE_SHIFT);
	}
	mark(s, first, nr, s->how != RESIDENT_MARK ? PAGE_ZEROED : PAGE_DIRTY);
}

/* Give the pages not resident back to the OS; if it refuses, treat them as resident. */
static void zap_flush(struct sweep *s)
{
	if (!s->nr_zap)
		return;
	if (os_purge(s->base + (s->zap_first << KZ_PAGE_SHIFT), s->nr_zap << KZ_PAGE_SHIFT))
		mark(s, s->zap_first, s->nr_zap, PAGE_CLEAN);
	else
		clear_run(s, s->zap_first, s->nr_zap);
	s->nr_zap = 0;
}

/*
 * How many pages from @i on are resident as page @i is (bit 0 of each byte;
 * the others are undefined), eight at a time while they can be.
 */
static size_t run_length(const unsigned char *vec, size_t i, size_t nr)
{
	const uint64_t bits = 0x0101010101010101ULL, want = (vec[i] & 1) * bits;
	size_t end = i + 1;

	for (uint64_t w; end + 8 <= nr; end += 8) {
		memcpy(&w, vec + end, sizeof(w));
		if ((w & bits) != want)
			break;
	}
	while (end < nr && (vec[end] & 1) == (vec[i] & 1))
		end++;
	return end - i;
}

/* One piece of at most RESIDENT_BATCH pages, starting at page @first, as @vec describes it. */
static void sweep_piece(struct sweep *s, size_t first, size_t nr, const unsigned char *vec)
{
	for (size_t i = 0; i < nr;) {
		bool resident = vec[i] & 1;
		size_t run = run_length(vec, i, nr);

		if (!resident) {
			if (!s->nr_zap)
				s->zap_first = first + i;
			s->nr_zap += run;
		} else if (s->nr_zap && run < RESIDENT_ABSORB) {
			s->nr_zap += run; /* given back with the pages around it */
		} else {
			zap_flush(s);
			clear_run(s, first + i, run);
		}
		i += run;
	}
}

void resident_clear(void *addr, size_t nr_pages, enum resident_how how, struct kz_page *pages)
{
	struct sweep s = {
		.base = addr,
		.pages = pages,
		.how = how,
		/* runs are cleared piece by piece: whether the block fits the cache decides */
		.cold = how == RESIDENT_CLEAR_COLD || nr_pages << KZ_PAGE_SHIFT > RESIDENT_NT_HOT,
	};
	unsigned char vec[RESIDENT_BATCH];

	kz_assert(how != RESIDENT_MARK || pages);
	for (size_t done = 0; done < nr_pages;) {
		size_t nr = nr_pages - done < RESIDENT_BATCH ? nr_pages - done : RESIDENT_BATCH;

		if (!os_resident(s.base + (done << KZ_PAGE_SHIFT), nr << KZ_PAGE_SHIFT, vec))
			memset(vec, 1, nr);
		sweep_piece(&s, done, nr, vec);
		done += nr;
	}
	zap_flush(&s);
}
