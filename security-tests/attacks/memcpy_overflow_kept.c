/*
 * memcpy_overflow_kept: memcpy 101 bytes into a 100-byte block that the
 * program keeps: no free follows, so no check at free can see it. isoalloc
 * offers checked memcpy for this; an allocator that only checks at free
 * or at reuse misses it.
 *
 * libbastion.so exports memcpy: a write into a zone chunk past the bytes
 * it was allocated for is stopped before it happens. The block must be a
 * zone chunk (zone_chunk()), not a sampled one (whose guard page is a page
 * away from its slack).
 *
 * EXPECT: abort:heap-overflow
 */
#include "attack.h"

static volatile size_t len = 101;

int main(void)
{
	char *p = zone_chunk(100);
	char src[128];
	if (!p)
		return 2;
	memset(src, 'A', sizeof(src));
	memcpy(escape(p), src, len);
	attack_won("a 1-byte memcpy overflow of a kept block went unnoticed");
}
