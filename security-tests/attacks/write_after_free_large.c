/*
 * Write after free, large block: a 256 KiB block is freed, the attacker
 * allocates a few blocks of the same size hoping to get its address back,
 * and the dangling pointer then writes into it. With the address reused,
 * the write silently corrupts the new owner's data. bastion keeps freed
 * large blocks PROT_NONE in a virtual-memory quarantine (the last 64 large
 * frees) before unmapping them, so the write faults.
 *
 * EXPECT: segv
 *
 * Deterministic: only one large block is freed, so it is still in the
 * quarantine when the write happens.
 */
#include "attack.h"

#define SIZE (256 * 1024)

int main(void)
{
	char *p = escape(malloc(SIZE));
	if (!p)
		return 2;
	memset(p, 'o', SIZE);
	volatile char *dangling = escape(p);
	free(p);
	void *reclaim[4];
	for (int i = 0; i < 4; i++) {
		reclaim[i] = escape(malloc(SIZE));
		if (!reclaim[i])
			return 2;
		memset(reclaim[i], 'n', SIZE);
	}
	dangling[4096] = 'X'; /* the bug */
	for (int i = 0; i < 4; i++)
		if ((char *)reclaim[i] <= (char *)dangling + 4096 &&
		    (char *)dangling + 4096 < (char *)reclaim[i] + SIZE)
			attack_won("a write after free landed in another live block");
	attack_won("a write into a freed large block did not fault");
}
