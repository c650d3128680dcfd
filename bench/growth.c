/*
 * growth: one buffer at a time grown byte by byte, its capacity doubled by
 * realloc whenever it is full (8 B, 16 B, ... as a string builder or a
 * vector does), up to a random length of 64 B to 60 KB; then checked,
 * shrunk by realloc to a third of its length (a program trimming what it
 * keeps) and freed. Doubling crosses every size class on the way up, and
 * half the rounds end in a 64 KiB capacity: the shape that made each
 * round a fresh mapping in allocators whose small sizes stop at 64 KiB.
 *   usage: bench_growth [SCALE]    (SCALE 1: 50,000 rounds)
 */
#include "bench.h"

#include <string.h>

int main(int argc, char **argv)
{
	double scale = arg_double(argc, argv, 1, 1.0);
	long rounds = scaled(50000, scale, 500);
	struct rng r = rng_seed(14);
	uint64_t total = 0, check = 0;
	for (long k = 0; k < rounds; k++) {
		size_t target = rng_range(&r, 64, 60000), cap = 8, len = 0;
		unsigned char *p = need(malloc(cap));
		uint64_t sum = 0;
		unsigned char v = (unsigned char)(rng_next(&r) >> 56);
		while (len < target) {
			if (len == cap) {
				cap *= 2;
				p = need(realloc(p, cap));
			}
			p[len] = v;
			sum += v;
			v = (unsigned char)(v * 5 + 1);
			len++;
		}
		uint64_t s = 0;
		for (size_t i = 0; i < len; i++)
			s += p[i];
		if (s != sum)
			abort();
		len /= 3;
		p = need(realloc(p, len));
		check += p[0] + p[len - 1];
		total += target;
		free(p);
	}
	printf("growth rounds=%ld bytes=%llu checksum=%llu\n", rounds, (unsigned long long)total,
	       (unsigned long long)check);
	return 0;
}
