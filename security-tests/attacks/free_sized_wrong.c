/*
 * free_sized_wrong: free_sized() (C23) with a size the block was not
 * allocated with: malloc(100), free_sized(p, 400).
 *
 * 100 and 400 bytes fall in different size classes, so bastion can tell
 * the size is wrong. Deterministic.
 *
 * An allocator without free_sized cannot be tried; that counts as a miss
 * (attack_won), not as a defence. The function is looked up at run time,
 * so the program links against any libc.
 *
 * EXPECT: abort:size-mismatch
 */
#define _GNU_SOURCE
#include "attack.h"
#include <dlfcn.h>

void free_sized(void *ptr, size_t size);

int main(void)
{
	void (*fs)(void *, size_t) = (void (*)(void *, size_t))dlsym(RTLD_DEFAULT, "free_sized");
	if (fs == NULL)
		attack_won("allocator has no free_sized");

	char *p = malloc(100);
	if (!p)
		return 2;
	memset(p, 'A', 100);
	fs(escape(p), 400);
	attack_won("free_sized with the wrong size was accepted");
}
