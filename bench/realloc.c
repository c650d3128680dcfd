/*
 * realloc: 64 growing buffers used in interleaved order, as a program
 * building many strings and vectors at once. Two kinds:
 *   - vectors: capacity doubled by realloc when full, appends of 8-256 B,
 *     up to a target size between 64 B and 1 MiB;
 *   - string builders: realloc to the exact new length on every append of
 *     1-64 B (the naive way), up to between 64 B and 16 KiB.
 * A finished buffer is checked (the byte sum must match what was
 * appended), shrunk by realloc to half its length a few times, and freed.
 * Prints the bytes appended and a checksum.
 *   usage: bench_realloc [SCALE]    (SCALE 1: about 1-2 s under glibc)
 */
#include "bench.h"

#include <string.h>

#define BUFS 64

struct buf {
	unsigned char *p;
	size_t len, cap, target;
	int exact;    /* string builder: realloc on every append */
	uint64_t sum; /* sum of the bytes appended, checked at the end */
};

static void start(struct buf *b, struct rng *r)
{
	b->exact = rng_next(r) % 3 == 0;
	b->target = b->exact ? rng_log_range(r, 64, 16 << 10) : rng_log_range(r, 64, 1 << 20);
	b->len = b->cap = 0;
	b->p = NULL;
	b->sum = 0;
}

static uint64_t finish(struct buf *b)
{
	uint64_t s = 0;
	for (size_t i = 0; i < b->len; i++)
		s += b->p[i];
	if (s != b->sum)
		abort();
	/* give memory back the way a program trims a buffer it keeps */
	while (b->len > 64) {
		b->len /= 2;
		b->p = need(realloc(b->p, b->len));
		s += b->p[b->len - 1] + b->p[0];
	}
	free(b->p);
	return s;
}

static void append(struct buf *b, struct rng *r)
{
	size_t n = b->exact ? rng_range(r, 1, 64) : rng_range(r, 8, 256);
	if (b->len + n > b->cap) {
		if (b->exact) {
			b->cap = b->len + n;
		} else {
			size_t c = b->cap ? b->cap : 16;
			while (c < b->len + n)
				c *= 2;
			b->cap = c;
		}
		b->p = need(realloc(b->p, b->cap));
	}
	unsigned char v = (unsigned char)(rng_next(r) >> 56);
	memset(b->p + b->len, v, n);
	b->len += n;
	b->sum += (uint64_t)v * n;
}

int main(int argc, char **argv)
{
	double scale = arg_double(argc, argv, 1, 1.0);
	long appends = scaled(2400000, scale, 20000);
	struct rng r = rng_seed(5);
	struct buf bufs[BUFS];
	for (int i = 0; i < BUFS; i++)
		start(&bufs[i], &r);
	uint64_t s = 0, bytes = 0;
	for (long k = 0; k < appends; k++) {
		struct buf *b = &bufs[rng_next(&r) % BUFS];
		size_t before = b->len;
		append(b, &r);
		bytes += b->len - before;
		if (b->len >= b->target) {
			s += finish(b);
			start(b, &r);
		}
	}
	for (int i = 0; i < BUFS; i++)
		if (bufs[i].p)
			s += finish(&bufs[i]);
	printf("realloc appends=%ld bytes=%llu checksum=%llu\n", appends, (unsigned long long)bytes,
	       (unsigned long long)s);
	return 0;
}
