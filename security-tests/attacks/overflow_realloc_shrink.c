/*
 * overflow_realloc_shrink: shrink a block with realloc, then keep using
 * the old size: 64 bytes are written right after the new usable size, in
 * bytes the old size allowed.
 *
 * bastion moves a block that shrinks to another size class, so the stale
 * write runs through the new chunk's canary (checked by free) and into
 * its neighbour. Two outcomes are legitimate, depending on where the new
 * block lands: the canary report, or a fault when the write reaches a
 * guard page (the new block is one of the last chunks of its zone, or a
 * sampled block placed right against a guard page).
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
	char *p = malloc(1000);
	if (!p)
		return 2;
	memset(p, 'A', 1000);
	size_t old = malloc_usable_size(p);
	char *q = realloc(p, 100);
	if (!q)
		return 2;
	size_t now = malloc_usable_size(q);
	if (now + 64 > old)
		defended("realloc kept (nearly) the old size: the stale write would be in bounds");
	/* The program still believes the block holds `old` bytes. */
	memset(escape(q + now), 'B', 64);
	free(q);
	attack_won("a write past the shrunk size (within the old size) went unnoticed");
}
