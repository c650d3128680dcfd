/*
 * Uninitialized-memory leak, large blocks: ROUNDS times, allocate N blocks
 * of 200 KiB, check that none holds the secret, fill them with the secret
 * and free them. A block handed out again without clearing shows the
 * previous owner's data. (glibc: the first round is mmapped, which raises
 * its mmap threshold, so later rounds are served from the heap and reuse
 * freed memory.)
 *
 * EXPECT: defend
 *
 * Deterministic under bastion: a large block is a fresh mapping (zero
 * pages); freed ones are kept PROT_NONE and then unmapped, never recycled
 * with their contents.
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>

#define SIZE   (200 * 1024)
#define N      48
#define ROUNDS 4
#define SECRET 0x5ec2e75ec2e75ec2ull

int main(void)
{
	static void *a[N];
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < N; i++) {
			a[i] = escape(malloc(SIZE));
			if (!a[i])
				return 2;
		}
		for (int i = 0; i < N; i++) {
			const volatile uint64_t *w = a[i];
			for (size_t k = 0; k < SIZE / 8; k++)
				if (w[k] == SECRET)
					attack_won(
					    "a new large block still holds a freed block's secret");
		}
		for (int i = 0; i < N; i++) {
			uint64_t *w = a[i];
			for (size_t k = 0; k < SIZE / 8; k++)
				w[k] = SECRET;
		}
		/* Every other block first, so freed blocks do not all merge into
		 * one free area at the top of a heap. */
		for (int i = 0; i < N; i += 2)
			free(a[i]);
		for (int i = 1; i < N; i += 2)
			free(a[i]);
	}
	defended("no large block showed a freed block's secret");
}
