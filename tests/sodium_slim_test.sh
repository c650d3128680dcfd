#!/bin/sh
# Usage: sodium_slim_test.sh LIBRARY
#
# A libbastion.so built with libsodium's archive starts only the ChaCha20
# code it uses (src/sodium_start.c). Were sodium_init linked again, every
# primitive it sets up would come with it (175 KB of text that every
# process maps): this fails if any of their code is in LIBRARY, or if the
# ChaCha20 code is missing, or if the library's own sodium_misuse is
# exported, where it would stand in for a program's libsodium.
#
# NM may name the nm binary (CMake passes CMAKE_NM).
set -eu
lib=$1
nm=${NM:-nm}
syms=$("$nm" "$lib") || {
	echo "sodium_slim_test: $nm $lib failed" >&2
	exit 2
}
status=0
for s in sodium_init argon2_ctx blake2b_compress_ref crypto_scalarmult_curve25519 \
	poly1305_blocks crypto_stream_salsa20; do
	if printf '%s\n' "$syms" | awk -v s="$s" '$NF == s { f = 1 } END { exit !f }'; then
		echo "sodium_slim_test: FAIL: $lib contains $s" >&2
		status=1
	fi
done
if ! printf '%s\n' "$syms" | grep -q 'crypto_stream_chacha20_dolbeau_avx2_implementation'; then
	echo "sodium_slim_test: FAIL: $lib lacks libsodium's vectorised ChaCha20" >&2
	status=1
fi
if "$nm" -D --defined-only "$lib" | awk '$NF == "sodium_misuse" { f = 1 } END { exit !f }'; then
	echo "sodium_slim_test: FAIL: $lib exports sodium_misuse" >&2
	status=1
fi
[ $status -eq 0 ] && echo "sodium_slim_test: ok"
exit $status
