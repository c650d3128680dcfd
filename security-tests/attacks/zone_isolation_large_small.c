/*
 * Small/large isolation: an overflow off the end of a small chunk must not
 * run into a large block. Small and large allocations are interleaved
 * (glibc serves both from one heap below its mmap threshold); for every
 * small chunk the byte right after its usable area and canary
 * (p + malloc_usable_size(p) + 8) must not lie inside any large block
 * ([q, q + malloc_usable_size(q))). The byte just before each small chunk
 * is checked too, so no large block ends right at one.
 *
 * EXPECT: defend
 *
 * Deterministic under bastion: small chunks live in zones of a reserved
 * region that large mappings can never enter, each zone ends in a guard
 * page, and a sampled small block ends at its own guard page; large blocks
 * are separate mappings with a guard page on each side.
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>

#define ROUNDS  200
#define PER_RND 10

struct range {
	uintptr_t lo, hi;
};

static struct range large[ROUNDS];
static uintptr_t small_p[ROUNDS * PER_RND];
static size_t small_u[ROUNDS * PER_RND];

static int cmp_range(const void *a, const void *b)
{
	uintptr_t x = ((const struct range *)a)->lo, y = ((const struct range *)b)->lo;
	return x < y ? -1 : x > y;
}

/* Is byte x inside a large block? */
static int in_large(uintptr_t x)
{
	size_t a = 0, b = ROUNDS;
	while (a < b) { /* first range with lo > x */
		size_t m = (a + b) / 2;
		if (large[m].lo <= x)
			a = m + 1;
		else
			b = m;
	}
	return a > 0 && x < large[a - 1].hi;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(void)
{
	size_t ns = 0;
	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < PER_RND; k++) {
			/* Mostly small sizes, some up to the largest small class. */
			size_t n = k < 7 ? 1 + next() % 1024 : 1 + next() % 131064;
			void *p = escape(malloc(n));
			if (!p)
				return 2;
			small_p[ns] = (uintptr_t)p;
			small_u[ns] = malloc_usable_size(p);
			ns++;
		}
		size_t n = 131072 + next() % (200 * 1024);
		void *q = escape(malloc(n));
		if (!q)
			return 2;
		large[r].lo = (uintptr_t)q;
		large[r].hi = (uintptr_t)q + malloc_usable_size(q);
	}
	qsort(large, ROUNDS, sizeof(large[0]), cmp_range);
	for (size_t i = 0; i < ns; i++) {
		if (in_large(small_p[i] + small_u[i] + 8))
			attack_won(
			    "the byte after a small chunk (and its canary) is in a large block");
		if (in_large(small_p[i] - 1))
			attack_won("a large block ends right before a small chunk");
	}
	defended("no small chunk borders a large block");
}
