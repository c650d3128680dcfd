/*
 * Reuse delay: after free(p), how many malloc/free pairs of the same size
 * until p comes back? The smaller that number, the easier it is for an
 * attacker to place an object of their choosing under a dangling pointer.
 * In every trial p must not come back within the first MIN_DELAY same-class
 * allocations.
 *
 * EXPECT: defend
 *
 * Deterministic under bastion: a freed chunk leaves the per-thread ring
 * (256 slots) only at a random eviction, then waits in its class's drain
 * batch (64 chunks) and then in the shared FIFO (8 MiB) before its zone can
 * pick it again, so it cannot come back within 100 same-class
 * malloc/free pairs (each frees one chunk).
 */
#include "attack.h"

#define TRIALS    100
#define MIN_DELAY 100

/* One trial: p must not come back within MIN_DELAY malloc/free pairs. */
static void trial(size_t size)
{
	void *p = escape(malloc(size));
	if (!p)
		exit(2);
	uintptr_t freed = (uintptr_t)p;
	free(p);
	for (int k = 1; k <= MIN_DELAY; k++) {
		void *q = escape(malloc(size));
		if ((uintptr_t)q == freed) {
			fprintf(stderr, "size %zu: back after %d mallocs\n", size, k);
			attack_won("a freed chunk came back within 100 allocations");
		}
		free(q);
	}
}

int main(void)
{
	static const size_t sizes[] = {40000, 8192, 2000, 512, 128, 64, 32, 8};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (int t = 0; t < TRIALS; t++)
			trial(sizes[s]);
	defended("no freed chunk came back within 100 same-size allocations");
}
