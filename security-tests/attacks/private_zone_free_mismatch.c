/*
 * A key object from a private zone released with free(): the kind of
 * mix-up (two allocators in one program) that lets a typed object reach the
 * general heap, where it would be reused as any type. It must be caught at
 * the free.
 *
 * EXPECT: abort:zone-mismatch
 *
 * Under bastion free() sees that the chunk's slot belongs to a private
 * zone and reports it. An allocator without private zones has nothing to
 * tell apart: the attack counts as won.
 * BUILD-FLAGS: -O0
 */
#define _GNU_SOURCE
#include "attack.h"

int main(void)
{
	struct type_zone keys;
	type_zone_init(&keys, 32);
	if (!keys.zone)
		attack_won("no private zones: a typed object went back to the general heap");
	unsigned char *key = type_zone_alloc(&keys);
	memset(key, 0x5a, 32);
	free(key);
	attack_won("free() accepted an object of a private zone");
}
