# Shared helpers for the real-program tests (tests/programs/*.sh).
# Sourced, not executed. POSIX sh.
#
# Each test runs one workload twice, once on the system malloc and once with
# LD_PRELOAD=libbastion.so, and requires: exit status 0 in both runs,
# identical stdout and stderr, no "bastion:" report on stderr, and proof that
# bastion really was loaded in the preloaded run (and not in the plain one).

# shellcheck disable=SC2034 # used by the scripts that source this file
PROG_DIR=$(cd "$(dirname "$0")" && pwd)
T=
FAILED=0

fail() {
	echo "FAIL: $*" >&2
	FAILED=1
}

die() {
	echo "FAIL: $*" >&2
	exit 1
}

# bst_init LIBBASTION: check the library and make the temp dir $T.
bst_init() {
	[ -n "$1" ] || die "usage: $0 /path/to/libbastion.so"
	LIB=$1
	case $LIB in /*) ;; *) LIB=$(pwd)/$LIB ;; esac
	[ -f "$LIB" ] || die "libbastion not found: $LIB"
	T=$(mktemp -d "${TMPDIR:-/tmp}/bst-prog.XXXXXX") || die "mktemp -d failed"
	# BST_KEEP_TMP=1 keeps the temp dir for debugging.
	if [ "${BST_KEEP_TMP:-0}" = 1 ]; then
		echo "temp dir: $T"
	else
		trap 'rm -rf "$T"' EXIT
	fi
	trap 'exit 130' INT TERM HUP
	# The plain run must not inherit a preload from the caller.
	unset LD_PRELOAD
}

# need PROG: a missing program fails the test (CI installs them all).
need() {
	command -v "$1" >/dev/null 2>&1 ||
		die "$1 not installed (CI must apt-get install it); this test fails rather than skips"
}

now() {
	date +%s.%N
}

elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# run_one TAG MODE CMD...: run CMD (a command or a shell function) with MODE=plain|bastion, recording
# $T/TAG.MODE.{out,err,rc,time}.  $PROBE is a per-run side file that the
# workloads use to report whether bastion was in their address space.
run_one() {
	_tag=$1 _mode=$2
	shift 2
	PROBE=$T/$_tag.$_mode.probe
	export PROBE
	rm -f "$PROBE"
	_t0=$(now)
	if [ "$_mode" = bastion ]; then
		(LD_PRELOAD=$LIB && export LD_PRELOAD && "$@") >"$T/$_tag.$_mode.out" 2>"$T/$_tag.$_mode.err"
	else
		"$@" >"$T/$_tag.$_mode.out" 2>"$T/$_tag.$_mode.err"
	fi
	echo $? >"$T/$_tag.$_mode.rc"
	_t1=$(now)
	elapsed "$_t0" "$_t1" >"$T/$_tag.$_mode.time"
	unset PROBE
}

# check_pair TAG: compare the plain and bastion runs of TAG.
check_pair() {
	_tag=$1
	echo "[$_tag] plain $(cat "$T/$_tag.plain.time")s, bastion $(cat "$T/$_tag.bastion.time")s," \
		"stdout $(wc -c <"$T/$_tag.plain.out") bytes"
	for _m in plain bastion; do
		_rc=$(cat "$T/$_tag.$_m.rc")
		if [ "$_rc" != 0 ]; then
			fail "[$_tag] $_m run exited with status $_rc"
			echo "---- $_m stderr (tail) ----" >&2
			tail -n 30 "$T/$_tag.$_m.err" >&2
		fi
		if grep -q 'bastion:' "$T/$_tag.$_m.err"; then
			fail "[$_tag] $_m run reported heap corruption:"
			grep 'bastion:' "$T/$_tag.$_m.err" | head -n 5 >&2
		fi
	done
	if ! cmp -s "$T/$_tag.plain.out" "$T/$_tag.bastion.out"; then
		fail "[$_tag] stdout differs between plain and bastion runs"
		diff "$T/$_tag.plain.out" "$T/$_tag.bastion.out" | head -n 40 >&2
	fi
	if ! cmp -s "$T/$_tag.plain.err" "$T/$_tag.bastion.err"; then
		fail "[$_tag] stderr differs between plain and bastion runs"
		diff "$T/$_tag.plain.err" "$T/$_tag.bastion.err" | head -n 40 >&2
	fi
	if [ ! -s "$T/$_tag.plain.out" ]; then
		fail "[$_tag] workload printed nothing"
	fi
}

# check_probe TAG: the workload wrote "loaded=1" (bastion mapped) or
# "loaded=0" to $PROBE; require 0 for the plain run and 1 for the bastion run.
check_probe() {
	_tag=$1
	_p=$(cat "$T/$_tag.plain.probe" 2>/dev/null)
	_b=$(cat "$T/$_tag.bastion.probe" 2>/dev/null)
	[ "$_p" = "loaded=0" ] || fail "[$_tag] plain run probe: '${_p:-missing}', want loaded=0"
	[ "$_b" = "loaded=1" ] || fail "[$_tag] bastion run probe: '${_b:-missing}', want loaded=1 (was bastion preloaded?)"
}

# run_pair TAG CMD...: both runs, then the comparisons.
run_pair() {
	_tag=$1
	shift
	run_one "$_tag" plain "$@"
	run_one "$_tag" bastion "$@"
	check_pair "$_tag"
}

finish() {
	if [ "$FAILED" != 0 ]; then
		echo "FAILED" >&2
		exit 1
	fi
	echo "PASS"
	exit 0
}
