/*
 * realloc_freed: realloc() a block that was already freed.
 *
 * realloc must validate its pointer like free: the chunk state says
 * "freed", a double free. Nothing runs between the free and the realloc.
 *
 * Determinism: the block must be a zone chunk (zone_chunk(), attack.h): a
 * freed sampled block is a quarantined large mapping with its own report.
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

	char *q = realloc(again, 300);
	if (q == p)
		attack_won("realloc of a freed block returned the freed block");
	attack_won("realloc of a freed block was accepted");
}
