/*
 * Sampled guarded allocations catch a one-byte overflow at once: with
 * BASTION_OPTIONS=sample_rate=1 every small allocation sits on its own page
 * and ends right at a guard page (a 48-byte block: no alignment slack), so
 * writing the byte just past malloc_usable_size faults immediately (not
 * only at free, as the slack pattern would). The program re-executes itself with that option if it
 * is not set yet (other allocators ignore it).
 *
 * EXPECT: segv
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>

#define OPTIONS "sample_rate=1"

int main(int argc, char **argv)
{
	(void)argc;
	reexec_with_env(argv, "BASTION_OPTIONS", OPTIONS);
	char *p = escape(malloc(48));
	if (!p)
		return 2;
	size_t u = malloc_usable_size(p);
	memset(p, 'a', u);
	((volatile char *)p)[u] = 'X'; /* the bug: one byte too many */
	attack_won("a one-byte overflow of a sampled allocation did not fault");
}
