/*
 * os.h - the OS layer's contract: the only place that maps, unmaps,
 * protects or advises memory, and the clock the purge policy runs on (and
 * the purger's wakeable nap).
 * One implementation per OS (os_linux.c).
 *
 * Every call that can fail says so in its result, and the layers above
 * must survive each failure: a build with -DKZ_FAULT_INJECTION=ON (tests
 * only) lets a test make mmap, madvise, mremap, mprotect and mincore fail on purpose, and cap
 * the bytes mapped as vm.overcommit_memory=2 caps committed memory.
 */
#ifndef KZ_OS_H
#define KZ_OS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Fresh zeroed read-write memory of @size bytes aligned to @align (both
 * multiples of the page size); NULL with errno ENOMEM when the OS refuses.
 */
void *os_map_aligned(size_t size, size_t align);

void os_unmap(void *addr, size_t size);

/*
 * Address space of @size bytes aligned to @align that faults on any access (PROT_NONE), with
 * nothing committed; NULL with errno ENOMEM. Given back with os_unreserve, never os_unmap.
 */
void *os_reserve_aligned(size_t size, size_t align);
void os_unreserve(void *addr, size_t size);

/* Grow or shrink a mapping where it is; false if the address space after it is taken. */
bool os_remap_inplace(void *addr, size_t old_size, size_t new_size);

/* Move a mapping's pages (no copy) onto @new_addr, a mapping of @new_size that it replaces. */
bool os_remap_move(void *addr, size_t old_size, void *new_addr, size_t new_size);

/*
 * Make whole pages no-access (the kernel's set_memory_np: a guard page) or
 * read-write again (set_memory_rw). False with errno ENOMEM when the OS
 * refuses: each no-access page splits a mapping, which vm.max_map_count
 * caps, and making private pages writable again is charged against the
 * overcommit limit. On failure the pages keep their protection.
 */
bool os_set_memory_np(void *addr, size_t size);
bool os_set_memory_rw(void *addr, size_t size);

/* Make whole pages read-only (set_memory_ro: start-up's seal, init.c). False if the OS refused. */
bool os_set_memory_ro(void *addr, size_t size);

/*
 * Give the pages back (MADV_DONTNEED); they read as zero afterwards. False
 * if the OS refused: then the pages still hold what they held.
 */
bool os_purge(void *addr, size_t size);

/*
 * Which pages of [@addr, @addr + @size) hold memory (mincore): @vec gets one
 * byte per page, bit 0 set for a resident one. A page never touched, or
 * swapped out, is not resident; one only read (the shared zero page) is.
 * False if the OS refused: then @vec says nothing.
 */
bool os_resident(const void *addr, size_t size, unsigned char *vec);

/*
 * The block libc allocated (through calloc) for @thread's dynamic TLS
 * vector, or NULL where that is not known.
 */
void *os_thread_tls_block(pthread_t thread);

/*
 * Sleep up to @ms while the 32-bit word at @word holds @value: until os_wake(@word), or at once
 * if it holds another value already (a futex on Linux; it may also return early). The purger's
 * nap; the word is the caller's atomic.
 */
void os_wait(void *word, uint32_t value, uint32_t ms);
void os_wake(void *word);

/*
 * 64 bits from the kernel's generator (getrandom), for seeding the hardening's cheap generators
 * at start-up; where the kernel refuses (no entropy yet, a seccomp filter), a mix of the
 * randomized addresses and the clock. Not for the fast paths: a syscall.
 */
uint64_t os_random_seed(void);

/* A coarse monotonic clock in milliseconds; wraps after 49 days. */
uint32_t os_now_ms(void);

/*
 * Have at least @delay ms passed from @since to @now, two readings of
 * os_now_ms? Compared by signed difference, so right across a wrap (for
 * spans under 24 days).
 */
static inline bool os_ms_elapsed(uint32_t now, uint32_t since, uint32_t delay)
{
	return (int32_t) (now - since) >= (int32_t) delay;
}

/*
 * Fault injection: defined only in KZ_FAULT_INJECTION builds, for tests.
 *
 * A plan makes some of the calls that map, protect, advise or query memory fail as the OS
 * would (errno ENOMEM): the @nth call of the kinds in @calls from now on
 * and the @times - 1 after it (times 0: every one from then on), and each
 * such call with probability @permille / 1000 (the sequence is fixed by
 * @seed and the call's number). @commit_limit, if not 0, is the overcommit
 * limit: a mapping or growth that would take the bytes this layer has
 * mapped above it fails, whatever @calls says (madvise does not uncommit).
 */
enum os_call { OS_MMAP, OS_MADVISE, OS_MREMAP, OS_MPROTECT, OS_MINCORE, OS_NR_CALLS };

struct os_fault_plan {
	unsigned calls; /* 1 << OS_MMAP | ...: which calls the plan may fail */
	unsigned long nth;
	unsigned long times;
	unsigned permille;
	uint64_t seed;
	size_t commit_limit;
};

/* Where injected faults landed: the return address of the caller of the OS layer. */
#define OS_FAULT_SITES 16

struct os_fault_site {
	const void *caller;
	enum os_call call;
	unsigned long injected;
};

struct os_fault_stats {
	unsigned long calls[OS_NR_CALLS];    /* calls since the plan was set */
	unsigned long injected[OS_NR_CALLS]; /* of those, failed on purpose (limit included) */
	size_t committed;		     /* bytes mapped through this layer now */
	size_t committed_peak;		     /* the most since the plan was set */
	struct os_fault_site sites[OS_FAULT_SITES];
};

/* Start a plan (counting afresh), or stop injecting (NULL); the committed count stays. */
void os_fault_set(const struct os_fault_plan *plan);
void os_fault_get_stats(struct os_fault_stats *stats);

#endif /* KZ_OS_H */
