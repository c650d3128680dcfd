/*
 * overflow_linear_long: memset 256 bytes past the end of a 64-byte block,
 * through its canary and into the neighbouring chunks, then free(p).
 *
 * Two outcomes are legitimate stops, and which one happens depends on
 * bastion's random placement: usually the write runs through p's canary
 * and free(p) reports it; but if p is one of the last chunks of its zone
 * the write reaches the zone's guard page and faults, and a sampled
 * block (one small allocation in a few thousand is placed right against
 * a guard page) faults too.
 *
 * With checked copies (libbastion.so's memset/memcpy/strcpy), the write
 * itself is stopped as a heap-overflow; with checked_copies=0 the canary
 * or slack pattern is found at free.
 *
 * EXPECT: abort:heap-overflow or segv
 */
#define _GNU_SOURCE
#include "attack.h"
#include <malloc.h>

int main(void)
{
	char *p = malloc(56);
	if (!p)
		return 2;
	size_t n = malloc_usable_size(p);
	memset(p, 'A', n);
	memset(escape(p + n), 'B', 256);
	free(p);
	attack_won("a 256-byte linear overflow into the neighbours went unnoticed");
}
