/*
 * Reuse across size classes: free many 64-byte chunks (class A), then
 * allocate many 2000-byte chunks (class B). An allocator that coalesces
 * freed small chunks (glibc consolidates its fastbins on a large request)
 * hands the same memory out again as B, so a dangling A pointer aliases a
 * B object of another type. No B allocation may overlap any freed A chunk.
 *
 * EXPECT: defend
 *
 * Under bastion every zone holds one size class for life, so this holds
 * whatever the random layout. Sampled guarded allocations (one in 4096)
 * are separate page-sized mappings that end exactly at a guard page
 * (p + malloc_usable_size(p) on a page boundary, which never happens for a
 * zone chunk: chunk ends are 8 bytes past a multiple of 16); once
 * unmapped, the kernel may reuse such a range for anything, so A chunks
 * that look like that are left out of the comparison.
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>

#define SIZE_A  64
#define N_A     10000
#define SIZE_B  2000
#define PAIRS_B 10000
#define HOLD_B  10000

struct range {
	uintptr_t lo, hi;
};

static struct range freed[N_A];
static size_t nfreed;

static int cmp_range(const void *a, const void *b)
{
	uintptr_t x = ((const struct range *)a)->lo, y = ((const struct range *)b)->lo;
	return x < y ? -1 : x > y;
}

/* Does [lo, hi) overlap a freed class-A chunk? */
static int overlaps(uintptr_t lo, uintptr_t hi)
{
	size_t a = 0, b = nfreed;
	while (a < b) { /* first range with range.lo >= hi */
		size_t m = (a + b) / 2;
		if (freed[m].lo < hi)
			a = m + 1;
		else
			b = m;
	}
	/* Ranges do not overlap each other, so only the one before can. */
	return a > 0 && freed[a - 1].hi > lo;
}

static void check(void *q)
{
	uintptr_t lo = (uintptr_t)q;
	if (overlaps(lo, lo + malloc_usable_size(q)))
		attack_won("memory of a freed class-A chunk was handed out as class B");
}

int main(void)
{
	static void *a[N_A];
	for (int i = 0; i < N_A; i++) {
		a[i] = escape(malloc(SIZE_A));
		if (!a[i])
			return 2;
		memset(a[i], 'A', SIZE_A);
		uintptr_t lo = (uintptr_t)a[i];
		size_t u = malloc_usable_size(a[i]);
		if ((lo + u) % 4096 != 0) {
			freed[nfreed].lo = lo;
			freed[nfreed].hi = lo + u;
			nfreed++;
		}
	}
	for (int i = 0; i < N_A; i++)
		free(a[i]);
	qsort(freed, nfreed, sizeof(freed[0]), cmp_range);

	for (int i = 0; i < PAIRS_B; i++) {
		void *q = escape(malloc(SIZE_B));
		check(q);
		free(q);
	}
	static void *kept[HOLD_B];
	for (int i = 0; i < HOLD_B; i++) {
		kept[i] = escape(malloc(SIZE_B));
		check(kept[i]);
	}
	defended("no class-B allocation overlapped a freed class-A chunk");
}
