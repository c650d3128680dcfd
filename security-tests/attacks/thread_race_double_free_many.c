/*
 * Racing double frees from many threads: 8 threads are released together by
 * a barrier and each frees the same 1000 pointers, every thread in its own
 * shuffled order. Checks that compare against a thread-local list (glibc's
 * tcache key check scans only the calling thread's cache) or that read
 * then write a chunk's state without an atomic step miss frees racing on
 * another thread. bastion moves a chunk's state from "in use" to "freed"
 * with one atomic read-modify-write, so for every pointer exactly one free
 * succeeds and the next one is reported.
 *
 * EXPECT: abort:double-free
 *
 * Deterministic: no thread allocates during the race, so a freed chunk
 * cannot become live again; 7000 of the 8000 frees find it freed.
 */
#include "attack.h"

#include <pthread.h>

#define THREADS 8
#define N       1000

static void *ptrs[N];
static pthread_barrier_t start;

static void *worker(void *arg)
{
	uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)((uintptr_t)arg + 1);
	static __thread void *order[N];
	memcpy(order, ptrs, sizeof(order));
	for (int i = N - 1; i > 0; i--) { /* Fisher-Yates, xorshift64 */
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		int j = (int)(s % (uint64_t)(i + 1));
		void *t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	pthread_barrier_wait(&start);
	for (int i = 0; i < N; i++)
		free(escape(order[i]));
	return NULL;
}

int main(void)
{
	for (int i = 0; i < N; i++) {
		ptrs[i] = escape(malloc(16 + (size_t)(i % 8) * 16));
		if (!ptrs[i])
			return 2;
	}
	pthread_barrier_init(&start, NULL, THREADS);
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i) != 0)
			return 2;
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	attack_won("8 threads freed the same 1000 pointers and nothing was reported");
}
