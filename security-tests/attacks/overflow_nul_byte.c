/*
 * overflow_nul_byte: strcpy() a string exactly malloc_usable_size(p)
 * characters long into p: the terminating NUL lands one byte past the end
 * (glibc's "poison null byte": it clears the low byte of the next chunk's
 * size field).
 *
 * bastion's canary never starts with a zero byte (bit 7 of its first byte
 * is always set), so the NUL always changes it; free() checks it.
 *
 * Determinism: the block must be a zone chunk, whose canary sits right
 * after its usable size, not a sampled block with a layout of its own:
 * zone_chunk() (attack.h) gives one.
 *
 * With checked copies (libbastion.so's memset/memcpy/strcpy), the write
 * itself is stopped as a heap-overflow; with checked_copies=0 the canary
 * or slack pattern is found at free.
 *
 * EXPECT: abort:heap-overflow
 */
#define _GNU_SOURCE
#include "attack.h"
#include <malloc.h>

int main(void)
{
	char *p = zone_chunk(40);
	if (!p)
		return 2;
	size_t n = malloc_usable_size(p);
	char src[4096];
	if (n >= sizeof(src))
		return 2;
	memset(src, 'A', n);
	src[n] = '\0';
	strcpy(escape(p), src);
	free(p);
	attack_won("a NUL byte written one past the usable size went unnoticed");
}
