/*
 * overflow_rounding_nul: strcpy() a 100-character string into a 100-byte
 * block; the terminating NUL lands one byte past the request, inside the
 * allocator's rounding (bastion: a 112-byte chunk, 104 bytes before its
 * canary; glibc: 104 usable bytes). The classic off-by-one of a string
 * copy that forgot the NUL.
 *
 * bastion's slack pattern has no zero byte, so the NUL always changes it;
 * free() checks it. The block must be a zone chunk (zone_chunk()).
 *
 * With checked copies (libbastion.so's memset/memcpy/strcpy), the write
 * itself is stopped as a heap-overflow; with checked_copies=0 the canary
 * or slack pattern is found at free.
 *
 * EXPECT: abort:heap-overflow
 */
#include "attack.h"

int main(void)
{
	char *p = zone_chunk(100);
	if (!p)
		return 2;
	char src[101];
	memset(src, 'A', 100);
	src[100] = '\0';
	strcpy(escape(p), src);
	free(p);
	attack_won("a NUL written one past the requested size went unnoticed");
}
