/*
 * malloc/free throughput: each thread repeatedly allocates a batch of
 * small blocks (16..512 bytes, fixed seed), touches them, and frees them in
 * random order. Prints operations (malloc + free pairs) per second across
 * all threads. Uses the process malloc, so run it under LD_PRELOAD to
 * measure an allocator.
 *   usage: throughput THREADS [MILLION_PAIRS_PER_THREAD]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 256

static long pairs_per_thread;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *worker(void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull + (uintptr_t)arg;
	void *slot[BATCH];
	for (long done = 0; done < pairs_per_thread; done += BATCH) {
		for (int i = 0; i < BATCH; i++) {
			size_t n = 16 + xorshift(&seed) % 497;
			slot[i] = malloc(n);
			if (!slot[i])
				abort();
			*(volatile char *)slot[i] = (char)i;
		}
		for (int i = BATCH - 1; i > 0; i--) {
			int j = (int)(xorshift(&seed) % (uint64_t)(i + 1));
			void *t = slot[i];
			slot[i] = slot[j];
			slot[j] = t;
		}
		for (int i = 0; i < BATCH; i++)
			free(slot[i]);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 1;
	pairs_per_thread = (argc > 2 ? atol(argv[2]) : 10) * 1000000L;
	if (threads < 1 || threads > 256 || pairs_per_thread < BATCH)
		return 2;
	pthread_t tid[256];
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int t = 0; t < threads; t++)
		pthread_create(&tid[t], NULL, worker, (void *)(uintptr_t)t);
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	double pairs = (double)pairs_per_thread * threads;
	printf("threads=%d pairs=%.0f seconds=%.3f Mpairs/s=%.2f ns/pair/thread=%.1f\n", threads,
	       pairs, s, pairs / s / 1e6, s * 1e9 / (double)pairs_per_thread);
	return 0;
}
