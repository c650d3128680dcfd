/*
 * large_overflow_canary: write one byte just past malloc_usable_size(p) of
 * a 200001-byte (large, own mapping) allocation, then free(p).
 *
 * The block ends against its guard page but for the 15 bytes its 16-byte
 * alignment leaves (200001 is not a multiple of 16), so the write does
 * not fault: it lands in the tail slack, whose pattern free checks.
 * Pattern bytes are secret but always odd (never NUL), so the even byte
 * 'B' always changes one: deterministic. (An arbitrary byte would be
 * caught 127 times in 128.)
 *
 * EXPECT: abort:canary-corrupted
 */
#define _GNU_SOURCE
#include "attack.h"
#include <malloc.h>

int main(void)
{
	char *p = malloc(200001);
	if (!p)
		return 2;
	size_t n = malloc_usable_size(p);
	memset(p, 'A', n);
	volatile char *v = escape(p);
	v[n] = 'B';
	free(p);
	attack_won("a 1-byte overflow past a large allocation went unnoticed");
}
