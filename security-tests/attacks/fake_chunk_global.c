/*
 * fake_chunk_global: glibc "house of spirit". The attacker builds a fake
 * chunk in a global array (a plausible 0x40 size header, and a plausible
 * next-chunk header after it), frees the fake chunk's user pointer, and
 * then malloc of that size returns the global: the attacker now has the
 * allocator hand out memory it controls.
 *
 * bastion sees a pointer in no zone and with no large record. Deterministic.
 *
 * EXPECT: abort:invalid-free
 */
#include "attack.h"

static _Alignas(16) uint64_t fake[32];

int main(void)
{
	fake[0] = 0;    /* prev_size */
	fake[1] = 0x40; /* size: 64-byte chunk */
	fake[9] = 0x21; /* next chunk's size, for glibc's fastbin checks */
	void *victim = &fake[2];

	free(escape(victim));

	void *q = malloc(0x30);
	if (q == victim)
		attack_won("malloc returned a fake chunk in a global array");
	attack_won("free of a fake chunk in a global array was accepted");
}
