/*
 * Cross-class poisoning: the dangling pointer of a freed 64-byte chunk
 * (class A) writes a fake next pointer (the address of a global) and a fake
 * size header into it; then the program allocates many chunks of a
 * different class B (200 bytes), hoping the allocator recycles A's memory
 * for B (coalescing, shared free lists) or follows the forged pointer.
 * Neither the freed chunk nor the global may ever be returned as B.
 *
 * EXPECT: abort:write-after-free
 *
 * Under bastion a zone holds one size class for life, so no class-B
 * allocation can return any byte of the class-A chunk, whatever the random
 * layout: the program reaches its end defended. The write itself is then
 * reported at exit (verify_at_exit checks every freed chunk's wipe), since
 * this program makes no class-A allocation that would find it at reuse.
 *
 * A sampled guarded allocation (one in 4096) is freed to an inaccessible
 * page, so the write would fault; the program then retries with another
 * chunk (4 tries, all sampled: p < 1e-14).
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>

#define SIZE_A 64
#define SIZE_B 200
#define PAIRS  20000

static uint64_t target[8] __attribute__((aligned(64)));

static const char *chunk_a;
static size_t usable_a;

static void check(const void *q)
{
	const char *c = q, *t = (const char *)target;
	if (c >= t && c < t + sizeof(target))
		attack_won("a class-B malloc returned the global from a poisoned class-A chunk");
	size_t ub = malloc_usable_size((void *)q);
	if (c < chunk_a + usable_a && chunk_a < c + ub)
		attack_won("a freed class-A chunk was handed out as class B");
}

int main(void)
{
	int stored = 0;
	for (int attempt = 0; attempt < 4 && !stored; attempt++) {
		char *p = escape(malloc(SIZE_A));
		if (!p)
			return 2;
		chunk_a = escape(p);
		usable_a = malloc_usable_size(p);
		free(p);
		/* The bug: a forged next pointer, and a forged size field
		 * claiming the chunk is big enough for class B. */
		uint64_t next_size[2] = {(uint64_t)(uintptr_t)target, (uint64_t)(SIZE_B + 16) | 1};
		stored = try_store((volatile uint64_t *)chunk_a, next_size, 2);
	}
	if (!stored)
		defended("every write into a freed class-A chunk faulted");

	for (int i = 0; i < PAIRS; i++) {
		void *q = escape(malloc(SIZE_B));
		check(q);
		free(q);
	}
	hold_zones(SIZE_B, SIZE_B + 24, check);
	defended("no class-B allocation returned the freed class-A chunk or the global");
}
