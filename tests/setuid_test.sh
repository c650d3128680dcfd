#!/bin/sh
# Issue 13: in a privileged process the environment belongs to whoever
# started it, so BASTION_OPTIONS may only tighten bastion. This test makes
# that situation for real: copies of two programs statically linked with
# bastion are made set-user-ID nobody and run by root (real uid root,
# effective uid nobody: the kernel sets AT_SECURE), with options that
# would switch protections off. Each protection must behave as with the
# defaults, with one refusal line per weakening item; the same programs
# without the set-user-ID bit must accept the same options (so the test
# can tell a refusal from options being ignored altogether).
#
#   setuid_test.sh TEST_OPTIONS_STATIC SETUID_WAF
#
# TEST_OPTIONS_STATIC is tests/test_options.c linked with libbastion.a,
# SETUID_WAF security-tests/attacks/write_after_free_small.c likewise.
# Exit 77 (skip, the reason printed) where set-user-ID cannot work: not
# root, no user nobody, no_new_privs, a nosuid mount, or a kernel that did
# not set AT_SECURE.
set -u
opts_bin=$1
waf_bin=$2
skip() {
	echo "SKIP: $*"
	exit 77
}
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

[ "$(id -u)" = 0 ] || skip "not root: making a set-user-ID binary owned by another user needs root"
id -u nobody >/dev/null 2>&1 || skip "there is no user 'nobody' to own the set-user-ID binary"
if grep -Eq '^NoNewPrivs:[[:space:]]*1' /proc/self/status; then
	skip "no_new_privs is set for this process: the kernel ignores set-user-ID bits"
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bastion-setuid.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
if command -v findmnt >/dev/null &&
	findmnt -n -o OPTIONS -T "$tmp" | tr , '\n' | grep -qx nosuid; then
	skip "$tmp is on a file system mounted nosuid (set TMPDIR to another one)"
fi
for b in opts waf; do
	[ $b = opts ] && src=$opts_bin || src=$waf_bin
	cp "$src" "$tmp/$b" && cp "$src" "$tmp/${b}_plain" || exit 2
	chown nobody "$tmp/$b" && chmod 4755 "$tmp/$b" || exit 2
done

# What bastion decided, and whether the kernel made the process secure.
out=$(BASTION_OPTIONS= BASTION_TEST_TRUSTED=/tmp/written-by-root "$tmp/opts" privileged)
case $out in
"AT_SECURE=1 secure=1 trusted_env=unset") echo "ok: set-user-ID: $out" ;;
"AT_SECURE=0 "*) skip "the kernel did not set AT_SECURE for a set-user-ID nobody binary run by root: $out" ;;
*) fail "set-user-ID: want AT_SECURE=1 secure=1 trusted_env=unset, got: $out" ;;
esac
out=$(BASTION_OPTIONS= BASTION_TEST_TRUSTED=/tmp/written-by-root "$tmp/opts_plain" privileged)
[ "$out" = "AT_SECURE=0 secure=0 trusted_env=set" ] ||
	fail "ordinary: want AT_SECURE=0 secure=0 trusted_env=set, got: $out"

# count TEXT FILE: lines of FILE that contain TEXT.
count() { grep -cF -- "$1" "$2"; }
refused="bastion: options: weakening refused in a privileged process (AT_SECURE):"
weakened="bastion: options: protection weakened by BASTION_OPTIONS:"

# run BINARY OPTIONS WANT_STATUS WANT_REFUSED WANT_WEAKENED ARGS...: runs
# BINARY ARGS with BASTION_OPTIONS=OPTIONS; wants that exit status (134 is
# SIGABRT) and that many refusal and weakening lines.
run() {
	bin=$1 options=$2 want_status=$3 want_refused=$4 want_weakened=$5
	shift 5
	BASTION_OPTIONS=$options "$tmp/$bin" "$@" >"$tmp/out" 2>&1
	status=$?
	what="$bin $* with BASTION_OPTIONS=$options"
	if [ $status -ne "$want_status" ] ||
		[ "$(count "$refused" "$tmp/out")" -ne "$want_refused" ] ||
		[ "$(count "$weakened" "$tmp/out")" -ne "$want_weakened" ]; then
		fail "$what: want status $want_status, $want_refused refused, $want_weakened weakened; got status $status:"
		sed 's/^/    /' "$tmp/out"
	else
		echo "ok: $what"
	fi
}

# Each weakening is refused and the protection measures as with the
# defaults (the expectations are those of the *_default cases in
# tests/options.cmake).
run opts wipe=0 0 1 0 wipe zero
run opts quarantine_slots=0,quarantine_bytes=0,shared_quarantine_bytes=0 0 3 0 reuse 1000 4096 30000
run opts large_quarantine=0 0 1 0 large 64
run opts sample_rate=0 0 1 0 sample 40000 4 40
run opts sample_rate=1000000 0 1 0 sample 40000 4 40
run opts canary_chunks=0 0 1 0 canary 1 1
run opts neighbour_checks=0 0 1 0 neighbour caught
run opts verify_abort=0 0 1 0 verify abort
# Tightening still applies, silently.
run opts sample_rate=1 0 0 0 sample 40000 40000 40000
run opts canary_chunks=4 0 0 0 canary 8 16
# Without the set-user-ID bit the same weakenings apply, with a notice.
run opts_plain wipe=0 0 0 1 wipe kept
run opts_plain sample_rate=0 0 0 1 sample 40000 0 0

# The attack: a write after free with every protection that stands in its
# way "switched off". Privileged, it is still caught (SIGABRT after a
# bastion: write-after-free line); ordinary, the attack wins (exit 1).
# Seven refusals or weakenings: the first three lines, then one that
# counts the rest (at most four lines of each kind).
all=wipe=0,quarantine_slots=0,quarantine_bytes=0,shared_quarantine_bytes=0,sample_rate=0,canary_chunks=0,neighbour_checks=0
run waf $all 134 3 0
grep -q "^bastion: options: more problems ignored: 4$" "$tmp/out" || fail "set-user-ID: no count of the other refusals"
grep -q "^bastion: write-after-free: " "$tmp/out" || fail "set-user-ID: no write-after-free report"
run waf_plain $all 1 0 4
grep -q "^bastion: options: protection weakened by BASTION_OPTIONS: 4 more options$" "$tmp/out" ||
	fail "ordinary: no count of the other weakenings"
grep -q "^attack succeeded" "$tmp/out" || fail "ordinary: the attack did not win with the protections off"

if [ $failures -ne 0 ]; then
	echo "setuid_test: $failures failures"
	exit 1
fi
echo "setuid_test: every weakening refused in a set-user-ID process and accepted in an ordinary one"
