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
	char *blocks[BLOCKS + ANCHORS];
	if (zone_blocks(blocks, BLOCKS + ANCHORS, SIZE) < BLOCKS + ANCHORS)
		return 2;
	char *dangling = escape(blocks[ANCHORS + BLOCKS / 2]);
	for (int i = ANCHORS; i < BLOCKS + ANCHORS; i++)
		free(blocks[i]);
	purge_sweeps(FLUSH);
	*(volatile uint64_t *)(dangling + SIZE / 3) = 0x4141414141414141ull;
	for (int i = 0; i < ANCHORS; i++)
		escape(blocks[i]);
	attack_won("a write into a freed chunk was never reported");
}
