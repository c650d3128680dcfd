/*
 * underflow_1byte: write p[-1] (an off-by-one below the block), then
 * free(p). Against glibc that byte belongs to p's own size field.
 *
 * Under bastion p[-1] is the last byte of the previous chunk's canary
 * slot. When p is freed, bastion checks its neighbours that are not live
 * (a freed chunk's canary, a canary chunk's words, a never-used chunk's
 * zero tail); a live previous chunk has its canary checked when it is
 * freed. For p at index 0 of its zone, p[-1] is in the page before the
 * zone (a guard page or unmapped): a fault. Both stops are legitimate.
 *
 * Determinism:
 *  - the byte is flipped (not set to a constant), so it always changes,
 *    whatever the previous chunk held;
 *  - the size (3000 bytes, an otherwise unused class) means the previous
 *    chunk is either not live (checked when p is freed) or one of this
 *    program's own blocks (checked when free_extras() frees it);
 *  - the block must be a zone chunk (zone_chunk(), attack.h): a sampled
 *    block has unused slack before it.
 *
 * EXPECT: abort:canary-corrupted or segv
 */
#include "attack.h"

int main(void)
{
	char *p = zone_chunk(3000);
	if (!p)
		return 2;
	memset(p, 'A', 3000);
	volatile char *v = escape(p);
	v[-1] = (char)~v[-1];
	free(p);
	free_extras();
	attack_won("a 1-byte underflow went unnoticed");
}
