/*
 * large_underflow_guard: write p[-1] of a 1 MiB allocation (glibc keeps
 * the mmapped chunk's size there).
 *
 * A large allocation's data starts at a page boundary right after a
 * guard page, so p[-1] is in the guard page and the write faults.
 * Deterministic.
 *
 * EXPECT: segv
 */
#include "attack.h"

int main(void)
{
	char *p = malloc((size_t)1 << 20);
	if (!p)
		return 2;
	memset(p, 'A', (size_t)1 << 20);
	volatile char *v = escape(p);
	v[-1] = 'B';
	free(p);
	attack_won("a write to the byte before a large allocation went unnoticed");
}
