/*
 * Free of a canary chunk. bastion scatters never-allocated canary chunks
 * through every zone; an attacker who finds one (it is the only chunk
 * filled with one repeated nonzero word) and frees it must be stopped, or
 * the allocator would later hand it out and lose the tripwire.
 *
 * Deterministic under bastion: a 40952-byte request fills a 40960-byte
 * chunk but for its canary (the usable size is the requested size); the
 * zone's first window is 64 chunks and holds at least one canary chunk, so
 * scanning those 64 chunks from the 4 MiB-aligned zone start always finds
 * one. bastion makes the inner pages of canary chunks of two pages or more
 * inaccessible, so the scan looks for such a chunk too, without reading
 * it. The block we scan from must be a zone chunk (a sampled block is not
 * at a multiple of the chunk size from the slot start), so we allocate
 * until one is. Under other allocators nothing matches and the attack
 * cannot be tried: that is reported as a miss.
 *
 * EXPECT: abort:invalid-free
 */
#include <stdbool.h>
#include <malloc.h>
#include <unistd.h>

#include "attack.h"

#define SLOT ((uintptr_t)4 << 20)

/* Whether the 8 bytes at p can be read, found without touching them: a
 * write(2) from an inaccessible address fails with EFAULT. */
static bool readable(const void *p)
{
	static int fd[2] = {-1, -1};
	char sink[8];
	if (fd[0] < 0 && pipe(fd) != 0)
		return true;
	if (write(fd[1], p, 8) != 8)
		return false;
	return read(fd[0], sink, 8) == 8;
}

/* A canary chunk holds one nonzero word, repeated, or (bastion, chunks of
 * two pages or more) is inaccessible from its first whole page on. */
static bool canary_like(const uint64_t *w, size_t words)
{
	if (!readable(w))
		return true;
	if (w[0] == 0)
		return false;
	for (size_t k = 1; k < words; k++)
		if (w[k] != w[0])
			return false;
	return true;
}

int main(void)
{
	char *p = NULL;
	size_t chunk = 0;
	for (int tries = 0; tries < 16 && !p; tries++) {
		char *q = malloc(40952);
		chunk = malloc_usable_size(q) + 8;
		if (((uintptr_t)q & (SLOT - 1)) % chunk == 0)
			p = q;
	}
	if (!p || chunk != 40960)
		attack_won(
		    "allocator has no 40960-byte zone chunks: cannot look for a canary chunk");
	uintptr_t base = (uintptr_t)p & ~(SLOT - 1);
	for (size_t j = 0; j < 64; j++) {
		char *c = (char *)(base + j * chunk);
		if (c != p && canary_like((const uint64_t *)c, chunk / 8)) {
			free(escape(c));
			attack_won("a canary chunk was freed without complaint");
		}
	}
	attack_won("no canary chunk found");
}
