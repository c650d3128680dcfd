/*
 * fake_chunk_stack: glibc "house of spirit" on the stack. A fake chunk
 * with a plausible 0x40 size header (and next-chunk header) in a stack
 * array is freed; then malloc of that size returns the stack address.
 *
 * bastion sees a pointer in no zone and with no large record. Deterministic.
 *
 * EXPECT: abort:invalid-free
 */
#include "attack.h"

__attribute__((noinline)) static void attack(void)
{
	_Alignas(16) uint64_t fake[32];
	memset(fake, 0, sizeof(fake));
	fake[1] = 0x40; /* size: 64-byte chunk */
	fake[9] = 0x21; /* next chunk's size, for glibc's fastbin checks */
	void *victim = escape(&fake[2]);

	free(victim);

	void *q = malloc(0x30);
	if (q == victim)
		attack_won("malloc returned a fake chunk on the stack");
	attack_won("free of a fake chunk on the stack was accepted");
}

int main(void)
{
	attack();
}
