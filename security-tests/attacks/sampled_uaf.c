/*
 * Sampled guarded allocations catch a use after free at once: with
 * BASTION_OPTIONS=sample_rate=1 every small allocation sits on its own
 * page, and a freed one is made inaccessible, so a write through the
 * dangling pointer faults immediately (not only when the chunk is reused,
 * as the wipe check would). The program re-executes itself with that
 * option if it is not set yet (other allocators ignore it).
 *
 * EXPECT: segv
 */
#define _GNU_SOURCE
#include "attack.h"

#define OPTIONS "sample_rate=1"

int main(int argc, char **argv)
{
	(void)argc;
	reexec_with_env(argv, "BASTION_OPTIONS", OPTIONS);
	char *p = escape(malloc(64));
	if (!p)
		return 2;
	memset(p, 'a', 64);
	volatile char *dangling = escape(p);
	free(p);
	dangling[16] = 'X'; /* the bug: write after free */
	attack_won("a write into a freed sampled allocation did not fault");
}
