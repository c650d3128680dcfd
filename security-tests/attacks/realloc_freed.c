/*
 * realloc_freed: realloc() a block that was already freed.
 *
 * realloc must validate its pointer like free: the chunk state says
 * "freed", a double free. Nothing runs between the free and the realloc.
 *
 * Determinism: the block must be a zone chunk. bastion places an
 * occasional small allocation (sampling) on a page of its own, and a freed
 * one of those is a quarantined large mapping with its own report.
 * zone_chunk() takes blocks until two share a 4 MiB-aligned slot: zones
 * are 4 MiB aligned and sampled blocks live outside them.
 *
 * EXPECT: abort:double-free
 */
#include "attack.h"

#define SLOT(p) ((uintptr_t)(p) >> 22)

static void *extras[16];
static int nextras;

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
	char *p = zone_chunk(64);
	if (!p)
		return 2;
	memset(p, 'A', 64);
	char *again = escape(p); /* the same pointer, hidden from the compiler */
	free(p);

	char *q = realloc(again, 300);
	if (q == p)
		attack_won("realloc of a freed block returned the freed block");
	attack_won("realloc of a freed block was accepted");
}
