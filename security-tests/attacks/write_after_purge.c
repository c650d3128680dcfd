/*
 * Write after free into a 30,000-byte block AFTER the allocator has given
 * its pages back: the chunk sits free while a sweep purges its pages, then
 * the dangling pointer stores into it (the store lands on a fresh zero
 * page), then every chunk of the class is handed out again.
 *
 * bastion's purge moves a fully purged chunk to "never used", whose
 * hand-out checks only the tail, so this write used to go unseen (the
 * 4-in-10 miss of issue 15 for 4-16 KiB chunks). Now a zone emptied and
 * purged is made inaccessible as well, so the store faults (here the
 * whole zone empties); and a chunk picked from the purged runs of a zone
 * still in use is read in full, so the write is reported when the chunk
 * is taken for reuse. (If no purge happened, the chunk is still freed and
 * the wipe check at hand-out reports it.)
 *
 * EXPECT: abort:write-after-free or segv
 *
 * The steps are write_after_free_purged.c's, with the store moved after
 * the sweeps.
 */
#define _GNU_SOURCE
#include "attack.h"

#define SIZE   30000
#define BLOCKS 48 /* the victim and the others: a multiple of 16 */
#define FLUSH  400

int main(void)
{
	/* Zone chunks only: a block sampled onto a page of its own is left
	 * out (zone_blocks, attack.h). No anchors: the zone empties. */
	char *dangling = purged_dangling(SIZE, BLOCKS, 0, FLUSH);
	/* The bug: obj->field = x through the dangling pointer, after the
	 * pages went back. */
	*(volatile uint64_t *)(dangling + SIZE / 2) = 0x4141414141414141ull;
	hold_zones(SIZE, SIZE + 8, NULL);
	attack_won("a write into a freed chunk was never reported");
}
