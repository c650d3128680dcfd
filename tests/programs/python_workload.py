# Deterministic allocation-heavy Python workload for prog_python.
# Output must be byte-identical with and without LD_PRELOAD=libbastion.so.
import ctypes
import hashlib
import json
import os
import random
import re
import sys


# Workload size: argv[1] scales every loop (default 1).
SCALE = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def N(n):
    return max(1, int(n * SCALE))


def probe():
    """Record in $PROBE whether bastion is in this process."""
    path = os.environ.get("PROBE")
    if not path:
        return
    try:
        ctypes.CDLL(None).bastion_malloc
        sym = True
    except AttributeError:
        sym = False
    with open("/proc/self/maps") as f:
        mapped = "libbastion" in f.read()
    with open(path, "w") as f:
        f.write("loaded=1" if (sym and mapped) else "loaded=0")


def digest(data):
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()[:16]


def section_dicts(rng):
    d = {}
    for i in range(N(120000)):
        d["key%d" % rng.randrange(50000)] = [i] * (i % 7)
    # Delete a lot to force resizes and frees.
    for k in list(d):
        if len(d[k]) % 3 == 0:
            del d[k]
    nested = {i: {"a": list(range(i % 50)), "b": str(i) * (i % 13)} for i in range(N(30000))}
    total = sum(len(v["a"]) + len(v["b"]) for v in nested.values())
    merged = {}
    for i in range(5):
        merged.update({("t%d" % j, i): j * i for j in range(N(20000))})
    print("dicts:", len(d), sum(map(len, d.values())), total, len(merged),
          digest(repr(sorted(d.items())[:500])))


def section_lists(rng):
    lst = [rng.random() for _ in range(N(200000))]
    lst.sort()
    lists = [[rng.randrange(1000) for _ in range(rng.randrange(1, 60))] for _ in range(N(20000))]
    lists.sort(key=lambda x: (sum(x), len(x), x))
    grow = []
    for i in range(N(100000)):
        grow.append((i, str(i)))
        if i % 5 == 0:
            grow.pop(rng.randrange(len(grow)))
    words = ["w%05d" % rng.randrange(N(100000)) for _ in range(100000)]
    words.sort(reverse=True)
    print("lists:", "%.12f" % lst[0], "%.12f" % lst[-1], len(lists), sum(lists[0]),
          sum(lists[-1]), len(grow), words[0], words[-1], digest("".join(words)))


def section_json(rng):
    doc = []
    for i in range(N(15000)):
        doc.append({
            "id": i,
            "name": "item-%d" % i,
            "tags": ["t%d" % rng.randrange(100) for _ in range(rng.randrange(5))],
            "score": round(rng.random() * 1000, 3),
            "nested": {"x": i * 3, "y": [i, -i, str(i)], "z": None, "ok": i % 2 == 0},
        })
    text = json.dumps(doc)
    pretty = json.dumps(doc, indent=2, sort_keys=True)
    back = json.loads(text)
    back2 = json.loads(pretty)
    assert back == doc and back2 == doc
    big = json.dumps(list(range(N(300000))))
    print("json:", len(text), len(pretty), len(big), digest(text), digest(pretty),
          sum(x["nested"]["x"] for x in back))


def section_re(rng):
    lines = []
    for i in range(N(40000)):
        lines.append("%s user%d@host%d.example.org GET /path/%d?q=%x HTTP/1.1 %d" % (
            "2024-01-%02d" % (i % 28 + 1), rng.randrange(5000), i % 97, i, i * 7919,
            rng.choice([200, 301, 404, 500])))
    text = "\n".join(lines)
    pat = re.compile(r"^(\d{4})-(\d\d)-(\d\d) (\w+)@([\w.]+) (GET|POST) (\S+) HTTP/1\.1 (\d{3})$", re.M)
    counts = {}
    n = 0
    for m in pat.finditer(text):
        n += 1
        counts[m.group(8)] = counts.get(m.group(8), 0) + 1
    emails = re.findall(r"\buser(\d+)@host(\d+)", text)
    subbed = re.sub(r"q=([0-9a-f]+)", lambda m: "Q=" + m.group(1)[::-1].upper(), text)
    split = re.split(r"[ /?=@.]+", lines[len(lines) // 3])
    compiled = [re.compile(r"user%d@host\d+" % k) for k in range(200)]
    hits = sum(len(c.findall(text)) for c in compiled)
    print("re:", n, sorted(counts.items()), len(emails), digest(subbed), split, hits)


def section_strings(rng):
    parts = []
    for i in range(N(120000)):
        parts.append("%d:%s;" % (i, "x" * (i % 17)))
    joined = "".join(parts)
    s = ""
    for i in range(20000):
        s += chr(ord("a") + i % 26)
        if len(s) > 5000:
            s = s[2500:]
    up = joined.upper().replace("X", "yz")
    fmt = ["{:>10}|{:<8}|{:^6.2f}".format(i, hex(i), i / 7) for i in range(N(50000))]
    b = bytearray()
    for i in range(N(100000)):
        b += bytes([i & 0xFF]) * (i % 5)
    uni = "".join(chr(0x400 + i % 500) for i in range(N(100000))).encode("utf-8").decode("utf-8")
    print("strings:", len(joined), len(s), digest(up), digest("\n".join(fmt)), len(b),
          digest(bytes(b)), len(uni), digest(uni))


def section_objects(rng):
    class Node:
        __slots__ = ("val", "kids")

        def __init__(self, val):
            self.val = val
            self.kids = []

    root = Node(0)
    nodes = [root]
    for i in range(1, N(60000)):
        n = Node(i)
        nodes[rng.randrange(len(nodes))].kids.append(n)
        nodes.append(n)
    total = 0
    stack = [root]
    depth = 0
    while stack:
        n = stack.pop()
        total += n.val * len(n.kids)
        stack.extend(n.kids)
        depth = max(depth, len(stack))
    del nodes, root, stack
    s = set(range(0, N(500000), 3)) & set(range(0, N(500000), 5))
    fs = frozenset("k%d" % i for i in range(N(50000)))
    print("objects:", total, depth, len(s), sum(s), len(fs), "k777" in fs)


def main():
    probe()
    rng = random.Random(12345)
    section_dicts(rng)
    section_lists(rng)
    section_json(rng)
    section_re(rng)
    section_strings(rng)
    section_objects(rng)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
