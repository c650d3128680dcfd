/*
 * invalid_free_misaligned: free() a pointer one byte into a live block.
 *
 * bastion finds the chunk by address arithmetic; p + 1 is not a chunk
 * start. Deterministic: the check depends only on the offset.
 *
 * EXPECT: abort:invalid-free
 */
#include "attack.h"

int main(void)
{
	char *p = malloc(64);
	if (!p)
		return 2;
	memset(p, 'A', 64);
	free(escape(p + 1));
	attack_won("free of a misaligned pointer was accepted");
}
