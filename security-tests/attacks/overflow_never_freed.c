/*
 * overflow_never_freed: write one byte past the requested size of a block
 * the program never frees, with a plain store (no checked copy), then
 * exit. No free means no check at free.
 *
 * bastion checks every live chunk's canary and slack pattern at exit
 * (verify_at_exit, on by default) and aborts with the report. Pattern
 * bytes are odd, so the even byte 'B' always changes one. The block must
 * be a zone chunk (zone_chunk()).
 *
 * EXPECT: abort:canary-corrupted
 */
#include "attack.h"

int main(void)
{
	char *p = zone_chunk(100);
	if (!p)
		return 2;
	memset(p, 'A', 100);
	((volatile char *)escape(p))[100] = 'B';
	attack_won("an overflow of a block that is never freed went unnoticed");
}
