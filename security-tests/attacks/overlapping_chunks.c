/*
 * overlapping_chunks: a, b, c are 24-byte blocks. An overflow of 8 bytes
 * past a's usable size writes what glibc takes as b's size field, growing
 * b over c (0x41). Freeing b and allocating 0x38 bytes then returns b
 * with room that overlaps c.
 *
 * Under bastion those 8 bytes are a's canary (b is somewhere else at
 * random); the canary's first byte always has bit 7 set, so 0x41 always
 * changes it. b's free and the new allocation cannot overlap anything;
 * a's free reports the overflow.
 *
 * Determinism: a must be a zone chunk, whose canary sits right after its
 * usable size, not a sampled block with a layout of its own: zone_chunk()
 * (attack.h) gives one.
 *
 * EXPECT: abort:canary-corrupted
 */
#define _GNU_SOURCE
#include "attack.h"
#include <malloc.h>

int main(void)
{
	char *a = zone_chunk(24);
	char *b = malloc(24);
	char *c = malloc(24);
	if (!a || !b || !c)
		return 2;
	size_t n = malloc_usable_size(a);
	memset(a, 'A', n);
	memset(b, 'B', 24);
	memset(c, 'C', 24);

	uint64_t fake_size = 0x41; /* b now seems to span b and c */
	memcpy(escape(a + n), &fake_size, sizeof(fake_size));
	free(b);
	char *d = malloc(0x38);
	if (d == b) {
		memset(d, 'D', 0x38);
		if (c[0] == 'D' || c[8] == 'D')
			attack_won("a re-allocated block overlaps a live one");
	}
	free(a);
	free_extras();
	attack_won("an overflow into the next chunk's header went unnoticed");
}
