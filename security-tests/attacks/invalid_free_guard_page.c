/*
 * invalid_free_guard_page: free() a page-aligned pointer into the guard
 * page in front of a large (1 MiB) allocation.
 *
 * The pointer looks like a large allocation's data start (page aligned)
 * but no allocation starts there. Deterministic.
 *
 * EXPECT: abort:invalid-free
 */
#include "attack.h"

int main(void)
{
	char *p = malloc((size_t)1 << 20);
	if (!p)
		return 2;
	p[0] = 'A';
	uintptr_t guard = ((uintptr_t)p & ~(uintptr_t)4095) - 4096;
	free(escape((void *)guard));
	attack_won("free of a pointer into the guard page before a large block was accepted");
}
