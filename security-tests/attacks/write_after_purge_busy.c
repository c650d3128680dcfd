/*
 * Write after free into a 30,000-byte block after its pages were given
 * back, in a zone that stays in use: other blocks of the class stay live
 * throughout, so the zone never empties and is never made inaccessible.
 * The freed chunks' pages are given back by the idle sweep, the dangling
 * pointer stores into one of them (the store lands on a fresh zero page),
 * then every chunk of the class is handed out again.
 *
 * A purge moves a freed chunk whose pages it gave back to "never used",
 * whose hand-out would check only its tail. bastion remembers, per page of
 * the zone, that it was given back, and reads in full any never-used chunk
 * on such a page when it is picked, so the write is reported then. (Before
 * that, the zone kept at most six runs of purged pages and forgot the
 * smaller piece when a pick split a run and no slot was free: this attack
 * went unseen in 6 of 6 runs.)
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
	hold_zones(SIZE, SIZE + 8, NULL);
	attack_won("a write into a freed chunk was never reported");
}
