/*
 * larson: a server simulation in the style of the Larson benchmark. The
 * threads share one table of blocks; each operation allocates a block of
 * 16-1024 B, writes it, swaps it into a random slot with an atomic
 * exchange and frees what was there. The slot's previous block was most
 * likely allocated by another thread, so most frees are remote. The total
 * number of operations is fixed and split among the threads, so
 * time(1 thread) / time(T threads) is the speedup.
 *   usage: bench_larson [THREADS [SCALE]]   (defaults 2 and 1; SCALE 1:
 *          about 1-2 s under glibc with 2 threads)
 */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define SLOTS       16384
#define MAX_THREADS 256

static _Atomic(unsigned char *) table[SLOTS];
static long ops_of[MAX_THREADS];
static _Atomic uint64_t total;

static unsigned char *make(struct rng *r)
{
	size_t n = rng_range(r, 16, 1024);
	unsigned char *p = need(malloc(n));
	/* a request header and a body, as a server fills a buffer */
	uint32_t h = (uint32_t)n;
	memcpy(p, &h, sizeof(h));
	memset(p + sizeof(h), (int)(n & 0xff), n < 64 ? n - sizeof(h) : 60);
	p[n - 1] = (unsigned char)(n >> 2);
	return p;
}

static uint64_t drop(unsigned char *p)
{
	uint32_t n;
	memcpy(&n, p, sizeof(n));
	if (n < 16 || n > 1024 || p[n - 1] != (unsigned char)(n >> 2))
		abort();
	uint64_t s = n + p[5];
	free(p);
	return s;
}

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	struct rng r = rng_seed(100 + (uint64_t)t);
	uint64_t s = 0;
	for (long k = 0; k < ops_of[t]; k++) {
		unsigned char *p = make(&r);
		unsigned char *old = atomic_exchange(&table[rng_next(&r) % SLOTS], p);
		if (old)
			s += drop(old);
	}
	atomic_fetch_add(&total, s);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = arg_threads(argc, argv, 1, 2, MAX_THREADS);
	double scale = arg_double(argc, argv, 2, 1.0);
	long ops = scaled(9000000, scale, 20000);
	struct rng r = rng_seed(99);
	/* half full at the start: frees happen from the first operation on */
	for (int i = 0; i < SLOTS; i += 2)
		table[i] = make(&r);
	for (int t = 0; t < threads; t++)
		ops_of[t] = ops / threads + (t < ops % threads);
	pthread_t tid[MAX_THREADS];
	for (int t = 0; t < threads; t++)
		if (pthread_create(&tid[t], NULL, worker, (void *)(intptr_t)t))
			abort();
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	uint64_t s = total;
	for (int i = 0; i < SLOTS; i++)
		if (table[i])
			s += drop(table[i]);
	printf("larson threads=%d ops=%ld checksum=%llu\n", threads, ops, (unsigned long long)s);
	return 0;
}
