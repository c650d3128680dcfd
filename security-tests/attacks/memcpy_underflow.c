/*
 * memcpy_underflow: memcpy 16 bytes to 8 bytes before the start of a
 * 100-byte block (an index computed one element too low), into whatever
 * precedes it: under bastion the end of the chunk before it, which is
 * either another live block's canary, or an idle (freed, never-used or
 * canary) chunk.
 *
 * libbastion.so's memcpy finds the chunk the destination lies in and
 * stops the write: past a live block's requested size it is a
 * heap-overflow, into a freed chunk a write-after-free, into a never-used
 * or canary chunk a heap-overflow. The block must be a zone chunk that is
 * not the first of its zone (zone_chunk(), retried).
 *
 * EXPECT: abort:heap-overflow or abort:write-after-free
 */
#include "attack.h"

static volatile size_t len = 16;

int main(void)
{
	char *p = NULL;
	for (int i = 0; i < 8 && (!p || ((uintptr_t)p & ((4u << 20) - 1)) < 4096 + 112); i++)
		p = zone_chunk(100);
	char src[16];
	if (!p)
		return 2;
	memset(src, 'A', sizeof(src));
	memcpy(escape(p - 8), src, len);
	attack_won("a memcpy 8 bytes before a heap block went unnoticed");
}
