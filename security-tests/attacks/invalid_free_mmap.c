/*
 * invalid_free_mmap: free() a page the program got from mmap() itself.
 *
 * The page is page aligned, like a large allocation's data, and the
 * attacker puts a plausible glibc "mmapped chunk" header in front of it,
 * so glibc munmaps memory it never handed out. bastion knows the page is
 * in no zone and has no large-allocation record. Deterministic.
 *
 * EXPECT: abort:invalid-free
 */
#define _GNU_SOURCE
#include "attack.h"
#include <sys/mman.h>

int main(void)
{
	char *map =
	    mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return 2;
	char *page = map + 4096;
	memset(page, 'A', 4096);
	/* glibc header: prev_size, then size | IS_MMAPPED; the fake chunk
	 * spans both pages. */
	uint64_t prev_size = 4096 - 16, size = (4096 + 16) | 2;
	memcpy(page - 16, &prev_size, 8);
	memcpy(page - 8, &size, 8);

	free(escape(page));
	attack_won("free of a page from mmap was accepted");
}
