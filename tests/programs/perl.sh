#!/bin/sh
# prog_perl: perl on bastion. Usage: perl.sh /path/to/libbastion.so
# shellcheck source=tests/programs/common.sh
. "$(dirname "$0")/common.sh"
bst_init "$1"
need perl
echo "perl: $(command -v perl) ($(perl -e 'print $^V'))"

unset PERL5LIB PERL5OPT PERLLIB PERL_HASH_SEED PERL_PERTURB_KEYS
LC_ALL=C
export LC_ALL

run_pair perl perl "$PROG_DIR/perl_workload.pl"
check_probe perl

finish
