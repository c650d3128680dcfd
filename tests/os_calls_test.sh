#!/bin/sh
# Every memory system call in src/ is made in os.c (docs/design.md, "The
# OS layer"), so that its error handling, errno discipline and costs live
# in one place. Fails, naming the lines, if any other file calls mmap,
# munmap, mprotect, madvise, mremap, mincore or prctl (VMA names), or
# includes <sys/mman.h>.
#   os_calls_test.sh SOURCE_DIR
set -u
cd "$1/src" || exit 2
hits=$(grep -nE '\b(mmap|munmap|mprotect|madvise|mremap|mincore|prctl)[[:space:]]*\(|<sys/mman\.h>' \
	-- *.c *.h | grep -v '^os\.c:')
if [ -n "$hits" ]; then
	echo "os_calls: make memory system calls through os.c's bst_os_* functions:"
	echo "$hits"
	exit 1
fi
# The check must see the calls where they are: os.c makes them.
grep -qE '\bmprotect[[:space:]]*\(' os.c || {
	echo "os_calls: no mprotect call found in src/os.c: the pattern no longer matches"
	exit 1
}
echo "os_calls: src/ makes its memory system calls only in os.c"
