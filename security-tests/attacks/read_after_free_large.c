/*
 * Read after free, large block: a 256 KiB block holding a secret is freed,
 * a few blocks of the same size are allocated, and the dangling pointer
 * then reads the old block. bastion keeps freed large blocks PROT_NONE in
 * a virtual-memory quarantine (the last 64 large frees) before unmapping
 * them, so the read faults; any read that does not fault is a miss, even
 * if it shows no secret.
 *
 * EXPECT: segv
 *
 * Deterministic: only one large block is freed, so it is still in the
 * quarantine when the read happens.
 */
#include "attack.h"

#define SIZE   (256 * 1024)
#define SECRET 0x5ec2e75ec2e75ec2ull

int main(void)
{
	uint64_t *p = escape(malloc(SIZE));
	if (!p)
		return 2;
	for (size_t k = 0; k < SIZE / 8; k++)
		p[k] = SECRET;
	const volatile uint64_t *dangling = escape(p);
	free(p);
	for (int i = 0; i < 4; i++)
		if (!escape(malloc(SIZE)))
			return 2;
	uint64_t v = dangling[512]; /* the bug */
	if (v == SECRET)
		attack_won("read a freed large block's secret");
	attack_won("a read of a freed large block did not fault");
}
