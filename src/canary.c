/*
 * canary.c - filling and checking the end-of-object canary (canary.h).
 *
 * Owns canary_room and the secret: written once by canary_init during start-up, read-only
 * afterwards (sealed: KZ_RO_AFTER_INIT). No locks.
 */
#include "canary.h"

#include <string.h>
#include <sys/auxv.h>

#include "fatal.h"

/* Until start-up decides, as if the canary were on: a class chosen early has room for it. */
KZ_RO_AFTER_INIT size_t canary_room = KZ_CANARY_MIN;
KZ_RO_AFTER_INIT static uint64_t canary_secret;

void canary_init(bool on)
{
	const void *random = (const void *) getauxval(AT_RANDOM);
	uint64_t bytes[2];

	if (!on) {
		canary_room = 0;
		return;
	}
	/* AT_RANDOM: 16 bytes from the kernel (not aligned), there from exec on; or an address. */
	if (random) {
		memcpy(bytes, random, sizeof(bytes));
		canary_secret = bytes[0] ^ bytes[1];
	} else {
		canary_secret = (uintptr_t) &canary_secret;
	}
	canary_room = KZ_CANARY_MIN;
}

/* A per-block key: the address through a multiply that spreads it, keyed by the secret. */
static uint64_t canary_key(const void *obj)
{
	uint64_t x = ((uintptr_t) obj ^ canary_secret) * 0x9e3779b97f4a7c15ull;

	return x ^ (x >> 29);
}

/* The pattern byte: never zero, so that a zero written over it shows. */
static uint8_t canary_byte(uint64_t key)
{
	return (uint8_t) (key >> 40) | 1;
}

/* The word that ends a slack of @slack bytes: keyed, and its first byte zero (little-endian). */
static uint64_t canary_word(uint64_t key, size_t slack)
{
	return (key & ~(uint64_t) 0xff) ^ (uint64_t) slack << 8;
}

/* Where the pattern bytes of a slack end: at the word, or with no room for one at the end. */
static size_t pattern_end(size_t room, size_t size)
{
	return room - size >= KZ_CANARY_MIN ? room - KZ_CANARY_MIN : room;
}

/*
 * The pattern of a slack: a zero byte, then @byte up to the word. By unaligned words from the
 * request's end (x86-64 loads and stores them at no cost), the first with its low byte zero, the
 * last overlapping the one before it; memset for long ones (page runs).
 */
static void pattern_fill(unsigned char *p, size_t len, uint8_t byte)
{
	uint64_t pattern = byte * 0x0101010101010101ull, first = pattern & ~(uint64_t) 0xff;
	size_t i;

	if (len < 8 || len > 64) {
		memset(p, byte, len);
		p[0] = 0; /* where a string filling the request ends */
		return;
	}
	memcpy(p, &first, sizeof(first));
	for (i = 8; i + 8 <= len; i += 8)
		memcpy(p + i, &pattern, sizeof(pattern));
	if (i < len)
		memcpy(p + len - 8, &pattern, sizeof(pattern));
}

/* Whether the @len bytes at @p (at least 1) hold the pattern (pattern_fill), the same way. */
static bool pattern_is(const unsigned char *p, size_t len, uint8_t byte)
{
	uint64_t pattern = byte * 0x0101010101010101ull, w;
	size_t i;

	if (len < 8) {
		for (i = 1; i < len; i++)
			if (p[i] != byte)
				return false;
		return p[0] == 0;
	}
	memcpy(&w, p, sizeof(w));
	if (w != (pattern & ~(uint64_t) 0xff))
		return false;
	for (i = 8; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, sizeof(w));
		if (w != pattern)
			return false;
	}
	memcpy(&w, p + len - 8, sizeof(w));
	return i == len || w == pattern;
}

void canary_arm(void *obj, size_t room, size_t size)
{
	uint64_t key = canary_key(obj), word = canary_word(key, room - size);
	size_t end = pattern_end(room, size);
	unsigned char *p = obj;

	kz_assert(room >= size);
	/* With a word, its first byte is the zero one when the pattern is empty (8 bytes). */
	if (end > size)
		pattern_fill(p + size, end - size, canary_byte(key));
	if (end < room)
		memcpy(p + end, &word, sizeof(word));
}

/* The pattern bytes of a slack (before its word, if it has one) are intact. */
static void verify_pattern(const unsigned char *p, size_t room, size_t size, uint64_t key,
			   const char *func)
{
	size_t end = pattern_end(room, size);

	if (end > size && !pattern_is(p + size, end - size, canary_byte(key)))
		kz_fatal(func, "write past the end of", p);
}

void canary_verify(const void *obj, size_t room, size_t size, const char *func)
{
	uint64_t key = canary_key(obj), word;

	verify_pattern(obj, room, size, key, func);
	if (room - size < KZ_CANARY_MIN)
		return;
	memcpy(&word, (const char *) obj + room - KZ_CANARY_MIN, sizeof(word));
	if (word != canary_word(key, room - size))
		kz_fatal(func, "write past the end of", obj);
}

/* The word gives the slack, so it needs no compare of its own; then the pattern before it. */
size_t canary_check(const void *obj, size_t room, const char *func)
{
	uint64_t key = canary_key(obj), word, slack;

	memcpy(&word, (const char *) obj + room - KZ_CANARY_MIN, sizeof(word));
	word ^= canary_word(key, 0);
	slack = word >> 8;
	if ((word & 0xff) || slack < KZ_CANARY_MIN || slack > room)
		kz_fatal(func, "write past the end of", obj);
	verify_pattern(obj, room, room - (size_t) slack, key, func);
	return room - (size_t) slack;
}
