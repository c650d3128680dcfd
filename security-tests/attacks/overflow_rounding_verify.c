/*
 * overflow_rounding_verify: a NUL one byte past the requested size of a
 * block the program keeps (never freed), found by a heap check rather
 * than at free: bastion_verify(), looked up at run time so that the
 * program runs under any allocator (one without such a check loses).
 *
 * bastion checks every live chunk's slack pattern in bastion_verify; the
 * pattern has no zero byte, so the NUL always shows. The block must be a
 * zone chunk (zone_chunk()).
 *
 * EXPECT: abort:canary-corrupted
 */
#define _GNU_SOURCE
#include "attack.h"

int main(void)
{
	char *p = zone_chunk(100);
	if (!p)
		return 2;
	memset(p, 'A', 100);
	((volatile char *)escape(p))[100] = '\0';
	size_t (*verify)(void) = (size_t(*)(void))dlsym(RTLD_DEFAULT, "bastion_verify");
	if (!verify)
		attack_won("no heap check to find an overflow in a block that is never freed");
	size_t problems = verify();
	if (problems)
		defended("the heap check reported the overflow without aborting");
	attack_won("the heap check missed a NUL written one past the requested size");
}
