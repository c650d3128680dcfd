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
	write_after_free_attack(SIZE, FLUSH);
	attack_won("a write into a freed chunk was never reported");
}
