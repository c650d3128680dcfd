/*
 * invalid_free_memalign_interior: free() a pointer one alignment unit
 * (4096 bytes) into a block from posix_memalign(4096, 5000).
 *
 * The interior pointer is itself 4096-aligned, so it looks like another
 * aligned block; the attacker also writes a plausible glibc chunk header
 * (size 0x20) in front of it, inside the block's own data, which makes
 * glibc accept it. Under bastion the block is a chunk of an 8192-byte
 * class (or a large allocation); p + 4096 is not a chunk start and no
 * allocation starts there. Deterministic.
 *
 * EXPECT: abort:invalid-free
 */
#define _GNU_SOURCE
#include "attack.h"

int main(void)
{
	void *v = NULL;
	if (posix_memalign(&v, 4096, 5000) != 0)
		return 2;
	char *p = v;
	memset(p, 'A', 5000);
	uint64_t fake_size = 0x21;
	memcpy(p + 4096 - 8, &fake_size, sizeof(fake_size));

	free(escape(p + 4096));
	attack_won("free of an interior pointer of a memalign block was accepted");
}
