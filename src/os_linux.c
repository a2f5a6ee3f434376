/*
 * os_linux.c - the OS layer on Linux: mmap, munmap, mremap, mprotect,
 * madvise, mincore, the clock, a futex for the purger's nap, and random seeds.
 *
 * Owns no state and takes no locks. mremap moves huge mappings without copying. Aligned mappings
 * are made by mapping size + align and trimming both ends, so no address hint games are needed and
 * nothing is left mapped beyond what was asked for.
 *
 * Fault injection (KZ_FAULT_INJECTION builds only, for tests; os.h): every
 * call that maps, remaps, protects, advises or asks what is resident asks fault_fail() first, and
 * every byte mapped read-write is charged against a simulated overcommit
 * limit (munmap and shrinking uncharge; madvise and mprotect do not, a
 * no-access page being still mapped, and a no-access reservation is not
 * charged, as in the kernel). That is the layer's only state: atomics, so
 * any thread may call in at any time and no lock is taken; the calls a plan
 * matches are numbered in one sequence.
 */
#include "os.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#if KZ_FAULT_INJECTION
static struct {
	atomic_uint calls_mask;
	atomic_ulong nth, times;
	atomic_uint permille;
	_Atomic uint64_t seed;
	atomic_size_t commit_limit;
	atomic_ulong matched; /* calls of the kinds in calls_mask, numbered from 1 */
	atomic_ulong calls[OS_NR_CALLS], injected[OS_NR_CALLS];
	atomic_size_t committed, committed_peak;
	struct {
		_Atomic(const void *) caller;
		atomic_uint call;
		atomic_ulong injected;
	} sites[OS_FAULT_SITES];
} fault;

/* splitmix64: the random decision for call @n depends on nothing else. */
static uint64_t fault_mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* Count a fault at @caller; slots are claimed once, so a site keeps its slot. */
static void fault_record(enum os_call call, const void *caller)
{
	atomic_fetch_add(&fault.injected[call], 1);
	for (size_t i = 0; i < OS_FAULT_SITES; i++) {
		const void *seen = atomic_load(&fault.sites[i].caller);

		if (!seen &&
		    atomic_compare_exchange_strong(&fault.sites[i].caller, &seen, caller)) {
			atomic_store(&fault.sites[i].call, call);
			seen = caller;
		}
		if (seen == caller) {
			atomic_fetch_add(&fault.sites[i].injected, 1);
			return;
		}
	}
}

/* Should this call fail on purpose? */
static bool fault_fail(enum os_call call, const void *caller)
{
	unsigned long n, nth, times;
	unsigned permille;
	bool fail;

	atomic_fetch_add(&fault.calls[call], 1);
	if (!(atomic_load(&fault.calls_mask) & (1u << call)))
		return false;
	n = atomic_fetch_add(&fault.matched, 1) + 1;
	nth = atomic_load(&fault.nth);
	times = atomic_load(&fault.times);
	permille = atomic_load(&fault.permille);
	fail = nth && n >= nth && (times == 0 || n - nth < times);
	fail |= permille && fault_mix(atomic_load(&fault.seed) ^ n) % 1000 < permille;
	if (fail)
		fault_record(call, caller);
	return fail;
}

/* Take @bytes more mapped memory, unless that crosses the commit limit. */
static bool commit_charge(size_t bytes, enum os_call call, const void *caller)
{
	size_t limit = atomic_load(&fault.commit_limit), cur = atomic_load(&fault.committed);
	size_t peak;

	do {
		if (limit && (cur + bytes < cur || cur + bytes > limit)) {
			fault_record(call, caller);
			return false;
		}
	} while (!atomic_compare_exchange_weak(&fault.committed, &cur, cur + bytes));
	peak = atomic_load(&fault.committed_peak);
	while (cur + bytes > peak &&
	       !atomic_compare_exchange_weak(&fault.committed_peak, &peak, cur + bytes))
		;
	return true;
}

static void commit_uncharge(size_t bytes)
{
	atomic_fetch_sub(&fault.committed, bytes);
}

void os_fault_set(const struct os_fault_plan *plan)
{
	static const struct os_fault_plan none;

	if (!plan)
		plan = &none;
	atomic_store(&fault.calls_mask, 0); /* no call matches while the plan changes */
	atomic_store(&fault.nth, plan->nth);
	atomic_store(&fault.times, plan->times);
	atomic_store(&fault.permille, plan->permille);
	atomic_store(&fault.seed, plan->seed);
	atomic_store(&fault.commit_limit, plan->commit_limit);
	atomic_store(&fault.matched, 0);
	atomic_store(&fault.committed_peak, atomic_load(&fault.committed));
	for (unsigned call = 0; call < OS_NR_CALLS; call++) {
		atomic_store(&fault.calls[call], 0);
		atomic_store(&fault.injected[call], 0);
	}
	for (size_t i = 0; i < OS_FAULT_SITES; i++) {
		atomic_store(&fault.sites[i].caller, NULL);
		atomic_store(&fault.sites[i].injected, 0);
	}
	atomic_store(&fault.calls_mask, plan->calls);
}

