/*
 * Write after free into a 30,000-byte block whose page the allocator gives
 * back before the chunk is reused. bastion's zones return the pages of
 * idle free chunks (a sweep at most every 250 ms gives back what a zone
 * did not need since the last one); the write must not vanish with the
 * page. bastion checks a freed chunk in full before its pages go, so the
 * write is reported then. (Without that check the purge erased the write
 * and the chunk came back as never used: the attack won.)
 *
 * EXPECT: abort:write-after-free
 *
 * The steps, so that the victim leaves the quarantine while nothing of its
 * class is allocated: the victim and 47 more blocks of its class (all zone
 * chunks: a sampled block, alone in its 4 MiB slot, is left out) are
 * freed. 48 is a multiple of the 16-chunk drain batch, so once FLUSH
 * rounds of another class (flush_round's big blocks) have evicted all of
 * them from the thread's ring, every batch of the class has gone on, and
 * the rounds turn the shared FIFO over. Then twice: a pause longer than
 * the sweep interval, and more rounds of the other class, so that chunks
 * come back to a zone and a sweep runs; the second finds the victim's zone
 * with no allocation since the first and gives back its free pages.
 * hold_zones then hands out every chunk of the class, which would catch
 * the write at hand-out if no purge had happened.
 */
#define _GNU_SOURCE
#include "attack.h"

#define SIZE   30000
#define BLOCKS 48 /* the victim and the others: a multiple of 16 */
#define FLUSH  400

int main(void)
{
	/* Zone chunks only: a block sampled onto a page of its own is left
	 * out (zone_blocks, attack.h). */
	char *blocks[BLOCKS];
	if (zone_blocks(blocks, BLOCKS, SIZE) < BLOCKS)
		return 2;
	char *dangling = escape(blocks[0]);
	for (int i = 0; i < BLOCKS; i++)
		free(blocks[i]);
	/* The bug: obj->field = x through the dangling pointer. */
	uint64_t field = 0x4141414141414141ull;
	if (!try_store((volatile uint64_t *)(dangling + SIZE / 2), &field, 1))
		attack_won("the freed zone chunk was not writable: the test went wrong");
	purge_sweeps(FLUSH);
	hold_zones(SIZE, SIZE + 8, NULL);
	attack_won("a write into a freed chunk was never reported");
}
