/*
 * threads: many short-lived threads, THREADS of them alive at a time,
 * created and joined in waves (thousands in total). Each allocates a few
 * hundred blocks of 16 B - 2 KiB, writes them, frees most in random order
 * and leaves 16 in a shared hand-off list; the next thread frees what it
 * finds there. Measures thread start-up and tear-down in the allocator
 * (thread caches created, flushed and reclaimed) and frees of blocks whose
 * thread has exited.
 *   usage: bench_threads [THREADS [SCALE]]   (defaults 2 and 1; SCALE 1:
 *          about 1-2 s under glibc with 2 threads)
 */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define MAX_THREADS 256
#define HANDOFF     1024
#define PASS        16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *handoff[HANDOFF];
static int nhandoff;
static _Atomic uint64_t total;

static uint64_t drop(unsigned char *p)
{
	uint16_t n;
	memcpy(&n, p, sizeof(n));
	if (n < 16 || n > 2048 || p[n - 1] != (unsigned char)n)
		abort();
	free(p);
	return n;
}

static void *worker(void *arg)
{
	struct rng r = rng_seed((uint64_t)(uintptr_t)arg);
	unsigned char *mine[HANDOFF / 2];
	uint64_t s = 0;

	/* what the previous threads left */
	pthread_mutex_lock(&lock);
	int got = nhandoff < PASS * 2 ? nhandoff : PASS * 2;
	nhandoff -= got;
	memcpy(mine, handoff + nhandoff, (size_t)got * sizeof(*mine));
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < got; i++)
		s += drop(mine[i]);

	int count = (int)rng_range(&r, 100, 400);
	for (int i = 0; i < count; i++) {
		size_t n = rng_log_range(&r, 16, 2048);
		unsigned char *p = need(malloc(n));
		uint16_t h = (uint16_t)n;
		memcpy(p, &h, sizeof(h));
		memset(p + 2, (int)i, n < 32 ? n - 2 : 30);
		p[n - 1] = (unsigned char)n;
		mine[i] = p;
	}
	for (int i = count - 1; i > 0; i--) {
		int j = (int)(rng_next(&r) % (uint64_t)(i + 1));
		unsigned char *t = mine[i];
		mine[i] = mine[j];
		mine[j] = t;
	}
	for (int i = PASS; i < count; i++)
		s += drop(mine[i]);

	pthread_mutex_lock(&lock);
	int room = HANDOFF - nhandoff < PASS ? HANDOFF - nhandoff : PASS;
	memcpy(handoff + nhandoff, mine, (size_t)room * sizeof(*mine));
	nhandoff += room;
	pthread_mutex_unlock(&lock);
	for (int i = room; i < PASS; i++)
		s += drop(mine[i]); /* the list is full: free our own */
	atomic_fetch_add(&total, s);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = arg_threads(argc, argv, 1, 2, MAX_THREADS);
	double scale = arg_double(argc, argv, 2, 1.0);
	long n = scaled(15000, scale, 50);
	pthread_t tid[MAX_THREADS];
	long made = 0;
	while (made < n) {
		int wave = n - made < threads ? (int)(n - made) : threads;
		for (int t = 0; t < wave; t++)
			if (pthread_create(&tid[t], NULL, worker,
			                   (void *)(uintptr_t)(made + t + 1)))
				abort();
		for (int t = 0; t < wave; t++)
			pthread_join(tid[t], NULL);
		made += wave;
	}
	uint64_t s = total;
	for (int i = 0; i < nhandoff; i++)
		s += drop(handoff[i]);
	printf("threads alive=%d created=%ld checksum=%llu\n", threads, made,
	       (unsigned long long)s);
	return 0;
}
