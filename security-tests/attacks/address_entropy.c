/*
 * Heap address entropy: the program runs itself RUNS times (fork + exec of
 * /proc/self/exe) and each run prints the address of its first malloc(64).
 * Defended if at least 30 of the 32 addresses are distinct.
 *
 * EXPECT: defend
 *
 * Note: ASLR alone randomizes the base of glibc's heap (and of every
 * mmap), so glibc and most allocators pass this too unless ASLR is off
 * (setarch -R). bastion draws its zone region, the zone slot and the chunk
 * from its own ChaCha20 generator, so it passes even without ASLR.
 *
 * Threshold: the region base alone takes one of 16 million 4 MiB-aligned
 * places, the zone one of 16384 slots and the chunk one of at least 64, so
 * two runs collide with probability below 1e-12; three collisions among 32
 * runs are needed to fail.
 */
#define _GNU_SOURCE
#include "attack.h"

#define RUNS 32

static int child_mode(void)
{
	void *a = escape(malloc(64));
	printf("%lu\n", (unsigned long)(uintptr_t)a);
	return 0;
}

int main(int argc, char **argv)
{
	if (is_child_run(argc, argv))
		return child_mode();
	int distinct = distinct_child_outputs(argv[0], RUNS, NULL);
	fprintf(stderr, "%d distinct first addresses in %d runs\n", distinct, RUNS);
	if (distinct < 30)
		attack_won("the first heap address repeats from run to run");
	defended("the first heap address changes from run to run");
}
