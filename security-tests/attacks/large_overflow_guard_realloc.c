/*
 * large_overflow_guard_realloc: the same linear overflow as
 * large_overflow_guard, from a large block that realloc grew: 200 KiB
 * grown to 600 KiB, then 1.5 MiB. bastion grows a block where it lies
 * when the pages after it are free, moving its guard page to the new end;
 * a growth that left the old guard page behind, or none after the new
 * end, lets the write run into whatever follows.
 *
 * The write faults before it has gone one page past the usable end.
 * Deterministic.
 *
 * EXPECT: segv
 */
#define _GNU_SOURCE
#include "attack.h"

int main(void)
{
	char *p = malloc((size_t)200 << 10);
	if (!p)
		return 2;
	memset(p, 'A', (size_t)200 << 10);
	char *q = realloc(p, (size_t)600 << 10);
	if (!q)
		return 2;
	char *r = realloc(q, (size_t)1536 << 10);
	if (!r)
		return 2;
	overflow_two_pages(r, "a write of two pages past a grown 1.5 MiB allocation did not fault");
}
