/*
 * double_free_after_flush: free(p), then 20000 malloc/free pairs of a
 * different size class to push p out of every quarantine, then free(p)
 * again.
 *
 * The churn flushes p out of the thread's quarantine and back to its zone,
 * but p's chunk state stays "freed" until the chunk is handed out again,
 * and only an allocation of p's class (48 bytes) could do that; the churn
 * uses a different class (200 bytes) and nothing else runs. So the second
 * free always finds a freed chunk: deterministic.
 *
 * EXPECT: abort:double-free
 */
#include "attack.h"

int main(void)
{
	char *p = malloc(48);
	if (!p)
		return 2;
	memset(p, 'P', 48);
	char *again = escape(p); /* the same pointer, hidden from the compiler */
	free(p);

	for (int i = 0; i < 20000; i++) {
		char *q = escape(malloc(200));
		if (!q)
			return 2;
		q[0] = 'Q';
		free(q);
	}

	free(again);
	attack_won("the second free of p, after 20000 frees of another class, was accepted");
}
