#!/bin/sh
# The ClusterFuzzLite / OSS-Fuzz build contract (.clusterfuzzlite/build.sh),
# run as OSS-Fuzz runs it for libFuzzer and AddressSanitizer: CC, CXX,
# CFLAGS, LIB_FUZZING_ENGINE and OUT set, nothing else assumed. Every
# harness must come out with its seed corpus, and run its corpus clean.
#   fuzz/oss_fuzz_test.sh CC CXX OUTDIR
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$3
rm -rf "$out"
mkdir -p "$out"
CC=$1 CXX=$2 OUT=$out WORK=$out/.work LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
	CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link" \
	"$root/.clusterfuzzlite/build.sh"
n=0
for src in "$root"/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	[ -x "$out/$name" ] || { echo "oss_fuzz_test: $out/$name was not built" >&2; exit 1; }
	[ -f "$out/${name}_seed_corpus.zip" ] || { echo "oss_fuzz_test: no seed corpus for $name" >&2; exit 1; }
	corpus="$out/.work/corpus-$name"
	rm -rf "$corpus"
	mkdir -p "$corpus"
	python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
		"$out/${name}_seed_corpus.zip" "$corpus"
	dict=""
	[ -f "$out/$name.dict" ] && dict="-dict=$out/$name.dict"
	# shellcheck disable=SC2086 # dict is empty or one word
	"$out/$name" -runs=0 $dict "$corpus" >"$out/.work/$name.log" 2>&1 ||
		{ cat "$out/.work/$name.log" >&2; echo "oss_fuzz_test: $name failed on its corpus" >&2; exit 1; }
	n=$((n + 1))
done
echo "oss_fuzz_test: $n harnesses built by .clusterfuzzlite/build.sh ran their corpora clean"
