#!/bin/sh
# prog_cxx_threads: a multithreaded C++ program (built without bastion) on
# bastion. Usage: cxx_threads.sh /path/to/libbastion.so /path/to/cxx_threads
# shellcheck source=tests/programs/common.sh
. "$(dirname "$0")/common.sh"
bst_init "$1"
BIN=$2
[ -x "$BIN" ] || die "usage: $0 libbastion.so cxx_threads-binary (got '$BIN')"

if ldd "$BIN" 2>/dev/null | grep -q libbastion; then
	die "$BIN must not link bastion itself"
fi

run_pair cxx_threads "$BIN"
check_probe cxx_threads

# A few more bastion runs: thread interleavings differ, the output must not.
for i in 1 2; do
	run_one cxx_threads_$i bastion "$BIN"
	rc=$(cat "$T/cxx_threads_$i.bastion.rc")
	[ "$rc" = 0 ] || fail "[cxx_threads] bastion run $i exited with status $rc"
	if grep -q 'bastion:' "$T/cxx_threads_$i.bastion.err"; then
		fail "[cxx_threads] bastion run $i: $(grep 'bastion:' "$T/cxx_threads_$i.bastion.err" | head -n 1)"
	fi
	if ! cmp -s "$T/cxx_threads.plain.out" "$T/cxx_threads_$i.bastion.out"; then
		fail "[cxx_threads] bastion run $i printed different output"
		diff "$T/cxx_threads.plain.out" "$T/cxx_threads_$i.bastion.out" >&2
	fi
	echo "[cxx_threads] extra bastion run $i: $(cat "$T/cxx_threads_$i.bastion.time")s"
done
cat "$T/cxx_threads.bastion.out"

finish
