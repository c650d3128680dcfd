/*
 * invalid_free_never_allocated: free() a chunk start inside a zone that
 * was never handed out.
 *
 * One block of an unusual size (40952 bytes) is allocated; under bastion
 * it lives in a zone of its own class (chunks of 40960 bytes, contiguous
 * from the 4 MiB-aligned zone start, about 100 of them per zone). The
 * request fills its chunk but for the 8-byte canary, so the chunk size is
 * malloc_usable_size(p) + 8 (the usable size is the requested size). p + 3 chunks (or
 * p - 3 chunks when p is too close to the zone's end) is then a real chunk
 * start of that zone, but it was never handed out: this program allocates
 * nothing else of that class and libc does not use it. Its state is
 * "never used" (or "canary chunk" if bastion placed one there): either way
 * an invalid free, whatever the random placement of p.
 *
 * EXPECT: abort:invalid-free
 */
#define _GNU_SOURCE
#include "attack.h"
#include <malloc.h>

#define ZONE      ((uintptr_t)4 << 20)
#define ZONE_USER (ZONE - 4096)

int main(void)
{
	char *p = malloc(40952);
	if (!p)
		return 2;
	memset(p, 'A', 40952);
	uintptr_t chunk = malloc_usable_size(p) + 8;
	uintptr_t base = (uintptr_t)p & ~(ZONE - 1);
	uintptr_t target = (uintptr_t)p + 3 * chunk;
	if (target + chunk > base + ZONE_USER)
		target = (uintptr_t)p - 3 * chunk;

	free(escape((void *)target));
	attack_won("free of a never-allocated chunk was accepted");
}
