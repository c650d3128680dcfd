/*
 * Large-bin attack (glibc >= 2.30 variant, sizes scaled up): two big
 * chunks of neighbouring sizes are freed so that the larger one sits in a
 * large bin; the dangling pointer to it overwrites its bk_nextsize with
 * &target - 4 words; inserting the smaller chunk into the same bin then
 * makes the allocator write a heap address into target. The write into
 * the freed block is the bug. bastion serves these sizes (about 100 KB)
 * from the zones of its medium classes: the freed chunk is wiped and
 * quarantined, so the bin metadata the attack corrupts does not exist and
 * the write lands in a dead chunk; it is reported as write-after-free when
 * the chunk is handed out again, which the end of the program forces as
 * write_after_free_small.c does (flush_round, hold_zones in attack.h).
 *
 * EXPECT: abort:write-after-free
 */
#include "attack.h"

#define FLUSH 4000

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
	size_t usable = malloc_usable_size(g4);
	for (int i = 0; i < FLUSH; i++)
		flush_round(100016, NULL);
	hold_zones(100016, usable + 8, NULL);
	attack_won("a write into a freed block was never reported");
}
