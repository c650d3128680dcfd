/*
 * Uninitialized-memory leak, small blocks: the program fills N chunks of
 * 64 bytes with a secret and frees them; the attacker then allocates many
 * chunks of the same size and reads them without writing (as a program
 * that sends an uninitialized buffer would). No chunk handed out may still
 * hold the secret.
 *
 * EXPECT: defend
 *
 * The freed chunks are pushed back into circulation, so the test is not
 * vacuous under a quarantining allocator: they are freed one per round of
 * FLUSH rounds, each of which also does a same-class malloc (checked) and
 * free and a 60000-byte malloc/free; the big frees push the chunks out of
 * the per-thread ring, their drain batches and the shared 8 MiB FIFO. The
 * attacker then allocates HOLD_ZONES zones' worth of the class without
 * freeing, which takes every chunk of the class's zones. (Under bastion
 * thousands of the secret chunks come back this way.) bastion wipes every
 * chunk with zeros on free, so the outcome does not depend on which chunks
 * come back.
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>

#define SIZE   64
#define N      6000
#define FLUSH  10000
#define SECRET 0x5ec2e75ec2e75ec2ull

static void check(const void *p)
{
	if (!p)
		exit(2); /* out of memory: the test cannot run */
	size_t words = malloc_usable_size((void *)p) / 8;
	const volatile uint64_t *w = p;
	for (size_t i = 0; i < words; i++)
		if (w[i] == SECRET)
			attack_won("a new allocation still holds a freed block's secret");
}

int main(void)
{
	static void *a[N];
	size_t usable = 0;
	for (int i = 0; i < N; i++) {
		a[i] = escape(malloc(SIZE));
		if (!a[i])
			return 2;
		usable = malloc_usable_size(a[i]);
		uint64_t *w = a[i];
		for (size_t k = 0; k < usable / 8; k++)
			w[k] = SECRET;
	}
	for (int i = 0; i < FLUSH; i++) {
		if (i < N)
			free(a[i]);
		flush_round(SIZE, check);
	}
	hold_zones(SIZE, usable + 8, check);
	defended("no new allocation showed a freed block's secret");
}
