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

static uint8_t canary_byte(uint64_t key)
{
	return (uint8_t) (key >> 40) | 1;
}

void canary_arm(void *obj, size_t room, size_t size)
{
	uint64_t key = canary_key(obj), word = key ^ (room - size);

	kz_assert(room >= size + KZ_CANARY_MIN);
	memset((char *) obj + size, canary_byte(key), room - KZ_CANARY_MIN - size);
	memcpy((char *) obj + room - KZ_CANARY_MIN, &word, sizeof(word));
}

/* Whether [p, p + len) holds nothing but @byte: by words once p is word-aligned. */
static bool bytes_are(const unsigned char *p, size_t len, uint8_t byte)
{
	uint64_t pattern = byte * 0x0101010101010101ull, w;
	size_t i = 0;

	for (; i < len && ((uintptr_t) (p + i) & 7); i++)
		if (p[i] != byte)
			return false;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, sizeof(w));
		if (w != pattern)
			return false;
	}
	for (; i < len; i++)
		if (p[i] != byte)
			return false;
	return true;
}

size_t canary_check(const void *obj, size_t room, const char *func)
{
	uint64_t key = canary_key(obj), word;
	size_t size;

	memcpy(&word, (const char *) obj + room - KZ_CANARY_MIN, sizeof(word));
	word ^= key;
	if (word < KZ_CANARY_MIN || word > room)
		kz_fatal(func, "write past the end of", obj);
	size = room - (size_t) word;
	if (!bytes_are((const unsigned char *) obj + size, room - KZ_CANARY_MIN - size,
		       canary_byte(key)))
		kz_fatal(func, "write past the end of", obj);
	return size;
}
