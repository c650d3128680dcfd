/*
 * write_after_free_at_exit: free a 64-byte block, write through the
 * dangling pointer with a plain store (no checked copy), and exit without
 * allocating again: the chunk is never handed out, so the wipe check at
 * reuse never runs. mimalloc-bench's write_after_free has this shape.
 *
 * bastion checks every freed chunk's wipe at exit (verify_at_exit, on by
 * default) and aborts with the report. The block must be a zone chunk
 * (zone_chunk()): a sampled one is inaccessible once freed, and the write
 * faults instead.
 *
 * EXPECT: abort:write-after-free
 */
#include "attack.h"

int main(void)
{
	char *p = zone_chunk(64);
	if (!p)
		return 2;
	free(p);
	((volatile char *)escape(p))[10] = 'X';
	attack_won("a write into a freed block that is never reused went unnoticed");
}
