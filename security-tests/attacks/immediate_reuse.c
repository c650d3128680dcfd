/*
 * Immediate reuse: free(p) followed by malloc of the same size. An
 * allocator with LIFO free lists returns p itself, so the dangling pointer
 * now aliases the attacker's new object (the core step of most
 * use-after-free exploits). Over 10000 free/malloc iterations per size the
 * new block must never be the one just freed.
 *
 * EXPECT: defend
 *
 * Deterministic under bastion: a freed small chunk passes the per-thread
 * quarantine ring, a per-class drain batch and the shared FIFO before its
 * zone can hand it out again, and a freed large block (or sampled block)
 * stays PROT_NONE in the virtual-memory quarantine behind the following
 * frees; none of these can return the chunk freed by the previous call.
 */
#include "attack.h"

#define ITERS_SMALL 10000
#define ITERS_LARGE 200

static void run(size_t size, int iters)
{
	void *p = escape(malloc(size));
	for (int i = 0; i < iters; i++) {
		if (!p)
			exit(2);
		uintptr_t freed = (uintptr_t)p;
		free(p);
		void *q = escape(malloc(size));
		if ((uintptr_t)q == freed) {
			fprintf(stderr, "size %zu, iteration %d: %p again\n", size, i, q);
			attack_won("malloc returned the block freed just before");
		}
		p = q;
	}
	free(p);
}

int main(void)
{
	static const size_t large[] = {2u << 20, 300000, 70000};
	static const size_t small[] = {65000, 20000, 4000, 1000, 256, 100, 64, 24, 16, 1};
	for (size_t k = 0; k < sizeof(large) / sizeof(large[0]); k++)
		run(large[k], ITERS_LARGE);
	for (size_t k = 0; k < sizeof(small) / sizeof(small[0]); k++)
		run(small[k], ITERS_SMALL);
	defended("a freed block was never returned by the next malloc of its size");
}
