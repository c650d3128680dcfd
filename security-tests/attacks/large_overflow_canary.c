/*
 * large_overflow_canary: write one byte just past malloc_usable_size(p) of
 * a 200000-byte (large, own mapping) allocation, then free(p).
 *
 * The large allocation's canary follows its usable size in the same page
 * (the slack runs to the page end), so the write does not fault; the
 * canary's first byte always has bit 7 set, so 'A' (0x41) always changes
 * it, and free checks it. Deterministic.
 *
 * EXPECT: abort:canary-corrupted
 */
#define _GNU_SOURCE
#include "attack.h"
#include <malloc.h>

int main(void)
{
	char *p = malloc(200000);
	if (!p)
		return 2;
	size_t n = malloc_usable_size(p);
	memset(p, 'A', n);
	volatile char *v = escape(p);
	v[n] = 'A';
	free(p);
	attack_won("a 1-byte overflow past a large allocation went unnoticed");
}
