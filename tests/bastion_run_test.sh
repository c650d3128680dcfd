#!/bin/sh
# bastion-run's checks (issue 17): the warnings about programs whose heap
# bastion would not protect, --strict, --python-malloc and --check PID.
#   tests/bastion_run_test.sh BASTION_RUN CC WORKDIR
set -u
run=$1
cc=$2
work=$3
failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
rm -rf "$work"
mkdir -p "$work"

# expect STATUS WARNING-PATTERN CMD...: exit status and a stderr line (or,
# with WARNING-PATTERN empty, no warning at all).
expect() {
	want=$1 pat=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$*: exit $got, want $want; stderr: $(cat "$work/err")"
	elif [ -n "$pat" ] && ! grep -q -- "$pat" "$work/err"; then
		fail "$*: no line matching '$pat'; stderr: $(cat "$work/err")"
	elif [ -z "$pat" ] && grep -q 'bastion-run: warning:' "$work/err"; then
		fail "$*: unexpected warning: $(cat "$work/err")"
	fi
}

printf 'int main(void) { return 0; }\n' >"$work/t.c"
"$cc" -o "$work/dynamic" "$work/t.c" || exit 2
expect 0 "" "$run" "$work/dynamic"

# Statically linked: preloading does nothing.
if "$cc" -static -o "$work/static" "$work/t.c" 2>/dev/null; then
	expect 0 'bastion-run: warning: .*statically linked' "$run" "$work/static"
	expect 2 'statically linked.*(--strict)' "$run" --strict "$work/static"
else
	echo "bastion_run_test: no static libc: the static case is skipped"
fi

# A program that brings its own allocator.
jemalloc=$(ls /usr/lib/*/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 2>/dev/null | head -n 1)
if [ -n "$jemalloc" ]; then
	"$cc" -o "$work/with-jemalloc" "$work/t.c" -Wl,--no-as-needed "$jemalloc" || exit 2
	expect 0 'bastion-run: warning: .*brings its own allocator (libjemalloc' \
		"$run" "$work/with-jemalloc"
	expect 2 'own allocator.*(--strict)' "$run" --strict "$work/with-jemalloc"
else
	echo "bastion_run_test: no libjemalloc.so.2: the own-allocator case is skipped"
fi

# python: pymalloc unless PYTHONMALLOC=malloc; --python-malloc sets it.
py=$(command -v python3 || true)
if [ -n "$py" ]; then
	expect 0 'PYTHONMALLOC=malloc' "$run" "$py" -c 'pass'
	expect 2 'pymalloc.*(--strict)' "$run" --strict "$py" -c 'pass'
	expect 0 "" env PYTHONMALLOC=malloc "$run" "$py" -c 'pass'
	expect 0 "" "$run" --python-malloc "$py" -c 'import os; print(os.environ["PYTHONMALLOC"])'
	grep -qx malloc "$work/out" || fail "--python-malloc: PYTHONMALLOC is not malloc in the program"
fi

# --check PID: a process started by bastion-run has it mapped, this shell
# does not.
BASTION_OPTIONS=sample_rate=64 "$run" sleep 5 &
pid=$!
sleep 1
expect 0 "" "$run" --check "$pid"
grep -q "process $pid (sleep) has bastion mapped: /.*libbastion" "$work/out" ||
	fail "--check $pid: $(cat "$work/out")"
grep -q "BASTION_OPTIONS=sample_rate=64" "$work/out" || fail "--check $pid: no options: $(cat "$work/out")"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
expect 1 "" "$run" --check $$
grep -q "does not have bastion mapped" "$work/out" || fail "--check $$: $(cat "$work/out")"
expect 2 'bastion-run: --check needs a process id' "$run" --check x

if [ "$failures" -ne 0 ]; then
	echo "bastion_run_test: $failures failures"
	exit 1
fi
echo "bastion_run_test: warnings, --strict, --python-malloc and --check behave"
