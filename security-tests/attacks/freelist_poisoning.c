/*
 * Free-list poisoning: after free, the dangling pointer writes a fake "next
 * free chunk" pointer (the address of a global) into the first word of the
 * freed chunk, as in tcache/fastbin poisoning. An allocator with inline
 * free lists then hands out the global as heap memory. The program checks
 * that none of well over 100000 mallocs of the class returns the global.
 * bastion keeps no pointers in freed chunks and checks their zero wipe on
 * reuse, so the write itself is reported when the chunk comes back.
 *
 * EXPECT: abort:write-after-free
 *
 * Making the chunk come back deterministically (see write_after_free_small.c
 * for the numbers): FLUSH rounds of same-class malloc/free interleaved with
 * 60000-byte malloc/free push the chunk out of the per-thread ring (p of
 * staying < 1e-100), through its class's drain batch and the shared 8 MiB
 * FIFO; then HOLD_ZONES zones' worth of the class are allocated without
 * freeing, which takes every chunk of the class's only zone, this one too.
 * A sampled guarded allocation (freed page inaccessible) makes the write
 * fault; the program then retries with another chunk (4 tries: p < 1e-14).
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>

#define SIZE  64
#define FLUSH 4000

/* The attacker's target: a global, aligned like a heap chunk. */
static uint64_t target[8] __attribute__((aligned(64)));

static void check(const void *q)
{
	const char *c = q, *t = (const char *)target;
	if (c >= t && c < t + sizeof(target))
		attack_won("malloc returned the address of a global (poisoned free list)");
}

int main(void)
{
	size_t usable = 0;
	int stored = 0;
	for (int attempt = 0; attempt < 4 && !stored; attempt++) {
		/* A decoy freed first, so that in a LIFO free list the poisoned
		 * chunk is not the last entry and its next pointer is followed. */
		void *decoy = escape(malloc(SIZE));
		char *p = escape(malloc(SIZE));
		if (!decoy || !p)
			return 2;
		char *dangling = escape(p);
		usable = malloc_usable_size(p);
		free(decoy);
		free(p);
		/* The bug: the freed chunk's "next" word now points at target. */
		uint64_t next = (uint64_t)(uintptr_t)target;
		stored = try_store((volatile uint64_t *)dangling, &next, 1);
	}
	if (!stored) {
		raise(SIGSEGV); /* every try faulted: the allocator defends so */
		return 3;
	}

	for (int i = 0; i < FLUSH; i++)
		flush_round(SIZE, check);
	hold_zones(SIZE, usable + 8, check);
	attack_won("the poisoned freed chunk was handed out again without a report");
}
