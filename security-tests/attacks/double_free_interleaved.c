/*
 * double_free_interleaved: free(p), then other allocations and frees
 * (including blocks of p's own size, which an allocator that reuses p at
 * once would hand p to), then free(p) again.
 *
 * Determinism under bastion: a freed chunk sits in the thread's quarantine
 * ring (256 slots, 1 MiB) and a resident is evicted only once the ring is
 * full. Between the two frees this program frees fewer than 100 blocks of
 * at most 2000 bytes (< 200 KiB), so p is still quarantined, its state is
 * still "freed", and it cannot have been handed out again: the second free
 * always sees a freed chunk. (A later eviction would not change that
 * either: only a new allocation of p's chunk could, and that needs p to
 * have left the ring.)
 *
 * EXPECT: abort:double-free
 */
#include "attack.h"

#define N 48

int main(void)
{
	static const size_t sizes[] = {48, 16, 200, 48, 1000, 32, 48, 2000, 64, 48, 100, 512};
	const size_t nsizes = sizeof(sizes) / sizeof(sizes[0]);
	char *blocks[N];
	char *p = malloc(48);
	if (!p)
		return 2;
	memset(p, 'P', 48);

	/* Some churn before the first free. */
	for (int i = 0; i < N; i++)
		blocks[i] = malloc(sizes[i % nsizes]);
	for (int i = 0; i < N; i += 2)
		free(blocks[i]);

	char *again = escape(p); /* the same pointer, hidden from the compiler */
	free(p);

	/* Churn between the two frees: new blocks (some of p's size) and frees. */
	int reused = 0;
	for (int i = 0; i < N; i += 2) {
		blocks[i] = malloc(sizes[(i * 7) % nsizes]);
		if (blocks[i] == p)
			reused = 1;
		memset(blocks[i], 'B', sizes[(i * 7) % nsizes]);
	}
	for (int i = 1; i < N; i += 4)
		free(blocks[i]);

	free(again);
	if (reused)
		attack_won(
		    "p was handed out again and the second free released the new owner's block");
	attack_won("the second free of p, after other allocations and frees, was accepted");
}
