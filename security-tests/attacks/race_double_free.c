/*
 * race_double_free: two threads, released together by a barrier, free the
 * same pointer. Repeated 1000 times with fresh pointers, to give a racy
 * check every chance to let both frees through.
 *
 * bastion moves a chunk from "in use" to "freed" with one atomic
 * read-modify-write and checks the old state it returns: exactly one of
 * the two frees sees "in use", the other sees "freed" and is reported,
 * whatever the interleaving. So the first round already aborts:
 * deterministic.
 *
 * EXPECT: abort:double-free
 * BUILD-FLAGS: -pthread
 */
#define _GNU_SOURCE
#include "attack.h"
#include <pthread.h>
#include <semaphore.h>

#define ROUNDS 1000

static pthread_barrier_t start, done;
static sem_t never;
static void *volatile shared;

static void *worker(void *arg)
{
	(void)arg;
	/* Give the thread its allocator cache (glibc makes a thread's tcache
	 * on its first malloc), with a size class other than the victims'. */
	free(escape(malloc(200)));
	for (int i = 0; i < ROUNDS; i++) {
		pthread_barrier_wait(&start);
		free(escape(shared));
		pthread_barrier_wait(&done);
	}
	/* Stay alive: the verdict comes before the threads exit (glibc
	 * flushes a thread's tcache at exit, which would only reveal the
	 * double frees after the fact). */
	sem_wait(&never);
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	pthread_barrier_init(&start, NULL, 3);
	pthread_barrier_init(&done, NULL, 3);
	sem_init(&never, 0, 0);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0)
			return 2;

	for (int i = 0; i < ROUNDS; i++) {
		char *p = malloc(64);
		if (!p)
			return 2;
		memset(p, 'A', 64);
		shared = p;
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
	}
	attack_won("1000 racing double frees from two threads were all accepted");
}
