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
 * Determinism: the block must be a zone chunk (zone_chunk(), attack.h): a
 * sampled block is inaccessible once freed, so the key write would fault.
 *
 * EXPECT: abort:double-free
 */
#include "attack.h"

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
