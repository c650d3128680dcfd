/*
 * overflow_1byte: write one byte just past malloc_usable_size(p) (an
 * off-by-one), then free(p). Against glibc that byte is the next chunk's
 * size field.
 *
 * bastion's 8-byte canary follows the usable bytes; its first byte always
 * has bit 7 set (0x80), so writing 'A' (0x41) always changes it, and
 * free() checks it.
 *
 * Determinism: the block must be a zone chunk, whose canary sits right
 * after its usable size, not a sampled block with a layout of its own:
 * zone_chunk() (attack.h) gives one.
 *
 * EXPECT: abort:canary-corrupted
 */
#define _GNU_SOURCE
#include "attack.h"
#include <malloc.h>

int main(void)
{
	char *p = zone_chunk(24);
	if (!p)
		return 2;
	size_t n = malloc_usable_size(p);
	memset(p, 'A', n);
	volatile char *v = escape(p);
	v[n] = 'A';
	free(p);
	attack_won("a 1-byte overflow past the usable size went unnoticed");
}
