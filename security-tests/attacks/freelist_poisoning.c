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
#include <setjmp.h>
#include <signal.h>

#define SIZE       64
#define FLUSH      4000
#define FLUSH_BIG  60000
#define HOLD_ZONES 3
#define ZONE_BYTES ((size_t)4 << 20)

/* The attacker's target: a global, aligned like a heap chunk. */
static uint64_t target[8] __attribute__((aligned(64)));

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
		stored = try_store((volatile uint64_t *)dangling, (uint64_t)(uintptr_t)target);
	}
	if (!stored) {
		raise(SIGSEGV); /* every try faulted: the allocator defends so */
		return 3;
	}

	for (int i = 0; i < FLUSH; i++) {
		void *q = escape(malloc(SIZE));
		check(q);
		free(q);
		free(escape(malloc(FLUSH_BIG)));
	}
	size_t hold = HOLD_ZONES * (ZONE_BYTES / (usable + 8));
	void **kept = malloc(hold * sizeof(void *));
	if (!kept)
		return 2;
	for (size_t i = 0; i < hold; i++) {
		kept[i] = escape(malloc(SIZE));
		check(kept[i]);
	}
	attack_won("the poisoned freed chunk was handed out again without a report");
}
