/*
 * house_of_force: overwrite the 16 bytes after a block with 0xff..ff, as
 * if they were the size of glibc's top chunk; then malloc a huge size
 * computed so that the top chunk wraps around the address space and the
 * next malloc returns an attacker-chosen address (a global). Finally
 * free the block.
 *
 * bastion has no top chunk: the huge request fails or gets a fresh
 * mapping, never the target; and the first 8 bytes written are the
 * block's canary, so free reports the overflow. The other 8 bytes land in
 * the next chunk, or in the zone's guard page when the block is the last
 * chunk of its zone (a fault): both stops are legitimate.
 *
 * Determinism: the block must be a zone chunk, not a sampled block with a
 * layout of its own: zone_chunk() (attack.h) gives one. The canary always
 * has a zero second byte, so writing 0xff over it always changes it.
 *
 * With checked copies (libbastion.so's memset/memcpy/strcpy), the write
 * itself is stopped as a heap-overflow; with checked_copies=0 the canary
 * or slack pattern is found at free.
 *
 * EXPECT: abort:heap-overflow or segv
 */
#define _GNU_SOURCE
#include "attack.h"
#include <malloc.h>

static _Alignas(16) char target[64];

int main(void)
{
	char *p = zone_chunk(24);
	if (!p)
		return 2;
	size_t n = malloc_usable_size(p);
	memset(p, 'A', n);
	memset(escape(p + n), 0xff, 16);

	/* glibc: for a 24-byte block the top chunk starts at p + n - 8 and its
	 * size is at p + n; a request of target - top - 32 moves the top
	 * chunk to target - 16, so the next malloc returns target. */
	uintptr_t top = (uintptr_t)(p + n) - 8;
	size_t evil = (size_t)((uintptr_t)target - top - 4 * sizeof(size_t));
	char *big = malloc(evil);
	(void)escape(big);
	char *q = malloc(32);
	if (q == target || (q >= target && q < target + sizeof(target)))
		attack_won("malloc returned the attacker's target address");
	free(p);
	free_extras();
	attack_won("an overwrite of the 16 bytes after a block went unnoticed");
}
