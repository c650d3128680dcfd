#!/usr/bin/env python3
"""stats_format=json, read as a monitoring agent would: the exit report of
`test_stats exit-child 10 keep` (ten live 100-byte blocks) must be one line
that a JSON parser accepts, with the documented fields, and numbers that
agree with each other. Usage: stats_json_test.py TEST_STATS"""
import json
import os
import subprocess
import sys

CLASS_FIELDS = {"class", "chunk_size", "zones", "chunks_exposed", "chunks_in_use",
                "chunks_quarantined", "chunks_cached", "chunks_free", "chunks_canary",
                "bytes_in_use", "bytes_mapped", "bytes_resident"}


def main():
    env = dict(os.environ, BASTION_OPTIONS="sample_rate=0,stats_at_exit=1,stats_format=json")
    r = subprocess.run([sys.argv[1], "exit-child", "10", "keep"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    lines = [l for l in r.stderr.splitlines() if l.startswith("{")]
    assert len(lines) == 1, r.stderr
    d = json.loads(lines[0])
    assert d["format"] == "bastion-stats-1", d
    assert d["pid"] > 0 and d["program"] == os.path.basename(sys.argv[1])[:15], d
    assert set(d) == {"format", "pid", "program", "classes", "large", "sampled",
                      "private_zones", "total"}, set(d)
    for c in d["classes"]:
        assert set(c) == CLASS_FIELDS, c
        assert c["zones"] > 0 and c["bytes_in_use"] == c["chunks_in_use"] * c["chunk_size"], c
    hundred = [c for c in d["classes"] if c["chunk_size"] == 112]
    assert hundred and hundred[0]["chunks_in_use"] == 10, d["classes"]
    parts = sum(c["bytes_in_use"] for c in d["classes"]) + d["large"]["bytes_in_use"] + \
        d["sampled"]["bytes_in_use"] + d["private_zones"]["bytes_in_use"]
    assert d["total"]["bytes_in_use"] == parts, (d["total"], parts)
    print("stats_json: the exit report parses and adds up (%d classes)" % len(d["classes"]))


if __name__ == "__main__":
    main()
