/*
 * Write after free, small chunk: a dangling pointer stores one 8-byte field
 * into the middle of a freed 64-byte object. bastion wipes freed chunks with
 * zeros and checks the wipe when the chunk is handed out again, so the write
 * must be reported as soon as a malloc of that class gets the chunk back.
 *
 * EXPECT: abort:write-after-free
 *
 * Making the chunk come back deterministically, whatever the random layout:
 *  1. flush: FLUSH rounds (flush_round(), attack.h) of malloc/free of the
 *     same class, each followed by malloc/free of a 60000-byte chunk
 *     (another class). The big frees fill
 *     the per-thread ring's 1 MiB and the shared FIFO's 8 MiB quickly, so
 *     the ring holds about 32 residents and evicts one at random per free:
 *     the chunk stays in the ring after 8000 evictions with probability
 *     below (31/32)^8000 < 1e-100, and a FIFO of 8 MiB turns over every
 *     ~130 rounds. The same-class frees fill that class's drain buffer so
 *     the chunk is released to its zone.
 *  2. hold (hold_zones()): allocate HOLD_ZONES zones' worth of chunks of
 *     the class without freeing any. Only a few hundred chunks of the class are ever
 *     outstanding, so the class has one zone; a thread keeps refilling from
 *     its zone until every chunk of it is taken, so the freed chunk is
 *     handed out (and its wipe checked) before the loop ends.
 * If the loop ends, the write was never noticed: the attack won.
 *
 * A sampled guarded allocation (one in 4096 by default) is freed to an
 * inaccessible page, so the write would fault instead; the program then
 * retries with another chunk (up to 4 tries, all sampled: p < 1e-14) so the
 * outcome does not depend on that draw.
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>

#define SIZE  64
#define FLUSH 4000

int main(void)
{
	size_t usable = 0;
	int stored = 0;
	for (int attempt = 0; attempt < 4 && !stored; attempt++) {
		char *p = escape(malloc(SIZE));
		if (!p)
			return 2;
		char *dangling = escape(p);
		usable = malloc_usable_size(p);
		memset(p, 'o', SIZE);
		free(p);
		/* The bug: obj->field = x through the dangling pointer. */
		uint64_t field = 0x4141414141414141ull;
		stored = try_store((volatile uint64_t *)(dangling + 32), &field, 1);
	}
	if (!stored) {
		/* Every try faulted: the allocator defends by faulting. */
		raise(SIGSEGV);
		return 3;
	}

	for (int i = 0; i < FLUSH; i++)
		flush_round(SIZE, NULL);
	hold_zones(SIZE, usable + 8, NULL);
	attack_won("a write into a freed chunk was never reported");
}
