/*
 * Reading key material through a dangling pointer after the program threw
 * all its keys away: a connection's keys live in one zone, destroyed when
 * the connection closes; a stale pointer into it is read later.
 *
 * EXPECT: segv
 *
 * bastion_zone_destroy makes every slot of the zone inaccessible and does
 * not hand its address range out again while unused slots remain, so the
 * read faults. Without private zones the program frees each key (attack.h)
 * and the read shows whatever the allocator left there.
 * BUILD-FLAGS: -O0
 */
#define _GNU_SOURCE
#include "attack.h"

#define KEYS 64

int main(void)
{
	struct type_zone keys;
	type_zone_init(&keys, 64);
	unsigned char *k[KEYS];
	for (int i = 0; i < KEYS; i++) {
		k[i] = type_zone_alloc(&keys);
		memset(k[i], 0x6b, 64);
	}
	unsigned char *volatile stale = k[KEYS / 2];
	if (keys.zone) {
		keys.destroy(keys.zone);
	} else {
		for (int i = 0; i < KEYS; i++)
			free(k[i]);
	}
	/* The program goes on allocating. */
	for (int i = 0; i < 1000; i++)
		escape(malloc(64));
	int found = 0;
	for (int i = 0; i < 64; i++)
		found += stale[i] == 0x6b;
	if (found > 8)
		attack_won("read key bytes through a pointer into freed key storage");
	attack_won("read freed key storage without a fault");
}
