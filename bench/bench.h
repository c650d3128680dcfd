/*
 * Helpers shared by the workload programs in bench/: a fixed-seed PRNG, a
 * NULL check on allocations and argument parsing. Header-only so every
 * program stays one translation unit that uses the process malloc.
 */
#ifndef BENCH_H
#define BENCH_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Own PRNG (xorshift64): rand() would take a lock and differ between libcs. */
struct rng {
	uint64_t s;
};

static inline struct rng rng_seed(uint64_t seed)
{
	/* splitmix64 step so that small seeds (thread numbers) diverge at once */
	seed += 0x9e3779b97f4a7c15ull;
	seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ull;
	seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebull;
	seed ^= seed >> 31;
	return (struct rng){seed ? seed : 1};
}

static inline uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

/* Uniform in [lo, hi]. The modulo bias is irrelevant here. */
static inline size_t rng_range(struct rng *r, size_t lo, size_t hi)
{
	return lo + (size_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* Log-uniform in [lo, hi]: as many small as large sizes per doubling, the
 * usual shape of real allocation sizes. */
static inline size_t rng_log_range(struct rng *r, size_t lo, size_t hi)
{
	double u = (double)(rng_next(r) >> 11) / 9007199254740992.0;
	size_t n = (size_t)((double)lo * pow((double)hi / (double)lo, u));
	return n < lo ? lo : n > hi ? hi : n;
}

/* A benchmark that went on after a failed malloc would measure nothing. */
static inline void *need(void *p)
{
	if (!p) {
		fputs("bench: allocation failed\n", stderr);
		abort();
	}
	return p;
}

static inline double arg_double(int argc, char **argv, int i, double def)
{
	if (argc <= i)
		return def;
	char *end;
	double v = strtod(argv[i], &end);
	if (*end || !(v > 0.0) || v > 1e6) {
		fprintf(stderr, "bad argument %s\n", argv[i]);
		exit(2);
	}
	return v;
}

static inline int arg_threads(int argc, char **argv, int i, int def, int max)
{
	if (argc <= i)
		return def;
	int v = atoi(argv[i]);
	if (v < 1 || v > max) {
		fprintf(stderr, "bad thread count %s (1..%d)\n", argv[i], max);
		exit(2);
	}
	return v;
}

/* base * scale, at least min: tiny scales still run every phase once. */
static inline long scaled(long base, double scale, long min)
{
	long v = (long)((double)base * scale + 0.5);
	return v < min ? min : v;
}

#endif
