/*
 * falseshare: allocator-induced false sharing, in two shapes.
 *   - thrash (active): each thread allocates its own small objects (8-64
 *     B), writes each many times and frees it. An allocator that puts two
 *     threads' objects in one cache line makes the lines bounce.
 *   - scratch (passive): the main thread allocates objects back to back
 *     and hands them out round-robin to the workers; each worker frees the
 *     ones it was given, then allocates its own of the same size and writes
 *     them many times. An allocator that reuses the freed chunk in place
 *     gives each worker a chunk next to another worker's.
 * The total work (objects x writes) is fixed and split among the threads.
 *   usage: bench_falseshare [THREADS [SCALE]]   (defaults 2 and 1; SCALE 1:
 *          about 1-2 s under glibc with 2 threads)
 */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>

#define MAX_THREADS 256
#define WRITES      500 /* per object: enough for a line to bounce */

struct job {
	int t;
	long objects;          /* thrash phase */
	unsigned char **given; /* scratch phase */
	size_t *given_size;
	long ngiven;
};

static _Atomic uint64_t total;
/* the two phases start together in all threads, so each is measured alone */
static pthread_barrier_t phase;

/* The volatile stores reach the cache every time, as a loop over a
 * structure's fields would; the compiler cannot fold them. */
static uint64_t hammer(unsigned char *p, size_t n)
{
	volatile unsigned char *v = p;
	size_t i = 0;
	for (int w = 0; w < WRITES; w++) {
		v[i] = (unsigned char)(v[i] + 1);
		if (++i == n)
			i = 0;
	}
	return v[0] + v[n - 1];
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct rng r = rng_seed(200 + (uint64_t)j->t);
	uint64_t s = 0;
	for (long k = 0; k < j->objects; k++) {
		size_t n = rng_range(&r, 8, 64);
		unsigned char *p = need(calloc(1, n));
		s += hammer(p, n);
		free(p);
	}
	pthread_barrier_wait(&phase);
	for (long k = 0; k < j->ngiven; k++) {
		size_t n = j->given_size[k];
		s += j->given[k][0];
		free(j->given[k]);
		unsigned char *p = need(calloc(1, n));
		s += hammer(p, n);
		free(p);
	}
	atomic_fetch_add(&total, s);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = arg_threads(argc, argv, 1, 2, MAX_THREADS);
	double scale = arg_double(argc, argv, 2, 1.0);
	long objects = scaled(1500000, scale, 2000); /* per phase, all threads */
	struct job jobs[MAX_THREADS];
	long per = objects / threads;
	struct rng r = rng_seed(17);
	for (int t = 0; t < threads; t++) {
		jobs[t] = (struct job){t, per, need(malloc((size_t)per * sizeof(unsigned char *))),
		                       need(malloc((size_t)per * sizeof(size_t))), per};
	}
	/* consecutive allocations go to different threads */
	for (long k = 0; k < per; k++)
		for (int t = 0; t < threads; t++) {
			size_t n = rng_range(&r, 8, 64);
			jobs[t].given[k] = need(malloc(n));
			jobs[t].given[k][0] = (unsigned char)k;
			jobs[t].given_size[k] = n;
		}
	pthread_t tid[MAX_THREADS];
	pthread_barrier_init(&phase, NULL, (unsigned)threads);
	for (int t = 0; t < threads; t++)
		if (pthread_create(&tid[t], NULL, worker, &jobs[t]))
			abort();
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	for (int t = 0; t < threads; t++) {
		free(jobs[t].given);
		free(jobs[t].given_size);
	}
	printf("falseshare threads=%d objects=%ld writes=%d checksum=%llu\n", threads,
	       per * threads, WRITES, (unsigned long long)total);
	return 0;
}
