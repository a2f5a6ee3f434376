/*
 * util.h - small helpers every layer may use: branch hints, alignment,
 * debug-only invariant checks.
 *
 * kz_assert() checks an invariant in Debug builds (KZ_DEBUG=1) and compiles
 * to nothing otherwise; a failed check is a fatal error, reported like misuse.
 */
#ifndef KZ_UTIL_H
#define KZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef KZ_DEBUG
#define KZ_DEBUG 0
#endif

static const bool kz_debug = KZ_DEBUG;

/*
 * On the extern declaration of every internal variable: -fvisibility=hidden covers definitions
 * only, and a variable declared without it is reached through the GOT, one load more on every
 * fast path that reads it.
 */
#define KZ_HIDDEN __attribute__((visibility("hidden")))

/*
 * On the definition of a variable written only during start-up (the kernel's __ro_after_init):
 * the partial link (ro_after_init.ld) gathers every object's kz_ro_after_init section into whole
 * pages of their own, between kz_ro_after_init_start and kz_ro_after_init_end (init.h), which
 * start-up makes read-only once it is done, so that a stray write cannot redirect them. Only
 * for data no code writes afterwards: no locks, no counters, nothing a fork handler resets.
 */
#define KZ_RO_AFTER_INIT __attribute__((section("kz_ro_after_init")))

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ALIGN_DOWN(x, a) ((x) & ~((uintptr_t) (a) -1))
#define IS_ALIGNED(x, a) (((uintptr_t) (x) & ((uintptr_t) (a) -1)) == 0)
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))

/* The line size of x86-64 caches: descriptors written by one thread start on their own. */
#define KZ_CACHE_LINE 64

/*
 * splitmix64 (Steele, Lea and Flood, 2014): a well-mixed 64-bit sequence from a seed, a handful of
 * instructions a number. Not cryptographic: for choices an attacker cannot see directly (which
 * free slot, which cached object), seeded from os_random_seed.
 */
static inline uint64_t kz_random_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A number below @n, from the high bits by a multiply (Lemire's way: no division). */
static inline uint32_t kz_random_below(uint64_t *state, uint32_t n)
{
	return (uint32_t) (((kz_random_next(state) >> 32) * n) >> 32);
}

#define container_of(ptr, type, member) ((type *) ((char *) (ptr) -offsetof(type, member)))

void kz_assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn, cold));

#define kz_assert(expr)                                                                            \
	do {                                                                                       \
		if (kz_debug && unlikely(!(expr)))                                                 \
			kz_assert_fail(#expr, __FILE__, __LINE__);                                 \
	} while (0)

#endif /* KZ_UTIL_H */
