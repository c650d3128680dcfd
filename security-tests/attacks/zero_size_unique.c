/*
 * malloc(0) uniqueness: 1000 live zero-size allocations must all be
 * distinct pointers. An allocator returning one shared pointer for every
 * zero-size request makes frees of them double frees and lets two
 * "objects" alias. (NULL, which the C standard allows, is not counted as a
 * duplicate: it aliases nothing.)
 *
 * EXPECT: defend
 */
#include "attack.h"

#define N 1000

static int cmp(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	static uintptr_t p[N];
	static void *keep[N];
	int n = 0;
	for (int i = 0; i < N; i++) {
		keep[i] = escape(malloc(0));
		if (keep[i])
			p[n++] = (uintptr_t)keep[i];
	}
	qsort(p, (size_t)n, sizeof(p[0]), cmp);
	for (int i = 1; i < n; i++)
		if (p[i] == p[i - 1])
			attack_won("two live malloc(0) blocks share one pointer");
	for (int i = 0; i < N; i++)
		free(keep[i]);
	fprintf(stderr, "%d distinct non-NULL pointers\n", n);
	defended("every live malloc(0) pointer is distinct");
}
