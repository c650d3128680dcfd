"""A real program for bench/run: CPython doing allocation-heavy everyday
work (dicts, lists, strings, small objects, a JSON round trip). CPython
takes its small objects from its own pools (pymalloc) and everything larger
(dict tables, list arrays, strings, JSON buffers) from malloc, so this is
the mix a real interpreter gives the allocator.

usage: python3 bench/py_work.py [SCALE]   (SCALE 1: about 1-2 s under glibc)
Prints one line ending in a checksum. Fixed seed: the same work every run.
"""

import json
import random
import sys


class Record:
    """A small object with a __dict__, like most application objects."""

    def __init__(self, key, name, tags, score):
        self.key = key
        self.name = name
        self.tags = tags
        self.score = score


def make_records(rng, n):
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    out = []
    for i in range(n):
        name = "-".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
        tags = [rng.choice(words)[: rng.randint(1, 5)] for _ in range(rng.randint(0, 5))]
        out.append(Record(i, name * rng.randint(1, 3), tags, rng.random()))
    return out


def index(records):
    """Dicts of lists keyed by strings: grow, rehash, shrink."""
    by_tag = {}
    by_name = {}
    for r in records:
        for t in r.tags:
            by_tag.setdefault(t, []).append(r.key)
        by_name[r.name + str(r.key % 97)] = r
    return sum(len(v) for v in by_tag.values()) + len(by_name)


def text_work(records):
    """String building, splitting and joining: many short-lived strings."""
    lines = ["%d,%s,%s,%.4f" % (r.key, r.name, "|".join(r.tags), r.score) for r in records]
    blob = "\n".join(lines)
    total = 0
    for line in blob.split("\n"):
        fields = line.split(",")
        total += len(fields[1].upper()) + len(fields[2].replace("|", ""))
    return total


def json_round_trip(records):
    doc = [{"key": r.key, "name": r.name, "tags": r.tags, "score": round(r.score, 6)}
           for r in records]
    text = json.dumps(doc)
    back = json.loads(text)
    return len(text) + sum(d["key"] for d in back)


def churn(rng, n):
    """Lists and tuples appended and dropped: a work queue."""
    queue = []
    total = 0
    for i in range(n):
        queue.append((i, str(i), [i] * rng.randint(1, 8)))
        if len(queue) > 1000:
            for item in queue[:700]:
                total += len(item[2])
            del queue[:700]
    return total + len(queue)


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    rng = random.Random(12345)
    total = max(500, int(80000 * scale))  # records over all rounds
    rounds = max(1, round(4 * scale))
    n = total // rounds
    check = 0
    for _ in range(rounds):
        records = make_records(rng, n)
        check += index(records)
        check += text_work(records)
        check += json_round_trip(records)
        check += churn(rng, n * 5)
        del records
    print("python rounds=%d records=%d checksum=%d" % (rounds, n, check))


if __name__ == "__main__":
    main()
