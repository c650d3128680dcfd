/*
 * pair: the cost of one small malloc+free pair on the thread-cache fast
 * path. A single thread alternates malloc(32)+free and malloc(64)+free,
 * writing one byte of each block. Timed inside (CLOCK_MONOTONIC) after a
 * warm-up, so process start and exit are not counted. Prints nanoseconds
 * per pair.
 *   usage: bench_pair [SCALE]       (SCALE 1: 50 million pairs)
 */
#include "bench.h"

#include <time.h>

/* Storing each pointer here keeps the compiler from eliding the
 * malloc/free pair as dead code. */
static void *volatile sink;

static uint64_t loop(long pairs)
{
	uint64_t s = 0;
	for (long i = 0; i < pairs; i++) {
		size_t n = i & 1 ? 64 : 32;
		unsigned char *p = need(malloc(n));
		p[0] = (unsigned char)i;
		sink = p;
		s += p[0];
		free(p);
	}
	return s;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double scale = arg_double(argc, argv, 1, 1.0);
	long pairs = scaled(50000000, scale, 100000);
	uint64_t s = loop(100000);
	double a = now();
	s += loop(pairs);
	double b = now();
	printf("pair pairs=%ld ns_per_pair=%.2f checksum=%llu\n", pairs,
	       (b - a) * 1e9 / (double)pairs, (unsigned long long)s);
	return 0;
}
