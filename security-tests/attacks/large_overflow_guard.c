/*
 * large_overflow_guard: a linear overflow from a 1 MiB allocation: bytes
 * are written one by one from its usable end onward, through the canary
 * and the slack, up to two pages further.
 *
 * The data of a large allocation ends within its last page and a guard
 * page follows that page, so the write faults before it has gone one page
 * past the usable end. Deterministic.
 *
 * EXPECT: segv
 */
#define _GNU_SOURCE
#include "attack.h"

int main(void)
{
	char *p = malloc((size_t)1 << 20);
	if (!p)
		return 2;
	overflow_two_pages(p, "a write of two pages past a 1 MiB allocation did not fault");
}
