/*
 * churn: single-threaded churn of small mixed sizes (16-512 B). Three
 * phases: batches allocated then freed newest first (LIFO, stack-like use),
 * batches freed oldest first (FIFO, queue-like use), then random
 * replacement in a live pool. Batch lengths vary so the live set grows and
 * shrinks. Prints the pairs done and a checksum of the bytes read back.
 *   usage: bench_churn [SCALE]      (SCALE 1: about 1-2 s under glibc)
 */
#include "bench.h"

#include <string.h>

#define MAX_BATCH 4096
#define POOL      8192

static void *slot[MAX_BATCH > POOL ? MAX_BATCH : POOL];
static uint64_t sum;

/* Writes the first 16 bytes and the last one, as a header-plus-data user. */
static void *get(struct rng *r)
{
	size_t n = rng_range(r, 16, 512);
	unsigned char *p = need(malloc(n));
	uint64_t h[2] = {n, r->s};
	memcpy(p, h, sizeof(h));
	p[n - 1] = (unsigned char)n;
	return p;
}

static void put(void *v)
{
	unsigned char *p = v;
	uint64_t n;
	memcpy(&n, p, sizeof(n));
	if (p[n - 1] != (unsigned char)n)
		abort();
	sum += n + p[8];
	free(p);
}

static long phase_batches(struct rng *r, long pairs, int lifo)
{
	long done = 0;
	while (done < pairs) {
		int len = (int)rng_range(r, 16, MAX_BATCH);
		for (int i = 0; i < len; i++)
			slot[i] = get(r);
		if (lifo)
			for (int i = len - 1; i >= 0; i--)
				put(slot[i]);
		else
			for (int i = 0; i < len; i++)
				put(slot[i]);
		done += len;
	}
	return done;
}

static long phase_random(struct rng *r, long pairs)
{
	for (int i = 0; i < POOL; i++)
		slot[i] = get(r);
	for (long k = 0; k < pairs; k++) {
		size_t i = rng_next(r) % POOL;
		put(slot[i]);
		slot[i] = get(r);
	}
	for (int i = 0; i < POOL; i++)
		put(slot[i]);
	return pairs + POOL;
}

int main(int argc, char **argv)
{
	double scale = arg_double(argc, argv, 1, 1.0);
	long pairs = scaled(12000000, scale, 10000);
	struct rng r = rng_seed(1);
	long done = phase_batches(&r, pairs, 1);
	done += phase_batches(&r, pairs, 0);
	done += phase_random(&r, pairs);
	printf("churn pairs=%ld checksum=%llu\n", done, (unsigned long long)sum);
	return 0;
}
