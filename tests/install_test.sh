#!/bin/sh
# install_test: installs the build tree into a temporary prefix with
# `cmake --install` and uses it as a user would: a CMake project with
# find_package(bastion), cc with pkg-config (shared and static), and the
# installed bastion-run. Every program built must really run on bastion
# (tests/consumer/main.c checks that), and the install tree must not point
# back into the build tree.
#
# Usage: install_test.sh CMAKE BUILD_DIR SOURCE_DIR CC VERSION [GENERATOR [MAKE_PROGRAM]]
# with BST_LIBDIR, BST_BINDIR, BST_INCLUDEDIR and BST_MANDIR in the
# environment (the GNUInstallDirs values the build was configured with).
# BST_KEEP_TMP=1 keeps the temp dir for debugging.
set -u
if [ $# -lt 5 ]; then
	echo "usage: $0 CMAKE BUILD_DIR SOURCE_DIR CC VERSION [GENERATOR [MAKE_PROGRAM]]" >&2
	exit 2
fi
cmake=$1 build=$2 src=$3 cc=$4 version=$5 gen=${6:-} make=${7:-}
libdir=${BST_LIBDIR:-lib} bindir=${BST_BINDIR:-bin}
incdir=${BST_INCLUDEDIR:-include} mandir=${BST_MANDIR:-share/man}
for d in "$libdir" "$bindir" "$incdir" "$mandir"; do
	case $d in /*)
		echo "SKIP: install dir $d is absolute: cannot install under a temporary prefix"
		exit 77
		;;
	esac
done

FAILED=0
fail() {
	echo "FAIL: $*" >&2
	FAILED=1
}
die() {
	echo "FAIL: $*" >&2
	exit 1
}
# show FILE: its tail, after a failure.
show() {
	sed -e 's/^/    /' "$1" | tail -n 20 >&2
}

T=$(mktemp -d "${TMPDIR:-/tmp}/bst-install.XXXXXX") || die "mktemp -d failed"
if [ "${BST_KEEP_TMP:-0}" = 1 ]; then
	echo "temp dir: $T"
else
	trap 'rm -rf "$T"' EXIT
fi
trap 'exit 130' INT TERM HUP
# Nothing from the caller may change where things go or what is preloaded.
unset DESTDIR LD_PRELOAD BASTION_OPTIONS PKG_CONFIG_PATH PKG_CONFIG_LIBDIR CMAKE_PREFIX_PATH
P=$T/prefix
L=$P/$libdir

# ---- 1. cmake --install ----
"$cmake" --install "$build" --prefix "$P" >"$T/install.log" 2>&1 ||
	{ show "$T/install.log"; die "cmake --install $build --prefix $P failed"; }
for f in "$libdir/libbastion.so.$version" "$libdir/libbastion.a" "$incdir/bastion.h" \
	"$libdir/cmake/bastion/bastionConfig.cmake" "$libdir/cmake/bastion/bastionConfigVersion.cmake" \
	"$libdir/cmake/bastion/bastionTargets.cmake" "$libdir/pkgconfig/bastion.pc" \
	"$mandir/man3/bastion.3" "$mandir/man1/bastion-run.1"; do
	[ -f "$P/$f" ] || fail "not installed: $f"
done
# The SONAME link for the loader, the plain name for the linker.
if ! [ -L "$L/libbastion.so.0" ] || ! [ -L "$L/libbastion.so" ]; then
	fail "libbastion.so.0 and libbastion.so are not both symlinks in $L"
fi
readelf -d "$L/libbastion.so.$version" | grep -q 'SONAME.*\[libbastion\.so\.0\]' ||
	fail "libbastion.so.$version has no SONAME libbastion.so.0"
[ -x "$P/$bindir/bastion-run" ] || fail "not installed or not executable: $bindir/bastion-run"
[ -z "$(find "$P" -name '*prefixed*')" ] || fail "the test-only prefixed library was installed"
# Everything that names a path must name the install tree, not the build.
if grep -rlF "$build" "$P/$libdir/cmake" "$P/$libdir/pkgconfig" "$P/$bindir" >"$T/leak"; then
	fail "installed files name the build tree $build:"
	show "$T/leak"
fi
echo "installed into $P"

# ---- 2. a CMake project: find_package(bastion) ----
set --
[ -z "$gen" ] || set -- -G "$gen"
[ -z "$make" ] || set -- "$@" -DCMAKE_MAKE_PROGRAM="$make"
C=$T/consumer
if "$cmake" -S "$src/tests/consumer" -B "$C" "$@" -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_PREFIX_PATH="$P" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$T/cons.log" 2>&1 &&
	"$cmake" --build "$C" >>"$T/cons.log" 2>&1; then
	grep -qF "bastion $version from $L/cmake/bastion" "$T/cons.log" ||
		fail "find_package(bastion) did not find version $version in $P"
	for kind in shared static; do
		out=$("$C/consumer_$kind" "cmake-$kind" 2>&1) || fail "consumer_$kind failed: $out"
		echo "$out"
	done
	readelf -d "$C/consumer_shared" | grep -q 'NEEDED.*libbastion\.so\.0' ||
		fail "consumer_shared does not need libbastion.so.0"
	readelf -d "$C/consumer_static" | grep -q 'NEEDED.*libbastion' &&
		fail "consumer_static needs libbastion.so: not linked statically"
else
	show "$T/cons.log"
	fail "the find_package(bastion) consumer project did not configure and build"
fi

# ---- 3. cc with pkg-config ----
command -v pkg-config >/dev/null 2>&1 || die "pkg-config not installed (scripts/deps installs it)"
PKG_CONFIG_PATH=$L/pkgconfig
export PKG_CONFIG_PATH
got=$(pkg-config --modversion bastion 2>&1)
[ "$got" = "$version" ] || fail "pkg-config --modversion bastion: '$got', want $version"
libs=$(pkg-config --libs bastion)
slibs=$(pkg-config --static --libs bastion)
case " $libs " in *" -lsodium "*) fail "pkg-config --libs has -lsodium: it belongs in the private part" ;; esac
for flag in -lsodium -pthread; do
	case " $slibs " in *" $flag "*) ;; *) fail "pkg-config --static --libs lacks $flag: $slibs" ;; esac
done
# shellcheck disable=SC2046,SC2086 # the flags must split into words
if "$cc" -o "$T/pc_shared" "$src/tests/consumer/main.c" $(pkg-config --cflags bastion) $libs \
	-Wl,-rpath,"$(pkg-config --variable=libdir bastion)" >"$T/pc.log" 2>&1; then
	out=$("$T/pc_shared" pkg-config-shared 2>&1) || fail "pc_shared failed: $out"
	echo "$out"
else
	show "$T/pc.log"
	fail "cc \$(pkg-config --cflags --libs bastion) failed"
fi
# -l:libbastion.a picks the archive although libbastion.so sits beside it.
# shellcheck disable=SC2046
if "$cc" -o "$T/pc_static" "$src/tests/consumer/main.c" $(pkg-config --cflags bastion) \
	$(echo "$slibs" | sed 's/-lbastion/-l:libbastion.a/') >"$T/pc.log" 2>&1; then
	out=$("$T/pc_static" pkg-config-static 2>&1) || fail "pc_static failed: $out"
	echo "$out"
	readelf -d "$T/pc_static" | grep -q 'NEEDED.*libbastion' &&
		fail "pc_static needs libbastion.so: not linked statically"
else
	show "$T/pc.log"
	fail "cc with pkg-config --static --libs bastion and libbastion.a failed"
fi

# ---- 4. the installed bastion-run ----
RUN=$P/$bindir/bastion-run
# expect CODE TAG CMD...: run CMD, require exit status CODE; $T/TAG.out/.err.
expect() {
	_code=$1 _tag=$2
	shift 2
	"$@" >"$T/$_tag.out" 2>"$T/$_tag.err"
	_rc=$?
	[ "$_rc" = "$_code" ] || { fail "[$_tag] exit status $_rc, want $_code"; show "$T/$_tag.err"; }
}
# one_error TAG: stderr is exactly one "bastion-run: " line.
one_error() {
	if [ "$(wc -l <"$T/$1.err")" -ne 1 ] || ! grep -q '^bastion-run: ' "$T/$1.err"; then
		fail "[$1] stderr is not one 'bastion-run: ' line:"
		show "$T/$1.err"
	fi
}

# expect_error CODE TAG CMD...: bastion-run fails with CODE and one line.
expect_error() {
	expect "$@"
	one_error "$2"
}

head -n 1 "$RUN" | grep -qx '#!/bin/sh' || fail "bastion-run does not start with #!/bin/sh"
sh -n "$RUN" || fail "bastion-run: sh -n fails"
expect 0 version "$RUN" --version
grep -qF "bastion-run $version ($L/libbastion.so.0)" "$T/version.out" ||
	fail "[version] printed '$(cat "$T/version.out")'"
expect 0 help "$RUN" --help
grep -q '^Usage: bastion-run ' "$T/help.out" || fail "[help] no usage line"

# A real program, with the library mapped in from the install tree.
expect 0 ls "$RUN" --options sample_rate=4096 /bin/ls /
grep -qx 'usr' "$T/ls.out" || fail "[ls] ls / under bastion-run did not list usr"
[ -s "$T/ls.err" ] && { fail "[ls] wrote to stderr"; show "$T/ls.err"; }
expect 0 maps "$RUN" cat /proc/self/maps
grep -qF "$L/libbastion.so.$version" "$T/maps.out" || fail "[maps] $L/libbastion.so not mapped in"

# What the program is handed: ours first in LD_PRELOAD, ours last in
# BASTION_OPTIONS (later items win), the caller's kept.
# shellcheck disable=SC2016 # expanded by the inner sh
expect 0 env env LD_PRELOAD=libm.so.6 BASTION_OPTIONS=wipe=1 \
	"$RUN" --options sample_rate=4096 --stats sh -c 'echo "$LD_PRELOAD"; echo "$BASTION_OPTIONS"'
[ "$(sed -n 1p "$T/env.out")" = "$L/libbastion.so.0:libm.so.6" ] ||
	fail "[env] LD_PRELOAD='$(sed -n 1p "$T/env.out")', want $L/libbastion.so.0:libm.so.6"
[ "$(sed -n 2p "$T/env.out")" = "wipe=1,sample_rate=4096,stats_at_exit=1" ] ||
	fail "[env] BASTION_OPTIONS='$(sed -n 2p "$T/env.out")'"
grep -q '^bastion: options:' "$T/env.err" && fail "[env] bastion rejected an option: $(cat "$T/env.err")"
expect 7 status "$RUN" sh -c 'exit 7'
expect 0 verbose "$RUN" --verbose true
grep -qF "bastion-run: LD_PRELOAD=$L/libbastion.so.0" "$T/verbose.err" || fail "[verbose] no LD_PRELOAD line"

# Errors: one line each, the shell's codes for a missing program.
expect_error 2 noprog "$RUN"
expect_error 2 badflag "$RUN" --no-such-flag true
expect_error 2 novalue "$RUN" --options
expect_error 2 nolib "$RUN" --lib "$T/missing.so" true
expect_error 127 notfound "$RUN" bst-no-such-program-here
expect_error 127 notfile "$RUN" "$T/missing"
: >"$T/noexec"
expect_error 126 noexec "$RUN" "$T/noexec"
# --lib and -- work, and a relative library path is made absolute.
expect 0 lib sh -c "cd '$L' && '$RUN' --lib libbastion.so.0 -- sh -c 'echo \"\$LD_PRELOAD\"'"
[ "$(cat "$T/lib.out")" = "$L/libbastion.so.0" ] || fail "[lib] LD_PRELOAD='$(cat "$T/lib.out")'"

# The build tree's copy preloads the build tree's library.
expect 0 buildrun "$build/bastion-run" --version
grep -qF "($build/libbastion.so" "$T/buildrun.out" ||
	fail "[buildrun] build-tree bastion-run: '$(cat "$T/buildrun.out")'"

if [ "$FAILED" != 0 ]; then
	echo "FAILED" >&2
	exit 1
fi
echo "PASS"
