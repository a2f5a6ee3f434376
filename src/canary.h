/*
 * canary.h - the end-of-object canary (KZMALLOC_CHECK=canary): the bytes
 * of a block past the request are filled at allocation and checked when
 * the block is freed or reallocated, so that a small overflow (an
 * off-by-one, a missing terminator's byte) stops the program at the free.
 *
 * A block of @room bytes that served a request of @size bytes holds, from
 * @size on, a pattern byte up to its last 8 bytes, and there the word
 * key ^ (room - size). The key mixes the block's address with a per-process
 * secret, so an overflow cannot rewrite the word into a valid one, and the
 * pattern byte (never zero) is the key's. The request always leaves room
 * for the word: the block is chosen for @size + KZ_CANARY_MIN bytes.
 * Class objects and page runs carry it; huge mappings do not (their tail
 * pages are never touched: KZMALLOC_CHECK=guard covers them).
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

/* Fill the canary of the block @obj of @room bytes that serves a request of @size bytes. */
void canary_arm(void *obj, size_t room, size_t size);

/* The request size a block's canary records; one line and abort for @func if it is broken. */
size_t canary_check(const void *obj, size_t room, const char *func);

#endif /* KZ_CANARY_H */
