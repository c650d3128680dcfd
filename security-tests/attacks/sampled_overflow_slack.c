/*
 * sampled_overflow_slack: with every small allocation sampled onto a page
 * of its own (BASTION_OPTIONS=sample_rate=1), a 40-byte block ends 8 bytes
 * before its guard page: its 16-byte alignment leaves that much slack. A
 * NUL written one past the request lands there, not on the guard page.
 *
 * bastion fills a sampled block's slack with its pattern (no zero byte)
 * and checks it at free, so the NUL is reported. The program re-executes
 * itself with the option if it is not set yet (other allocators ignore
 * it).
 *
 * EXPECT: abort:canary-corrupted
 */
#define _GNU_SOURCE
#include "attack.h"

#define OPTIONS "sample_rate=1"

int main(int argc, char **argv)
{
	(void)argc;
	reexec_with_env(argv, "BASTION_OPTIONS", OPTIONS);
	char *p = escape(malloc(40));
	if (!p)
		return 2;
	memset(p, 'a', 40);
	((volatile char *)p)[40] = '\0'; /* the bug: one byte too many */
	free(p);
	attack_won("a NUL past a sampled block's request went unnoticed");
}
