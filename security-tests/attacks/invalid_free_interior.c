/*
 * invalid_free_interior: free() a pointer 16 bytes into a live block.
 *
 * The attacker first writes a plausible glibc chunk header (size 0x20)
 * just before the interior pointer, inside the block's own data, so glibc
 * takes p + 16 for a chunk of its own, puts it in a tcache bin and hands
 * it out again, overlapping the live block. bastion finds the chunk by
 * address arithmetic and sees that p + 16 is not a chunk start. The check
 * depends only on the offset, so the outcome is deterministic.
 *
 * EXPECT: abort:invalid-free
 */
#include "attack.h"

int main(void)
{
	char *p = malloc(100);
	if (!p)
		return 2;
	memset(p, 'A', 100);
	uint64_t fake_size = 0x21; /* a 32-byte glibc chunk, previous in use */
	memcpy(p + 8, &fake_size, sizeof(fake_size));

	free(escape(p + 16));

	char *q = malloc(24);
	if (q == p + 16)
		attack_won(
		    "an interior pointer was freed and handed out again inside a live block");
	attack_won("free of an interior pointer was accepted");
}
