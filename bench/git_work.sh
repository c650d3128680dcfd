#!/bin/sh
# A real program for bench/run: git as a developer drives it, many short
# commands each a process of its own, so that an allocator's cost per
# process start (mapping, metadata, first touches) counts as it does in
# build systems, shells and git. Creates a repository of 300 files in a
# fresh directory under $TMPDIR, then runs ROUNDS rounds of edit, status,
# add, commit, log, diff and grep. Prints one line ending in a checksum
# (the number of commits and the files' total size).
#   usage: sh bench/git_work.sh [SCALE]     (SCALE 1: about 1-2 s under glibc)
set -eu
scale=${1:-1}
rounds=$(awk -v s="$scale" 'BEGIN { r = int(12 * s + 0.5); print r < 2 ? 2 : r }')
dir=$(mktemp -d "${TMPDIR:-/tmp}/bastion-git-work.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
export GIT_CONFIG_NOSYSTEM=1 HOME="$dir" GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=b@example.org \
	GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=b@example.org
git init -q .
mkdir d0 d1 d2 d3 d4 d5 d6 d7 d8 d9
awk 'BEGIN {
	for (n = 0; n < 300; n++) {
		f = sprintf("d%d/f%d.txt", n % 10, n)
		for (k = 0; k < 40; k++)
			printf "line %d of file %d: lorem ipsum dolor sit amet\n", k, n > f
		close(f)
	}
}'
git add -A
git commit -q -m initial
r=0
while [ $r -lt "$rounds" ]; do
	k=0
	while [ $k -lt 5 ]; do
		echo "round $r edit $k" >>"d$(((r + k) % 10))/f$(((r * 7 + k * 13) % 300)).txt"
		k=$((k + 1))
	done
	git status --short >/dev/null
	git add -A
	git commit -q -m "round $r"
	git log --oneline -5 >/dev/null
	git diff HEAD~1 --stat >/dev/null
	git grep -q "round $r" || true
	r=$((r + 1))
done
echo "git rounds=$rounds checksum=$(git rev-list --count HEAD)-$(cat d*/f*.txt | wc -c)"
