/*
 * canary.h - the end-of-object canary (KZMALLOC_CHECK=canary): the bytes
 * of a block past the request are filled at allocation and checked when
 * the block is freed or reallocated, so that a small overflow (an
 * off-by-one, a missing terminator's byte) stops the program at the free.
 *
 * A block of @room bytes that served a request of @size bytes holds, from
 * @size on, its slack (room - size bytes): a zero byte first, so that a
 * string filling the request ends there (strlen stops at the usable size),
 * then a pattern byte (the key's, never zero), and in its last 8 bytes the
 * word (key & ~0xff) ^ slack << 8, whose first byte (little-endian) is zero
 * too. The key mixes the block's address with a per-process secret, so an
 * overflow cannot rewrite the word into a valid one. A NUL written at
 * @size changes nothing and goes unseen; any other byte there, or any byte
 * past it, is caught. A class object is chosen for @size + KZ_CANARY_MIN
 * bytes, so it always has the word, and the word alone records its size
 * (canary_check). A page run records its slack out of band (large.h), so
 * its canary may be shorter: with KZMALLOC_CHECK=guard a run gets no room
 * for it, only the slack of its last page (harden.h), which may hold fewer
 * than KZ_CANARY_MIN bytes (the zero byte and pattern bytes, no word) or
 * none (a page multiple: the guard page is right after it). Huge mappings
 * carry none (their tail pages are never touched: KZMALLOC_CHECK=guard
 * covers them).
 *
 * Whether the canary is on is the hardening policy's (harden.h: harden_canary); this file fills
 * and checks it. The secret is set at start-up and read-only afterwards. No locks.
 */
#ifndef KZ_CANARY_H
#define KZ_CANARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define KZ_CANARY_MIN 8

/*
 * The bytes a request needs beyond its size: KZ_CANARY_MIN with the canary, 0 without (set by
 * canary_init, read-only afterwards; KZ_CANARY_MIN before it, as if it were on). Read it through
 * harden_canary_room (harden.h).
 */
extern KZ_HIDDEN size_t canary_room;

/* Turn the canary on (take the secret) or off; once, at start-up (harden_init). */
void canary_init(bool on);

/*
 * Fill the canary of the block @obj of @room bytes that serves a request of @size bytes: all of
 * its slack, whatever its length (0 bytes: nothing; under KZ_CANARY_MIN: no word).
 */
void canary_arm(void *obj, size_t room, size_t size);

/*
 * Check the canary of a block whose request size is known (a page run's, large.h): one line and
 * abort for @func if it is broken.
 */
void canary_verify(const void *obj, size_t room, size_t size, const char *func);

/*
 * The request size a class object's canary records (its slack is at least KZ_CANARY_MIN bytes);
 * one line and abort for @func if it is broken.
 */
size_t canary_check(const void *obj, size_t room, const char *func);

#endif /* KZ_CANARY_H */
