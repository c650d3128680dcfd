/*
 * Unsorted-bin / unlink attack (glibc technique): a chunk too big for the
 * tcache is freed, then the dangling pointer overwrites its fd and bk words
 * with addresses around a global (fd = &target - 3 words, bk = &target - 2
 * words). An allocator that keeps doubly linked free lists inside freed
 * chunks then performs attacker-directed writes when it unlinks the chunk,
 * or hands out the global. bastion keeps no list in freed chunks and checks
 * their zero wipe on reuse, so the write is reported when the chunk comes
 * back.
 *
 * EXPECT: abort:write-after-free
 *
 * Making the chunk come back deterministically (see write_after_free_small.c
 * for the numbers): FLUSH rounds of same-class malloc/free interleaved with
 * 60000-byte malloc/free push it out of the per-thread ring (p of staying
 * < 1e-100), through its class's drain batch and the shared 8 MiB FIFO;
 * then HOLD_ZONES zones' worth of the class are allocated without freeing,
 * which takes every chunk of the class's only zone. A sampled guarded
 * allocation would make the write fault; the program then retries with
 * another chunk (4 tries: p < 1e-14).
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>

#define SIZE  2000 /* above glibc's tcache and fastbin sizes */
#define FLUSH 4000

static uint64_t target[8] __attribute__((aligned(64)));

static void check(const void *q)
{
	const char *c = q, *t = (const char *)target;
	if (c >= t && c < t + sizeof(target))
		attack_won("malloc returned the address of a global (forged bin links)");
	if (target[0] || target[1] || target[2] || target[3])
		attack_won("the allocator wrote through forged fd/bk pointers into a global");
}

int main(void)
{
	size_t usable = 0;
	int stored = 0;
	for (int attempt = 0; attempt < 4 && !stored; attempt++) {
		char *p = escape(malloc(SIZE));
		void *fence = escape(malloc(SIZE)); /* keeps p away from glibc's top chunk */
		if (!p || !fence)
			return 2;
		char *dangling = escape(p);
		usable = malloc_usable_size(p);
		free(p);
		/* The bug: forged fd and bk in the freed chunk. */
		uint64_t fd_bk[2] = {(uint64_t)(uintptr_t)target - 24,
		                     (uint64_t)(uintptr_t)target - 16};
		stored = try_store((volatile uint64_t *)dangling, fd_bk, 2);
	}
	if (!stored) {
		raise(SIGSEGV); /* every try faulted: the allocator defends so */
		return 3;
	}

	for (int i = 0; i < FLUSH; i++)
		flush_round(SIZE, check);
	hold_zones(SIZE, usable + 8, check);
	attack_won("the freed chunk with forged fd/bk was handed out again without a report");
}
