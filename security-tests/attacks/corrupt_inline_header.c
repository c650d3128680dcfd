/*
 * corrupt_inline_header: overwrite the 8 bytes before a block, where glibc
 * keeps the chunk's size, with a large fake size (0x411), free the block
 * and malloc(1024): glibc files the 200-byte chunk under its fake size and
 * hands it out for 1024 bytes, overlapping whatever follows it.
 *
 * bastion keeps no header there: those 8 bytes are the previous chunk's
 * canary slot. They are checked when p is freed if the previous chunk is
 * not live (canary of a freed chunk or canary chunk, zero tail of a
 * never-used chunk), or when that chunk is freed if it is live. For p at
 * index 0 of its zone the bytes are in the page before the zone (a guard
 * page or unmapped): a fault. Both stops are legitimate.
 *
 * Determinism:
 *  - 0x411 differs from every value the slot can hold: a canary's first
 *    byte always has bit 7 set, a never-used tail is zero;
 *  - the size (200 bytes, a class nothing else in this program uses)
 *    means the previous chunk is either not live or one of this program's
 *    own blocks, freed by free_extras();
 *  - the block must be a zone chunk (zone_chunk(), attack.h), not a
 *    sampled one, which has slack before it.
 *
 * EXPECT: abort:canary-corrupted or segv
 */
#include "attack.h"

int main(void)
{
	char *p = zone_chunk(200);
	if (!p)
		return 2;
	memset(p, 'A', 200);
	uint64_t fake_size = 0x411; /* a 1040-byte chunk, previous in use */
	memcpy(escape(p - 8), &fake_size, sizeof(fake_size));

	free(p);
	char *q = malloc(1024);
	if (q == p)
		attack_won("a 200-byte block was handed out again for 1024 bytes");
	free(q);
	free_extras();
	attack_won("a corrupted size in front of a block went unnoticed");
}
