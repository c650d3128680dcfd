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
 * Determinism: a must be a zone chunk, whose canary sits right
 * after its usable size. bastion places an occasional small allocation
 * (sampling) on a page of its own against a guard page instead, with a
 * layout of its own. zone_chunk() takes blocks until two share a 4 MiB
 * aligned slot: zones are 4 MiB aligned and sampled blocks live outside
 * them, so both are zone chunks. (Other allocators: any block will do.)
 *
 * EXPECT: abort:canary-corrupted
 */
#define _GNU_SOURCE
#include "attack.h"
#include <malloc.h>

#define SLOT(p) ((uintptr_t)(p) >> 22)

static void *extras[16];
static int nextras;

/* A block that is a zone chunk: see the comment at the top. */
static char *zone_chunk(size_t n)
{
	for (int k = 0; k < 16; k++) {
		char *q = malloc(n);
		for (int j = 0; j < nextras; j++)
			if (SLOT(extras[j]) == SLOT(q))
				return q;
		extras[nextras++] = q;
	}
	return malloc(n);
}

static void free_extras(void)
{
	for (int j = 0; j < nextras; j++)
		free(extras[j]);
}

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
