/*
 * overflow_rounding_1byte: write one byte past the requested size of a
 * 4096-byte block, then free it. Allocators round requests up to a size
 * class (bastion's next class is 5120 bytes, glibc's chunk has 4104 usable
 * bytes), so the byte lies inside the rounding: no overflow to an
 * allocator that only guards the end of its chunk.
 *
 * bastion's bounds are byte-exact: the slack after the request holds a
 * secret pattern whose bytes are always odd, so the even byte 'B' always
 * changes it, and free() checks it. The block must be a zone chunk
 * (zone_chunk(), attack.h), not a sampled one with a layout of its own.
 *
 * EXPECT: abort:canary-corrupted
 */
#include "attack.h"

int main(void)
{
	char *p = zone_chunk(4096);
	if (!p)
		return 2;
	memset(p, 'A', 4096);
	volatile char *v = escape(p);
	v[4096] = 'B'; /* the bug: index == length */
	free(p);
	attack_won("a write one byte past the requested size went unnoticed");
}
