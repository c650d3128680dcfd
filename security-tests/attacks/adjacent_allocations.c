/*
 * Adjacent allocations: 1000 consecutive malloc(64). With a bump or
 * free-list allocator the next block sits right after (or before) the
 * previous one, so an overflow of one object predictably hits the next.
 * Count consecutive pairs b == a + stride or b == a - stride, with stride
 * the chunk pitch (malloc_usable_size rounded up to 16: 80 for glibc and
 * bastion, 64 for jemalloc or mimalloc). Defended if under 15% of the
 * pairs are adjacent; glibc gives ~100%.
 *
 * EXPECT: defend
 *
 * Threshold: bastion picks each chunk at random from a window of at least
 * 64 chunks (819 for this class); only when a pick lands on a partly used
 * bitmap word does it take the first free chunk after a random rotation,
 * which sometimes hands out a run of free chunks in order. Measured over
 * 300 runs: 18 of 999 pairs adjacent on average (1.8%), standard deviation
 * 5, maximum 31. The threshold, 150, is more than 25 standard deviations
 * above the mean, so a false failure is far less likely than 1e-6.
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>

#define N    1000
#define SIZE 64

int main(void)
{
	static uintptr_t a[N];
	for (int i = 0; i < N; i++) {
		void *p = escape(malloc(SIZE));
		if (!p)
			return 2;
		a[i] = (uintptr_t)p;
	}
	uintptr_t stride = (malloc_usable_size((void *)a[0]) + 15) & ~(uintptr_t)15;
	int adjacent = 0;
	for (int i = 1; i < N; i++)
		if (a[i] == a[i - 1] + stride || a[i] + stride == a[i - 1])
			adjacent++;
	fprintf(stderr, "%d of %d consecutive pairs adjacent (stride %zu)\n", adjacent, N - 1,
	        (size_t)stride);
	if (adjacent * 100 >= 15 * (N - 1))
		attack_won("consecutive allocations are often adjacent to each other");
	defended("consecutive allocations are rarely adjacent");
}
