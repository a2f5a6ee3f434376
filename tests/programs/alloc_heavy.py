#!/usr/bin/env python3
# alloc_heavy.py - an allocation-heavy Python job for run_programs.sh: build
# and tear down dicts, lists, tuples, sets and strings of many sizes, and
# print a checksum of what was computed. The output does not depend on hash
# seeds or addresses, so it is the same under any allocator.
import gc
import zlib


def rng(state):
    """xorshift64*, the same sequence for the same seed, everywhere."""
    while True:
        state ^= state >> 12
        state ^= (state << 25) & 0xFFFFFFFFFFFFFFFF
        state ^= state >> 27
        yield (state * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF


def round_of(r, n):
    words = ["w%x" % (next(r) >> 44) + "x" * (next(r) % 200) for _ in range(n)]
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    pairs = sorted((v, k) for k, v in counts.items())
    nested = {k: [k[: i + 1] for i in range(len(k) % 7)] for k in counts}
    uniq = set(words)
    joined = "|".join(sorted(uniq))
    big = [list(range(i % 300)) for i in range(n // 4)]
    tuples = [(i, str(i), float(i)) for i in range(n // 2)]
    crc = zlib.crc32(joined.encode())
    crc = zlib.crc32(repr(pairs[-50:]).encode(), crc)
    crc = zlib.crc32(repr(sorted(nested.items())[:50]).encode(), crc)
    total = sum(map(len, big)) + sum(t[0] for t in tuples) + len(uniq)
    del words, counts, pairs, nested, uniq, joined, big, tuples
    return crc, total


def main():
    r = rng(0x9E3779B97F4A7C15)
    crc, total = 0, 0
    for i in range(6):
        c, t = round_of(r, 15000 + 5000 * i)
        crc = zlib.crc32(c.to_bytes(4, "little"), crc)
        total += t
        gc.collect()
    # Strings that grow by concatenation, then a big bytes round trip.
    s = ""
    for i in range(50000):
        s += chr(97 + i % 26)
    blob = bytes(s, "ascii") * 40
    crc = zlib.crc32(blob, crc)
    print("alloc_heavy: crc %08x total %d len %d" % (crc, total, len(blob)))


if __name__ == "__main__":
    main()
