#!/bin/bash -eu
# The OSS-Fuzz / ClusterFuzzLite build contract for bastion's own fuzz
# harnesses (fuzz/fuzz_*.c). The builder sets the variables:
#   CC, CXX            compilers (clang, clang++)
#   CFLAGS             sanitizer and coverage flags for everything compiled
#   LIB_FUZZING_ENGINE what links a harness to its engine (-fsanitize=fuzzer,
#                      or an engine's archive)
#   OUT                where the harnesses, seed corpora and dictionaries go
#   WORK               scratch space (defaults to a directory under OUT)
# The allocator is built as the prefixed library (bastion_* entry points, the
# process keeps its malloc, so the sanitizers keep theirs) with CC and
# CFLAGS, then each harness is compiled and linked against it and the
# engine. Output, per harness fuzz_NAME: $OUT/fuzz_NAME, its seed corpus
# $OUT/fuzz_NAME_seed_corpus.zip (from fuzz/corpus/NAME) and, where there
# is one, its dictionary $OUT/fuzz_NAME.dict (fuzz/dict/NAME.dict).
# Tested by the fuzz preset's ctest (oss_fuzz_build) with those variables
# set as OSS-Fuzz sets them for libFuzzer and AddressSanitizer.
root=$(cd "$(dirname "$0")/.." && pwd)
: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${OUT:?set OUT to the output directory}"
: "${WORK:=$OUT/.work}"
mkdir -p "$OUT" "$WORK"
build="$WORK/bastion"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$CC" \
	-DCMAKE_C_FLAGS="$CFLAGS" -DBASTION_BUILD_TESTS=OFF -DBASTION_BUILD_BENCH=OFF \
	-DBASTION_BUILD_FUZZ=OFF -DBASTION_OVERRIDE_MALLOC=OFF >/dev/null
cmake --build "$build" --target bastion_prefixed -j"$(nproc)" >/dev/null

# shellcheck disable=SC2086 # flags are word lists
sodium_libs=$(pkg-config --libs libsodium)
for src in "$root"/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	# shellcheck disable=SC2086
	$CC $CFLAGS -D_GNU_SOURCE -I"$root/include" -I"$root/src" -I"$root/fuzz" -c "$src" \
		-o "$WORK/$name.o"
	# shellcheck disable=SC2086
	$CXX $CFLAGS "$WORK/$name.o" -o "$OUT/$name" $LIB_FUZZING_ENGINE \
		"$build/libbastion_prefixed.a" $sodium_libs -pthread
	if [ -d "$root/fuzz/corpus/$short" ]; then
		rm -f "$OUT/${name}_seed_corpus.zip"
		(cd "$root/fuzz/corpus/$short" &&
			python3 -c 'import os, sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w")
for f in sorted(os.listdir(".")):
    if os.path.isfile(f):
        z.write(f)
z.close()' "$OUT/${name}_seed_corpus.zip")
	fi
	if [ -f "$root/fuzz/dict/$short.dict" ]; then
		cp "$root/fuzz/dict/$short.dict" "$OUT/$name.dict"
	fi
done
echo "build.sh: built $(ls "$root"/fuzz/fuzz_*.c | wc -l) harnesses into $OUT"
