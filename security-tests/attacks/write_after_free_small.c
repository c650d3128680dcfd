/*
 * Write after free, small chunk: a dangling pointer stores one 8-byte field
 * into the middle of a freed 64-byte object. bastion wipes freed chunks with
 * zeros and checks the wipe when the chunk is handed out again, so the write
 * must be reported as soon as a malloc of that class gets the chunk back.
 *
 * EXPECT: abort:write-after-free
 *
 * Making the chunk come back deterministically, whatever the random layout:
 *  1. flush: FLUSH rounds of malloc/free of the same class, each followed by
 *     malloc/free of a 60000-byte chunk (another class). The big frees fill
 *     the per-thread ring's 1 MiB and the shared FIFO's 8 MiB quickly, so
 *     the ring holds about 32 residents and evicts one at random per free:
 *     the chunk stays in the ring after 8000 evictions with probability
 *     below (31/32)^8000 < 1e-100, and a FIFO of 8 MiB turns over every
 *     ~130 rounds. The same-class frees fill that class's drain buffer so
 *     the chunk is released to its zone.
 *  2. hold: allocate HOLD_ZONES zones' worth of chunks of the class without
 *     freeing any. Only a few hundred chunks of the class are ever
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
#include <setjmp.h>
#include <signal.h>

#define SIZE       64
#define FLUSH      4000
#define FLUSH_BIG  60000
#define HOLD_ZONES 3
#define ZONE_BYTES ((size_t)4 << 20)

static sigjmp_buf fault_env;

static void on_fault(int sig)
{
	(void)sig;
	siglongjmp(fault_env, 1);
}

/* Stores v at *dst; returns 0 if the store faulted. */
__attribute__((noinline)) static int try_store(volatile uint64_t *dst, uint64_t v)
{
	struct sigaction sa, old_segv, old_bus;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	volatile int ok = 0;
	if (sigsetjmp(fault_env, 1) == 0) {
		*dst = v;
		ok = 1;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return ok;
}

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
		stored = try_store((volatile uint64_t *)(dangling + 32), 0x4141414141414141ull);
	}
	if (!stored) {
		/* Every try faulted: the allocator defends by faulting. */
		raise(SIGSEGV);
		return 3;
	}

	for (int i = 0; i < FLUSH; i++) {
		free(escape(malloc(SIZE)));
		free(escape(malloc(FLUSH_BIG)));
	}
	size_t hold = HOLD_ZONES * (ZONE_BYTES / (usable + 8));
	void **kept = malloc(hold * sizeof(void *));
	if (!kept)
		return 2;
	for (size_t i = 0; i < hold; i++)
		kept[i] = escape(malloc(SIZE));
	attack_won("a write into a freed chunk was never reported");
}
