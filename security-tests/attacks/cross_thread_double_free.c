/*
 * cross_thread_double_free: thread A frees p; later thread B frees p
 * again. Per-thread caches that check only their own thread's lists (as
 * glibc's tcache does) miss this.
 *
 * Determinism: A stays alive, doing nothing, until the program ends,
 * so p stays in A's quarantine; only an allocation of p's chunk could make
 * its state "in use" again, and p cannot be handed out while quarantined.
 * B's free therefore always finds a freed chunk.
 *
 * EXPECT: abort:double-free
 * BUILD-FLAGS: -pthread
 */
#define _GNU_SOURCE
#include "attack.h"
#include <semaphore.h>
#include <pthread.h>

static sem_t a_freed, b_freed, never;
static void *volatile shared;

/* Gives the thread its allocator cache (glibc makes a thread's tcache on
 * its first malloc), with a size class other than p's. */
static void warm_up(void)
{
	free(escape(malloc(200)));
}

static void *thread_a(void *arg)
{
	(void)arg;
	warm_up();
	free(escape(shared));
	sem_post(&a_freed);
	sem_wait(&never); /* A (and its caches) stay alive until the end */
	return NULL;
}

static void *thread_b(void *arg)
{
	(void)arg;
	warm_up();
	sem_wait(&a_freed);
	free(escape(shared));
	sem_post(&b_freed);
	sem_wait(&never);
	return NULL;
}

int main(void)
{
	char *p = malloc(64);
	if (!p)
		return 2;
	memset(p, 'A', 64);
	shared = p;
	sem_init(&a_freed, 0, 0);
	sem_init(&b_freed, 0, 0);
	sem_init(&never, 0, 0);

	pthread_t a, b;
	if (pthread_create(&a, NULL, thread_a, NULL) != 0 ||
	    pthread_create(&b, NULL, thread_b, NULL) != 0)
		return 2;
	/* The verdict comes before either thread exits: glibc flushes a
	 * thread's tcache at exit, which would only reveal the double free
	 * after the fact. */
	sem_wait(&b_freed);
	attack_won("a free from thread B of a block thread A had freed was accepted");
}
