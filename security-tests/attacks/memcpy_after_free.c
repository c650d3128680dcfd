/*
 * memcpy_after_free: free a 64-byte block, then memcpy into it through
 * the dangling pointer, and never allocate again: the write lands in a
 * quarantined chunk that is never handed out, so no check at reuse sees
 * it.
 *
 * libbastion.so's memcpy checks the state of the chunk it writes into: a
 * freed chunk is a write-after-free, stopped before the write. The block
 * must be a zone chunk (zone_chunk()): a sampled one is inaccessible once
 * freed, and the write faults instead.
 *
 * EXPECT: abort:write-after-free
 */
#include "attack.h"

static volatile size_t len = 8;

int main(void)
{
	char *p = zone_chunk(64);
	char src[8] = "AAAAAAA";
	if (!p)
		return 2;
	free(p);
	memcpy(escape(p), src, len);
	attack_won("a memcpy into a freed block went unnoticed");
}
