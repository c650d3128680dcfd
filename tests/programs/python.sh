#!/bin/sh
# prog_python: CPython on bastion. Usage: python.sh /path/to/libbastion.so
# shellcheck source=tests/programs/common.sh
. "$(dirname "$0")/common.sh"
bst_init "$1"

# The PATH python3 may be a pyenv shim (a script that spawns processes).
if [ -x /usr/bin/python3 ]; then
	PY=/usr/bin/python3
else
	need python3
	PY=$(command -v python3)
fi
echo "python: $PY ($("$PY" --version 2>&1))"

# Hash randomisation off so nothing depends on per-process string hashes.
PYTHONHASHSEED=0
PYTHONDONTWRITEBYTECODE=1
export PYTHONHASHSEED PYTHONDONTWRITEBYTECODE
unset PYTHONMALLOC PYTHONSTARTUP PYTHONPATH

# 1. The workload with pymalloc off, so every object goes through malloc.
run_pair py_malloc env PYTHONMALLOC=malloc "$PY" "$PROG_DIR/python_workload.py" 0.4
check_probe py_malloc

# 2. A smaller run with the default allocator (pymalloc + malloc).
run_pair py_default "$PY" "$PROG_DIR/python_workload.py" 0.25
check_probe py_default

# 3. The exact one-liner.
run_pair py_oneliner "$PY" -c 'import json; print(len(json.dumps(list(range(10**6)))))'
[ "$(cat "$T/py_oneliner.bastion.out")" = 7888890 ] ||
	fail "[py_oneliner] printed '$(cat "$T/py_oneliner.bastion.out")' under bastion, want 7888890"
# Same one-liner, checking in-process that it ran on bastion.
LD_PRELOAD=$LIB "$PY" -c 'import ctypes, json; ctypes.CDLL(None).bastion_malloc; print(len(json.dumps(list(range(10**6)))))' \
	>"$T/one.out" 2>"$T/one.err" || fail "[py_oneliner] bastion_malloc not resolvable: $(cat "$T/one.err")"
[ "$(cat "$T/one.out")" = 7888890 ] || fail "[py_oneliner] ctypes variant printed '$(cat "$T/one.out")'"

finish
