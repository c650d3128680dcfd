/*
 * realloc_interior: realloc() a pointer 16 bytes into a live block.
 *
 * realloc must validate its pointer like free: p + 16 is not a chunk
 * start. Deterministic: the check depends only on the offset.
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
	uint64_t fake_size = 0x71; /* plausible glibc header for p + 16 */
	memcpy(p + 8, &fake_size, sizeof(fake_size));

	char *q = realloc(escape(p + 16), 300);
	(void)escape(q);
	attack_won("realloc of an interior pointer was accepted");
}