void os_fault_get_stats(struct os_fault_stats *st)
{
	for (unsigned call = 0; call < OS_NR_CALLS; call++) {
		st->calls[call] = atomic_load(&fault.calls[call]);
		st->injected[call] = atomic_load(&fault.injected[call]);
	}
	st->committed = atomic_load(&fault.committed);
	st->committed_peak = atomic_load(&fault.committed_peak);
	for (size_t i = 0; i < OS_FAULT_SITES; i++) {
		st->sites[i].caller = atomic_load(&fault.sites[i].caller);
		st->sites[i].call = (enum os_call) atomic_load(&fault.sites[i].call);
		st->sites[i].injected = atomic_load(&fault.sites[i].injected);
	}
}
#else
static inline bool fault_fail(enum os_call call, const void *caller)
{
	(void) call;
	(void) caller;
	return false;
}

static inline bool commit_charge(size_t bytes, enum os_call call, const void *caller)
{
	(void) bytes;
	(void) call;
	(void) caller;
	return true;
}

static inline void commit_uncharge(size_t bytes)
{
	(void) bytes;
}
#endif

#define CALLER __builtin_return_address(0)

/* Keep @size bytes of the mapping @raw (@span bytes) at its first @align boundary. */
static char *map_trim(char *raw, size_t span, size_t size, size_t align)
{
	char *start = (char *) ALIGN_DOWN((uintptr_t) raw + align - 1, align);

	if (start > raw)
		munmap(raw, (size_t) (start - raw));
	if (start + size < raw + span)
		munmap(start + size, (size_t) (raw + span - (start + size)));
	return start;
}

void *os_map_aligned(size_t size, size_t align)
{
	size_t span = size + align;
	char *raw;

	if (span < size) {
		errno = ENOMEM;
		return NULL;
	}
	if (fault_fail(OS_MMAP, CALLER) || !commit_charge(span, OS_MMAP, CALLER)) {
		errno = ENOMEM;
		return NULL;
	}
	raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		commit_uncharge(span);
		errno = ENOMEM;
		return NULL;
	}
	commit_uncharge(span - size);
	return map_trim(raw, span, size, align);
}

/*
 * No-access address space: PROT_NONE and MAP_NORESERVE, which the kernel does not charge against
 * its commit limit, so neither does the simulated one; unmapped with os_unreserve.
 */
void *os_reserve_aligned(size_t size, size_t align)
{
	size_t span = size + align;
	char *raw;

	if (span < size || fault_fail(OS_MMAP, CALLER)) {
		errno = ENOMEM;
		return NULL;
	}
	raw = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	return map_trim(raw, span, size, align);
}

void os_unreserve(void *addr, size_t size)
{
	munmap(addr, size);
}

void os_unmap(void *addr, size_t size)
{
	if (munmap(addr, size) == 0)
		commit_uncharge(size);
}

bool os_remap_inplace(void *addr, size_t old_size, size_t new_size)
{
	size_t grow = new_size > old_size ? new_size - old_size : 0;

	if (fault_fail(OS_MREMAP, CALLER) || !commit_charge(grow, OS_MREMAP, CALLER))
		return false;
	if (mremap(addr, old_size, new_size, 0) == MAP_FAILED) {
		commit_uncharge(grow);
		return false;
	}
	commit_uncharge(old_size > new_size ? old_size - new_size : 0);
	return true;
}

bool os_remap_move(void *addr, size_t old_size, void *new_addr, size_t new_size)
{
	if (fault_fail(OS_MREMAP, CALLER))
		return false;
	if (mremap(addr, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, new_addr) == MAP_FAILED)
		return false;
	/* The pages moved onto a mapping charged already; the old one is gone. */
	commit_uncharge(old_size);
	return true;
}

static bool os_protect(void *addr, size_t size, int prot, const void *caller)
{
	if (fault_fail(OS_MPROTECT, caller) || mprotect(addr, size, prot)) {
		errno = ENOMEM;
		return false;
	}
	return true;
}

bool os_set_memory_np(void *addr, size_t size)
{
	return os_protect(addr, size, PROT_NONE, CALLER);
}

bool os_set_memory_rw(void *addr, size_t size)
{
	return os_protect(addr, size, PROT_READ | PROT_WRITE, CALLER);
}

bool os_set_memory_ro(void *addr, size_t size)
{
	return os_protect(addr, size, PROT_READ, CALLER);
}

bool os_purge(void *addr, size_t size)
{
	if (fault_fail(OS_MADVISE, CALLER))
		return false;
	return madvise(addr, size, MADV_DONTNEED) == 0;
}

bool os_resident(const void *addr, size_t size, unsigned char *vec)
{
	if (fault_fail(OS_MINCORE, CALLER))
		return false;
	return mincore((void *) addr, size, vec) == 0;
}

/*
 * glibc on x86-64: a pthread_t is the thread's TCB, whose second word is
 * the dtv pointer, which points one 16-byte entry into the block that
 * pthread_create got from calloc (dtv[-1] holds its length).
 */
void *os_thread_tls_block(pthread_t thread)
{
#if defined(__x86_64__) && defined(__GLIBC__)
	char *dtv = ((char *const *) thread)[1];

	return dtv ? dtv - 16 : NULL;
#else
	return NULL;
#endif
}

void os_wait(void *word, uint32_t value, uint32_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000};

	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, &ts, NULL, 0);
}

void os_wake(void *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

uint32_t os_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t) ((uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000);
}

uint64_t os_random_seed(void)
{
	uint64_t seed, fallback;

	/* GRND_NONBLOCK: at early boot the pool may not be ready; then the fallback. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t) sizeof(seed))
		return seed;
	fallback = (uintptr_t) &seed ^ ((uint64_t) os_now_ms() << 32) ^ (uint64_t) getpid();
	return fallback * 0x9e3779b97f4a7c15ull;
}
