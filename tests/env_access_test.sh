#!/bin/sh
# Every read of the environment in src/ goes through bst_getenv (init.c),
# which applies the privileged-process rules (docs/design.md, "Privileged
# processes"). Fails, naming the lines, if any other code calls getenv,
# secure_getenv or touches environ/__environ.
#   env_access_test.sh SOURCE_DIR
set -u
cd "$1/src" || exit 2
hits=$(grep -nE '\b(secure_)?getenv[[:space:]]*\(|\b(__)?environ\b' -- *.c *.h *.def |
	grep -vE '^init\.c:[0-9]+:[[:space:]]*return getenv\(name\);$')
if [ -n "$hits" ]; then
	echo "env_access: read the environment through bst_getenv (src/init.c), not directly:"
	echo "$hits"
	exit 1
fi
n=$(grep -c 'return getenv(name);' init.c)
[ "$n" = 1 ] || {
	echo "env_access: bst_getenv's getenv call not found in src/init.c"
	exit 1
}
echo "env_access: src/ reads the environment only through bst_getenv"
