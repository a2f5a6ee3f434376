"""alloc_heavy.py N - an allocation-heavy Python program for scripts/bench.

Builds N records of dicts, lists and strings, round-trips them through
JSON, sorts, indexes and rebuilds them, then drops everything. Run with
PYTHONMALLOC=malloc so that every object comes from the allocator under
test (by default CPython keeps objects up to 512 bytes in its own pools).
Deterministic: a fixed seed.
"""
import json
import random
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    rnd = random.Random(1)
    records = [
        {
            "id": i,
            "name": "user%d" % i,
            "tags": ["t%x" % rnd.getrandbits(24) for _ in range(rnd.randint(1, 8))],
            "score": rnd.random(),
            "bio": "x" * rnd.randint(10, 400),
        }
        for i in range(n)
    ]
    text = json.dumps(records)
    back = json.loads(text)
    back.sort(key=lambda r: r["score"])
    by_name = {r["name"]: r for r in back}
    tag_count = {}
    for r in back:
        for t in r["tags"]:
            tag_count[t] = tag_count.get(t, 0) + 1
    words = " ".join(r["bio"] + r["name"] for r in back).split("x")
    for i in range(0, n, 3):
        del by_name["user%d" % i]
    rebuilt = [tuple(sorted(r.items(), key=lambda kv: kv[0])) for r in by_name.values()]
    print(len(text), len(tag_count), len(words), len(rebuilt))


if __name__ == "__main__":
    main()
