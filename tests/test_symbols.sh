#!/bin/sh
# Usage: test_symbols.sh LIBRARY EXPECTED-LIST
#
# The dynamic symbols LIBRARY defines (nm -D --defined-only) must be exactly
# the names in EXPECTED-LIST, one per line: nothing missing, nothing extra
# (an extra name is an internal symbol leaking into every process that
# loads bastion). Each must also be a function in the text section (nm type
# T): bastion exports no data.
#
# Nothing is filtered out. Linkers that put _init/_fini (or __bss_start,
# _edata, _end) in .dynsym would make this test fail; with the toolchains
# checked (GNU ld 2.40 with gcc 12 and clang 14, glibc 2.36 crti.o, which
# marks _init/_fini hidden) none of them appears, so any such name showing
# up is a real change to the export list to look at, not noise.
#
# NM may name the nm binary (CMake passes CMAKE_NM).
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 LIBRARY EXPECTED-LIST" >&2
	exit 2
fi
lib=$1
expected=$2
nm=${NM:-nm}

for f in "$lib" "$expected"; do
	if [ ! -r "$f" ]; then
		echo "test_symbols: cannot read $f" >&2
		exit 2
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$nm" -D --defined-only "$lib" >"$tmp/nm.out"; then
	echo "test_symbols: $nm -D --defined-only $lib failed" >&2
	exit 2
fi
# Lines are "ADDRESS TYPE NAME"; a versioned name would read NAME@@VERSION
# and so not match the list, which is what we want.
awk 'NF >= 2 { print $NF }' "$tmp/nm.out" | LC_ALL=C sort >"$tmp/actual"
# The list may carry blank lines and # comments.
sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$expected" | LC_ALL=C sort >"$tmp/expected"

status=0
if [ ! -s "$tmp/actual" ]; then
	echo "test_symbols: FAIL: $lib defines no dynamic symbols" >&2
	status=1
fi
if [ -n "$(uniq -d "$tmp/expected")" ]; then
	echo "test_symbols: FAIL: duplicate names in $expected:" >&2
	uniq -d "$tmp/expected" >&2
	status=1
fi
if ! diff -u "$tmp/expected" "$tmp/actual" >"$tmp/diff"; then
	echo "test_symbols: FAIL: exported symbols of $lib differ from $expected" >&2
	echo "('-' expected but not exported, '+' exported but not expected)" >&2
	sed -e '1s|.*|--- expected ('"$expected"')|' -e '2s|.*|+++ actual ('"$nm"' -D --defined-only)|' \
		"$tmp/diff" >&2
	status=1
fi
not_text=$(awk 'NF >= 3 && $2 != "T" { print "  " $0 }' "$tmp/nm.out")
if [ -n "$not_text" ]; then
	echo "test_symbols: FAIL: exported symbols that are not text-section functions (type T):" >&2
	echo "$not_text" >&2
	status=1
fi
if [ "$status" -eq 0 ]; then
	echo "test_symbols: ok, $(wc -l <"$tmp/actual") symbols as listed"
fi
exit "$status"
