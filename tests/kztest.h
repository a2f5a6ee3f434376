/*
 * kztest.h - helpers shared by the test programs: a seeded PRNG, RSS,
 * content patterns, and a scale factor that shrinks loops under Valgrind.
 */
#ifndef KZTEST_H
#define KZTEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include "kzmalloc.h"

#if defined(__SANITIZE_THREAD__)
#define KZT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KZT_TSAN 1
#endif
#endif
#ifndef KZT_TSAN
#define KZT_TSAN 0
#endif
#if defined(__SANITIZE_ADDRESS__)
#define KZT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KZT_ASAN 1
#endif
#endif
#ifndef KZT_ASAN
#define KZT_ASAN 0
#endif

/*
 * Loop counts are divided by this under Valgrind, which runs code ~50x
 * slower, under ThreadSanitizer (~10x, and more for large memsets) and
 * under AddressSanitizer (with UBSan and coverage, ~4x).
 */
static inline unsigned kzt_scale(void)
{
	return RUNNING_ON_VALGRIND ? 20 : KZT_TSAN ? 10 : KZT_ASAN ? 4 : 1;
}

/* xorshift64*: small, fast, and the same sequence for the same seed. */
static inline uint64_t kzt_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* KZ_TEST_SEED from the environment if set, else @fallback (0: from the clock). */
static inline uint64_t kzt_seed(uint64_t fallback)
{
	const char *env = getenv("KZ_TEST_SEED");
	struct timespec ts;

	if (env && *env)
		return strtoull(env, NULL, 0) | 1;
	if (fallback)
		return fallback;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t) ts.tv_nsec * 2654435761u) ^ (uint64_t) getpid() ^ 1;
}

/*
 * Whether the mapping holding @addr has a no-access mapping right below and right above it (the
 * metadata arena's guard pages), from /proc/self/maps.
 */
static inline bool kzt_between_guards(const void *addr)
{
	unsigned long lo, hi, prev_hi = 0, a = (unsigned long) addr;
	char perms[5], prev_perms[5] = "", line[512];
	bool below = false, found = false, above = false;
	FILE *maps = fopen("/proc/self/maps", "r");

	if (!maps)
		return false;
	while (fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3)
			continue;
		if (found) {
			above = lo == prev_hi && !strcmp(perms, "---p");
			break;
		}
		if (a >= lo && a < hi) {
			below = lo == prev_hi && !strcmp(prev_perms, "---p");
			found = true;
		}
		prev_hi = hi;
		memcpy(prev_perms, perms, sizeof(perms));
	}
	fclose(maps);
	return below && above;
}

/* Resident set size in bytes, from /proc/self/statm. */
static inline size_t kzt_rss(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (size_t) sysconf(_SC_PAGESIZE);
}

static inline int kzt_is_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) { /* a word at a time: the tests check blocks of GiBs */
		uint64_t w;

		memcpy(&w, c + i, sizeof(w));
		if (w)
			return 0;
	}
	for (; i < len; i++)
		if (c[i])
			return 0;
	return 1;
}

/* Milliseconds on the monotonic clock. */
static inline double kzt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

/* Write, then check, a pattern that names its owner (id) and position, in whole words at @p. */
static inline void kzt_fill(void *p, size_t len, uint64_t id)
{
	uint64_t *w = p;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = id * 0x9E3779B97F4A7C15ULL + i;
}

static inline int kzt_check(const void *p, size_t len, uint64_t id)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < len / 8; i++)
		if (w[i] != id * 0x9E3779B97F4A7C15ULL + i)
			return 0;
	return 1;
}

#endif /* KZTEST_H */
