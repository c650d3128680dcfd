/*
 * overflow_8bytes: write 8 bytes just past malloc_usable_size(p), then
 * free(p). Against glibc those bytes are the next chunk's size field.
 *
 * The 8 bytes replace bastion's canary entirely; the canary's first byte
 * always has bit 7 set, so the written 'A's (0x41) always differ from it.
 * free() checks it.
 *
 * Determinism: the block must be a zone chunk, whose canary sits right
 * after its usable size, not a sampled block with a layout of its own:
 * zone_chunk() (attack.h) gives one.
 *
 * With checked copies (libbastion.so's memset/memcpy/strcpy), the write
 * itself is stopped as a heap-overflow; with checked_copies=0 the canary
 * or slack pattern is found at free.
 *
 * EXPECT: abort:heap-overflow
 */
#define _GNU_SOURCE
#include "attack.h"
#include <malloc.h>

int main(void)
{
	char *p = zone_chunk(100);
	if (!p)
		return 2;
	size_t n = malloc_usable_size(p);
	memset(p, 'A', n);
	memset(escape(p + n), 'A', 8);
	free(p);
	attack_won("an 8-byte overflow past the usable size went unnoticed");
}
