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
