/*
 * Write after free onto a page of a big freed block that its owner never
 * touched. bastion's wipe leaves alone the pages of a chunk of four pages
 * or more that hold no data (they read as zero already), and its check
 * at reuse and at exit reads only the pages that do: the dangling write
 * makes its page one of those, so it must still be found when the chunk
 * is handed out again, or at exit if it never is.
 *
 * The program uses the first bytes of a 40,000-byte block, frees it,
 * writes through the dangling pointer 20 KiB in, then allocates and frees
 * blocks of the same size until the chunk has left the quarantine and
 * been handed out again, most likely.
 *
 * EXPECT: abort:write-after-free or segv
 */
#include "attack.h"

#define SIZE   40000
#define ROUNDS 1200

int main(void)
{
	char *p = escape(malloc(SIZE));
	if (!p)
		return 2;
	memset(p, 'o', 100);
	free(p);
	/* The bug: a write through the dangling pointer, on a page the
	 * block's owner never touched. */
	*(volatile uint64_t *)(p + 5 * 4096 + 64) = 0x4141414141414141ull;
	for (int i = 0; i < ROUNDS; i++) {
		char *q = escape(malloc(SIZE));
		if (!q)
			return 2;
		q[0] = 'x';
		free(q);
	}
	attack_won("a write into an untouched page of a freed block was never reported");
}
