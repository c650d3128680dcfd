/*
 * large: large blocks, 256 KiB to 32 MiB (log-uniform), four live at a
 * time. Every page of each block is written, as a program filling an
 * image or a file buffer; a block is read back (one byte per page) before
 * it is freed. Measures the allocator's large path: mapping, unmapping,
 * page faults and whatever it caches for reuse.
 *   usage: bench_large [SCALE]      (SCALE 1: about 1-2 s under glibc)
 */
#include "bench.h"

#define LIVE 4
#define PAGE 4096

static uint64_t drop(unsigned char *p, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i += PAGE)
		s += p[i];
	s += p[n - 1];
	free(p);
	return s;
}

int main(int argc, char **argv)
{
	double scale = arg_double(argc, argv, 1, 1.0);
	long blocks = scaled(320, scale, 20);
	struct rng r = rng_seed(11);
	unsigned char *live[LIVE] = {0};
	size_t size[LIVE] = {0};
	uint64_t s = 0, bytes = 0;
	for (long k = 0; k < blocks; k++) {
		int i = (int)(rng_next(&r) % LIVE);
		if (live[i])
			s += drop(live[i], size[i]);
		size_t n = rng_log_range(&r, 256 << 10, 32 << 20);
		unsigned char *p = need(malloc(n));
		for (size_t j = 0; j < n; j += PAGE)
			p[j] = (unsigned char)(j >> 12);
		p[n - 1] = (unsigned char)k;
		live[i] = p;
		size[i] = n;
		bytes += n;
	}
	for (int i = 0; i < LIVE; i++)
		if (live[i])
			s += drop(live[i], size[i]);
	printf("large blocks=%ld MiB=%llu checksum=%llu\n", blocks,
	       (unsigned long long)(bytes >> 20), (unsigned long long)s);
	return 0;
}
