/*
 * underflow_1byte: write p[-1] (an off-by-one below the block), then
 * free(p). Against glibc that byte belongs to p's own size field.
 *
 * Under bastion p[-1] is the last byte of the previous chunk's canary
 * slot. When p is freed, bastion checks its neighbours that are not live
 * (a freed chunk's canary, a canary chunk's words, a never-used chunk's
 * zero tail); a live previous chunk has its canary checked when it is
 * freed. For p at index 0 of its zone, p[-1] is in the page before the
 * zone (a guard page or unmapped): a fault. Both stops are legitimate.
 *
 * Determinism:
 *  - the byte is flipped (not set to a constant), so it always changes,
 *    whatever the previous chunk held;
 *  - the size (3000 bytes, an otherwise unused class) means the previous
 *    chunk is either not live (checked when p is freed) or one of this
 *    program's own blocks (checked when free_extras() frees it);
 *  - the block must be a zone chunk: a sampled block (bastion puts an
 *    occasional small allocation on a page of its own against a guard
 *    page) has unused slack before it. zone_chunk() takes blocks until two
 *    share a 4 MiB-aligned slot: zones are 4 MiB aligned and sampled
 *    blocks live outside them, so both are zone chunks.
 *
 * EXPECT: abort:canary-corrupted or segv
 */
#include "attack.h"

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
	char *p = zone_chunk(3000);
	if (!p)
		return 2;
	memset(p, 'A', 3000);
	volatile char *v = escape(p);
	v[-1] = (char)~v[-1];
	free(p);
	free_extras();
	attack_won("a 1-byte underflow went unnoticed");
}
