#!/bin/sh
# Usage: format_test.sh CLANG_FORMAT SOURCE_DIR
# Every C and C++ file of the project must be as clang-format (the
# repository's .clang-format) would write it; prints the offending lines
# and the command that fixes them.
set -u
cf=$1
cd "$2" || exit 2
files=$(ls src/*.c src/*.h include/*.h tests/*.c tests/*.h tests/consumer/*.c fuzz/*.c fuzz/*.h fuzz/planted/*.c \
	tools/*.c bench/*.c bench/*.h security-tests/attack.h security-tests/attacks/*.c \
	security-tests/attacks/*.cpp 2>/dev/null)
# shellcheck disable=SC2086 # one word per file
if ! "$cf" --dry-run -Werror $files; then
	echo "format_test: to fix: $cf -i <file>" >&2
	exit 1
fi
echo "format_test: $(echo "$files" | wc -w) files clean"
