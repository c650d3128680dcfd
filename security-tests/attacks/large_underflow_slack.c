/*
 * large_underflow_slack: write one byte before the start of a 200001-byte
 * block (large: a mapping of its own), then free it. Under glibc that byte
 * belongs to the chunk header of an mmapped chunk.
 *
 * bastion places a large block against its trailing guard page, so the
 * bytes between the leading guard page and the block (here 688) are head
 * slack holding the block's pattern; free() checks it. Pattern bytes are
 * odd, so the even byte 'B' always changes one. Deterministic.
 *
 * EXPECT: abort:canary-corrupted
 */
#include "attack.h"

int main(void)
{
	char *p = malloc(200001);
	if (!p)
		return 2;
	memset(p, 'A', 200001);
	((volatile char *)escape(p))[-1] = 'B';
	free(p);
	attack_won("a 1-byte underflow of a large block went unnoticed");
}
