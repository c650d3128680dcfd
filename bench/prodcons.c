/*
 * prodcons: one producer thread allocates messages of 16-512 B and fills
 * them; a consumer thread reads and frees them. Pointers travel through a
 * bounded ring protected by a mutex, in batches of 64, so every free is of
 * a block another thread allocated (a pipeline or a logging thread). The
 * threads sleep on condition variables when the ring is full or empty
 * rather than spin: on a loaded 2-core machine spinning would measure the
 * scheduler, not the allocator.
 *   usage: bench_prodcons [SCALE]   (SCALE 1: about 1-2 s under glibc)
 */
#include "bench.h"

#include <pthread.h>
#include <string.h>

#define RING  8192 /* power of two, a multiple of BATCH */
#define BATCH 64

static unsigned char *ring[RING];
static long head, tail; /* produced and consumed counts, under lock */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long messages;

static void *producer(void *arg)
{
	(void)arg;
	struct rng r = rng_seed(7);
	unsigned char *batch[BATCH];
	for (long h = 0; h < messages;) {
		long n = messages - h < BATCH ? messages - h : BATCH;
		for (long i = 0; i < n; i++) {
			size_t len = rng_range(&r, 16, 512);
			unsigned char *p = need(malloc(len));
			uint16_t l = (uint16_t)len;
			memcpy(p, &l, sizeof(l));
			memset(p + 2, (int)(h + i) & 0xff, len - 2);
			batch[i] = p;
		}
		pthread_mutex_lock(&lock);
		while (head + n - tail > RING)
			pthread_cond_wait(&not_full, &lock);
		for (long i = 0; i < n; i++)
			ring[(head + i) & (RING - 1)] = batch[i];
		head += n;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&lock);
		h += n;
	}
	return NULL;
}

static void *consumer(void *arg)
{
	uint64_t *sum = arg;
	unsigned char *batch[RING];
	for (long t = 0; t < messages;) {
		pthread_mutex_lock(&lock);
		while (head == t)
			pthread_cond_wait(&not_empty, &lock);
		long n = head - t;
		for (long i = 0; i < n; i++)
			batch[i] = ring[(t + i) & (RING - 1)];
		tail = head;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&lock);
		for (long i = 0; i < n; i++, t++) {
			unsigned char *p = batch[i];
			uint16_t len;
			memcpy(&len, p, sizeof(len));
			if (len < 16 || len > 512 || p[len - 1] != (unsigned char)t)
				abort();
			*sum += len + p[len / 2];
			free(p);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	double scale = arg_double(argc, argv, 1, 1.0);
	messages = scaled(2500000, scale, 10000);
	uint64_t sum = 0;
	pthread_t p, c;
	if (pthread_create(&c, NULL, consumer, &sum) || pthread_create(&p, NULL, producer, NULL))
		abort();
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	printf("prodcons messages=%ld checksum=%llu\n", messages, (unsigned long long)sum);
	return 0;
}
