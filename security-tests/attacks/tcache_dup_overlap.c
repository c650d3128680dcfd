/*
 * tcache_dup_overlap: double free, then two mallocs return the same block,
 * so two owners share (overlap) one chunk. Against glibc >= 2.29 the
 * attacker first clears the tcache "key" word (offset 8 of the freed
 * block), which defeats glibc's tcache double-free check.
 *
 * Under bastion the second free must abort: the chunk state is out of
 * line, and clearing the key wrote only zeros into a chunk that bastion
 * wiped with zeros anyway, so the write changes nothing there.
 *
 * Determinism: the block must be a zone chunk. bastion places an
 * occasional small allocation (sampling) on a page of its own against a
 * guard page, and such a block is inaccessible once freed, so the key
 * write would fault. zone_chunk() takes blocks until two share a 4 MiB
 * aligned slot: zones are 4 MiB aligned and sampled blocks live outside
 * them, so both are zone chunks.
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

	/* Use after free: clear glibc's tcache key so the next free is not
	 * recognised as a double free. */
	volatile uint64_t *key = (volatile uint64_t *)(again + 8);
	*key = 0;

	free(again);

	char *x = malloc(64);
	char *y = malloc(64);
	if (x == y)
		attack_won("double free: two mallocs returned the same block");
	attack_won("the double free was accepted");
}
