/*
 * Write after free into a 30,000-byte block after its pages were given
 * back, in a zone that stays in use, and exit without allocating again:
 * write_after_purge_busy.c without the reuse, so only the exit check can
 * see the write.
 *
 * The purge moved the freed chunk to "never used", and the exit check
 * skips never-used chunks (reading them would fault in pages nobody
 * used), except those on pages given back since the zone last emptied:
 * those are read in full, and the write is reported.
 *
 * EXPECT: abort:write-after-free or segv
 */
#define _GNU_SOURCE
#include "attack.h"

#define SIZE    30000
#define BLOCKS  48 /* freed: the victim and the others, a multiple of 16 */
#define ANCHORS 8  /* stay live, so the zone never empties */
#define FLUSH   400

int main(void)
{
	/* Zone chunks only: a block sampled onto a page of its own is left
	 * out (zone_blocks, attack.h). */
	char *dangling = purged_dangling(SIZE, BLOCKS, ANCHORS, FLUSH);
	/* The bug: obj->field = x through the dangling pointer, after the
	 * pages went back. */
	*(volatile uint64_t *)(dangling + SIZE / 3) = 0x4141414141414141ull;
	attack_won("a write into a freed chunk was never reported");
}
