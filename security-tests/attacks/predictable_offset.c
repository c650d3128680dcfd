/*
 * Predictable offsets between objects: an attacker who leaks one heap
 * address wants to compute another. The program runs itself RUNS times
 * (fork + exec of /proc/self/exe, so each run is a fresh process with its
 * own ASLR and allocator seed); each run prints b - a for a = malloc(64)
 * and b = malloc(1000) made one after the other. With a deterministic heap
 * layout the offset is the same in every run even under ASLR (glibc: one
 * value). Defended if the runs give at least 8 distinct offsets.
 *
 * EXPECT: defend
 *
 * Threshold: under bastion the two blocks come from two zones, each at a
 * random one of 16384 slots, at random chunks in them, so two runs give the
 * same offset with probability well below 1e-6; 16 runs giving fewer than
 * 8 distinct values would need at least 9 such coincidences.
 */
#define _GNU_SOURCE
#include "attack.h"

#define RUNS 16

static int child_mode(void)
{
	char *a = escape(malloc(64));
	char *b = escape(malloc(1000));
	printf("%ld\n", (long)((intptr_t)b - (intptr_t)a));
	return 0;
}

int main(int argc, char **argv)
{
	if (is_child_run(argc, argv))
		return child_mode();
	char first[CHILD_OUT_SIZE];
	int distinct = distinct_child_outputs(argv[0], RUNS, first);
	fprintf(stderr, "%d distinct offsets in %d runs (first %ld)\n", distinct, RUNS,
	        strtol(first, NULL, 10));
	if (distinct < 8)
		attack_won("the offset between consecutive objects is the same from run to run");
	defended("the offset between consecutive objects changes from run to run");
}
