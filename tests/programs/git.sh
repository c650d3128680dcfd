#!/bin/sh
# shellcheck disable=SC2317 # functions below are called through run_one
# prog_git: git on bastion. Usage: git.sh /path/to/libbastion.so
# shellcheck source=tests/programs/common.sh
. "$(dirname "$0")/common.sh"
bst_init "$1"
need git
echo "git: $(command -v git) ($(git --version))"

# A fixed environment: no user or system config, fixed identities and dates.
mkdir "$T/home"
for v in GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_CONFIG \
	GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT GIT_TEMPLATE_DIR GIT_EXEC_PATH \
	GIT_TRACE GIT_CEILING_DIRECTORIES EMAIL; do
	unset $v
done
HOME=$T/home
XDG_CONFIG_HOME=$T/home/.config
GIT_CONFIG_NOSYSTEM=1
GIT_CONFIG_GLOBAL=/dev/null
GIT_AUTHOR_NAME="Bastion Tester"
GIT_AUTHOR_EMAIL="tester@bastion.invalid"
GIT_COMMITTER_NAME="Bastion Committer"
GIT_COMMITTER_EMAIL="committer@bastion.invalid"
GIT_AUTHOR_DATE="1700000000 +0000"
GIT_COMMITTER_DATE="1700000000 +0000"
GIT_PAGER='cat'
PAGER='cat'
GIT_TERMINAL_PROMPT=0
GIT_ADVICE=0
LC_ALL=C
TZ=UTC
export HOME XDG_CONFIG_HOME GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL GIT_AUTHOR_NAME \
	GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_AUTHOR_DATE \
	GIT_COMMITTER_DATE GIT_PAGER PAGER GIT_TERMINAL_PROMPT GIT_ADVICE LC_ALL TZ

# run_git: one run of the workload in $T/work (the same path both times).
# LD_DEBUG=libs, written to per-process files, shows for every process of
# the run (each git command, and git's own children) whether it had
# libbastion initialised.
run_git() {
	rm -rf "$T/work" "$T/ld.$MODE"
	mkdir "$T/work" "$T/ld.$MODE"
	LD_DEBUG=libs LD_DEBUG_OUTPUT=$T/ld.$MODE/p sh "$PROG_DIR/git_workload.sh" "$T/work"
}

MODE=plain
run_one git plain run_git
MODE=bastion
run_one git bastion run_git
check_pair git
check_probe git

# Every program started in the bastion run (each git command, git's own
# children, the shell utilities) initialised libbastion; none in the plain run.
count() { cat "$T"/ld."$1"/p.* | grep -c "$2"; }
progs_plain=$(count plain 'initialize program:')
progs_bastion=$(count bastion 'initialize program:')
inits_bastion=$(count bastion 'calling init: .*libbastion')
gits_bastion=$(count bastion 'initialize program: git$')
echo "[git] programs run: plain $progs_plain, bastion $progs_bastion (git: $gits_bastion," \
	"libbastion initialised: $inits_bastion)"
[ "$gits_bastion" -gt 50 ] || fail "[git] only $gits_bastion git processes traced in the bastion run"
[ "$inits_bastion" = "$progs_bastion" ] ||
	fail "[git] $progs_bastion programs ran but libbastion was initialised in $inits_bastion"
[ "$(count plain libbastion)" = 0 ] || fail "[git] libbastion loaded in the plain run"

finish
