#!/bin/sh
# man_test: the man pages render without a single groff warning (-ww turns
# them all on; -z formats without printing), say the project's version, and
# bastion(3)'s options table lists every option in src/options.def.
# Usage: man_test.sh GROFF VERSION SOURCE_DIR    (GROFF empty: skip, 77)
set -u
groff=$1 version=$2 src=$3
if [ -z "$groff" ]; then
	echo "SKIP: groff not found (scripts/deps installs groff-base)"
	exit 77
fi
FAILED=0
fail() {
	echo "FAIL: $*" >&2
	FAILED=1
}
err=$(mktemp) || exit 1
trap 'rm -f "$err"' EXIT

for page in "$src/man/bastion.3" "$src/man/bastion-run.1"; do
	# groff exits 0 on warnings: stderr is what tells.
	if ! "$groff" -man -Tutf8 -ww -z "$page" 2>"$err" || [ -s "$err" ]; then
		fail "$page does not render cleanly:"
		sed 's/^/    /' "$err" >&2
	fi
	grep -q "^\.TH .* \"bastion $version\" " "$page" ||
		fail "$page: the .TH line does not say bastion $version"
done

# The options table (generated or not) must not fall behind options.def.
page=$src/man/bastion.3
table=$(sed -n '/^\.\\" BEGIN OPTIONS TABLE$/,/^\.\\" END OPTIONS TABLE$/p' "$page")
[ -n "$table" ] || fail "$page: no BEGIN/END OPTIONS TABLE region"
# shellcheck disable=SC2013 # option names are single words
for name in $(sed -n 's/^BST_OPTION(\([a-z_0-9]*\),.*/\1/p' "$src/src/options.def"); do
	printf '%s\n' "$table" | grep -q "^\.B $name=" || fail "$page: option $name is not in the table"
done

[ "$FAILED" = 0 ] || exit 1
echo "PASS"
