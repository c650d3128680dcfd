#!/bin/sh
# The prog_git workload: run by git.sh in an empty directory $1 (the same path
# in both runs), with a fixed environment (see git.sh). Deterministic output.
set -e
cd "$1"

# This shell itself: is bastion in its address space?
if [ -n "$PROBE" ]; then
	if grep -q libbastion /proc/$$/maps; then echo loaded=1; else echo loaded=0; fi >"$PROBE"
fi

n=0
# commit_at MSG...: commit with a fresh, fixed timestamp.
commit_at() {
	n=$((n + 1))
	GIT_AUTHOR_DATE="$((1700000000 + n * 3600)) +0000"
	GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
	export GIT_AUTHOR_DATE GIT_COMMITTER_DATE
	git commit -q "$@"
}

# gen FILE SEED LINES: deterministic text file.
gen() {
	awk -v s="$2" -v n="$3" 'BEGIN {
		x = s
		for (i = 1; i <= n; i++) {
			x = (x * 1103515245 + 12345) % 2147483648
			printf "line %d of file %d: value %d %s\n", i, s, x % 100000, substr("lorem ipsum dolor sit amet consectetur", 1 + x % 20)
		}
	}' >"$1"
}

echo "== init"
git init -q -b main repo
cd repo
git config core.autocrlf false
git config gc.auto 0

mkdir -p src docs data
i=1
while [ $i -le 30 ]; do
	gen src/file$i.c $i $((20 + i * 3))
	i=$((i + 1))
done
i=1
while [ $i -le 10 ]; do
	gen docs/doc$i.txt $((100 + i)) 200
	i=$((i + 1))
done
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "%c", (i * 37) % 251 + 1 }' >data/blob.bin
git add -A
commit_at -m "initial import"
git rev-parse HEAD
git log --stat --format='%H %an <%ae> %ad %s' --date=iso-strict | tail -n 5
git ls-files | wc -l

echo "== history"
i=1
while [ $i -le 8 ]; do
	gen src/file$i.c $((1000 + i)) $((30 + i))
	gen src/new$i.c $((2000 + i)) 15
	[ $((i % 4)) -ne 0 ] || git rm -q docs/doc$((i / 4)).txt
	git add -A
	commit_at -m "change $i" -m "Touches file$i.c and adds new$i.c."
	i=$((i + 1))
done
git rev-list --count HEAD
git log --oneline | head -n 5

echo "== diff and status"
sed 's/value/VALUE/' src/file20.c >tmp && mv tmp src/file20.c
gen src/untracked.c 4242 10
rm src/file21.c
git status --short
git status
git diff --stat
git diff | head -n 60
git diff | cksum

echo "== branches and merge"
git add -A
commit_at -m "edit file20, drop file21"
git checkout -q -b feature HEAD~3
gen src/feature.c 777 80
git add src/feature.c
commit_at -m "feature work"
git checkout -q main
gen src/mainline.c 888 40
git add src/mainline.c
commit_at -m "mainline work"
commit_at --allow-empty -m placeholder
n=$((n + 1))
GIT_AUTHOR_DATE="$((1700000000 + n * 3600)) +0000" GIT_COMMITTER_DATE="$((1700000000 + n * 3600)) +0000" \
	git merge -q --no-ff -m "merge feature" feature
git log --graph --oneline --all | head -n 20
git log -p -2 --format=fuller | head -n 80
git show --stat HEAD
git diff HEAD~5 HEAD --numstat | head -n 30
git shortlog -sn HEAD

echo "== stash"
gen src/file5.c 5555 50
git stash -q
git stash list
git diff --stat
git stash pop -q
git diff --stat
git checkout -q -- src/file5.c

echo "== inspect"
git tag -a v1.0 -m "release 1.0" HEAD~2
git describe HEAD
git blame --date=iso -L 1,10 src/file3.c
git grep -c 'value 1' | head -n 10
git grep -n 'ipsum' -- 'src/new1*.c' | head -n 10
git cat-file -p 'HEAD^{tree}'
git cat-file -p HEAD
git ls-tree -r HEAD | cksum

echo "== gc and fsck"
git gc -q
git fsck --no-progress --no-dangling
git count-objects -v | grep -E '^(count|in-pack|packs)'
# (Not the delta statistics: threaded pack-objects makes them vary run to run.)
git rev-list --objects --all | sort | cksum
git archive --format=tar HEAD | cksum
git log --format='%H %P %s' | cksum
