#!/bin/sh
# The Debian packages (debian/): dpkg-buildpackage -us -uc -b builds
# libbastion0, libbastion-dev and bastion-tools from a clean copy of the
# source, lintian finds no error in them, and, unpacked in a scratch root,
# they build and run a program on the packaged library (through its
# pkg-config file) and run the packaged bastion-run.
#   tests/debian_test.sh SOURCE_DIR WORKDIR
# Exit 77 (skipped) without dpkg-buildpackage and debhelper.
set -u
src=$1
work=$2
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || {
	echo "debian_test: dpkg-buildpackage or debhelper missing: skipped"
	exit 77
}
fail() {
	echo "debian_test: $*" >&2
	exit 1
}
rm -rf "$work"
mkdir -p "$work/tree" "$work/root"
# A clean copy: the tracked files of a checkout, or the tree without builds.
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/tree") ||
		fail "cannot copy the source"
else
	(cd "$src" && tar --exclude=./build -cf - .) | (cd "$work/tree" && tar -xf -) || fail "cannot copy the source"
fi
(cd "$work/tree" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
	{ tail -40 "$work/build.log" >&2; fail "dpkg-buildpackage failed"; }
for p in libbastion0 libbastion-dev bastion-tools; do
	deb=$(ls "$work"/${p}_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || fail "no $p package"
	dpkg -x "$deb" "$work/root" || fail "cannot unpack $deb"
done
if command -v lintian >/dev/null; then
	lintian "$work"/*.changes >"$work/lintian.log" 2>&1
	if grep -q '^E: ' "$work/lintian.log"; then
		cat "$work/lintian.log" >&2
		fail "lintian reports errors"
	fi
else
	echo "debian_test: lintian missing: not run"
fi

# A program built against the packaged files, run on the packaged library.
root=$work/root
libdir=$(dirname "$(ls "$root"/usr/lib/*/libbastion.so.0)")
cat >"$work/prog.c" <<'PROG'
#include <bastion.h>
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
	char *p = malloc(100);
	/* bastion's bounds are byte-exact: the usable size is the request. */
	printf("%zu %zu\n", bastion_chunk_size(100), malloc_usable_size(p));
	free(p);
	fflush(stdout);
	free(p); /* a double free: bastion reports it and aborts */
	return 0;
}
PROG
sed -i 's/#include <stdlib.h>/#include <malloc.h>\n#include <stdlib.h>/' "$work/prog.c"
flags=$(PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root pkg-config --cflags --libs bastion) ||
	fail "pkg-config cannot read the packaged bastion.pc"
# shellcheck disable=SC2086 # flags are a word list
cc -o "$work/prog" "$work/prog.c" $flags || fail "cannot build against the packaged files"
LD_LIBRARY_PATH=$libdir "$work/prog" >"$work/out" 2>"$work/err"
status=$?
[ "$status" -eq 134 ] && grep -q '^bastion: double-free: ' "$work/err" && grep -qx '112 100' "$work/out" ||
	fail "the program did not run on the packaged library (status $status): $(cat "$work/out" "$work/err")"
# The packaged bastion-run preloads the packaged library.
grep -q "^lib='/usr/lib/.*/libbastion.so.0'" "$root/usr/bin/bastion-run" ||
	fail "bastion-run does not preload the installed path"
"$root/usr/bin/bastion-run" --lib "$libdir/libbastion.so.0" --options stats_at_exit=1 ls "$work" \
	>/dev/null 2>"$work/run.err" || fail "bastion-run failed: $(cat "$work/run.err")"
grep -q 'bastion malloc_stats' "$work/run.err" || fail "bastion-run: no stats from the preloaded library"
[ -f "$root/usr/share/doc/bastion-tools/examples/bastion-preload.conf" ] ||
	fail "no systemd drop-in example"
echo "debian_test: three packages built, lintian clean of errors, a program built and run on them"
