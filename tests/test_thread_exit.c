/*
 * Many short-lived threads.
 *
 * NTHREADS threads are created and joined, BATCH at a time. Each allocates
 * chunks of several classes (and now and then a large block), frees some
 * of them itself, and hands the rest to the main thread, which checks and
 * frees them later (so frees cross threads and outlive the allocating
 * thread). Each thread also allocates and frees from a pthread key
 * destructor registered after bastion's, i.e. after its cache was flushed
 * at thread exit (the shared-cache path).
 *
 * A thread's cache and quarantine are flushed when it exits and the cache
 * is reused by the next thread, so after a warm-up the process must not
 * keep growing: the test compares VmSize, VmRSS and the number of mappings
 * after the warm-up and at the end. Leaking one cache per thread would add
 * at least 20 KiB of address space (the cache and its guard pages) and a
 * mapping per thread.
 *
 * Usage: test_thread_exit [threads]   (default 10000, or BST_TEST_THREADS).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bastion.h"
#include "check.h"

#define BATCH      4
#define HANDED_MAX 8   /* pointers handed over per thread */
#define HELD       512 /* handed pointers the main thread keeps alive */
#define WARMUP     200

static atomic_int failures;
static pthread_key_t late_key;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                    \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		atomic_fetch_add(&failures, 1);                                                    \
	} while (0)

static const size_t sizes[] = {8, 24, 64, 100, 256, 1000, 3000, 5000, 20000, 60000};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* A block starts with its size and a tag (one word); the other whole words
 * hold values derived from the tag. */
static uint64_t word_of(uint32_t tag, size_t k)
{
	return ((uint64_t)tag * 0x9e3779b97f4a7c15ull) ^ (k * 0xff51afd7ed558ccdull);
}

static void fill(void *p, size_t n, uint32_t tag)
{
	uint64_t *w = p;
	w[0] = (uint64_t)n | (uint64_t)tag << 32;
	for (size_t k = 1; k < n / 8; k++)
		w[k] = word_of(tag, k);
}

static bool check(const void *p, size_t n, uint32_t tag)
{
	const uint64_t *w = p;
	uint64_t diff = w[0] ^ ((uint64_t)n | (uint64_t)tag << 32);
	for (size_t k = 1; k < n / 8; k++)
		diff |= w[k] ^ word_of(tag, k);
	return diff == 0;
}

struct job {
	uint32_t serial;
	int nhanded;
	void *handed[HANDED_MAX];
	size_t handed_size[HANDED_MAX];
};

/* Runs during thread exit, after bastion's own key destructor (its key
 * was created first): the thread no longer has a cache. */
static void late_destructor(void *arg)
{
	uintptr_t serial = (uintptr_t)arg;
	void *p[4];
	for (int i = 0; i < 4; i++) {
		p[i] = bastion_malloc(sizes[(serial + (unsigned)i) % NSIZES]);
		if (!p[i]) {
			FAIL("malloc in a key destructor failed");
			continue;
		}
		fill(p[i], sizes[(serial + (unsigned)i) % NSIZES], (uint32_t)serial);
	}
	for (int i = 0; i < 4; i++)
		if (p[i]) {
			if (!check(p[i], sizes[(serial + (unsigned)i) % NSIZES], (uint32_t)serial))
				FAIL("block allocated in a key destructor damaged");
			bastion_free(p[i]);
		}
}

static void *thread_main(void *arg)
{
	struct job *j = arg;
	void *mine[NSIZES * 2];
	uint32_t tag = j->serial * 2654435761u;
	for (size_t i = 0; i < NSIZES * 2; i++) {
		size_t n = sizes[i % NSIZES];
		mine[i] = bastion_malloc(n);
		if (!mine[i]) {
			FAIL("thread %u: malloc(%zu) failed", j->serial, n);
			return NULL;
		}
		fill(mine[i], n, tag + (uint32_t)i);
	}
	void *big = NULL;
	if (j->serial % 16 == 0) {
		big = bastion_calloc(1, 200 * 1024);
		if (!big)
			FAIL("calloc(200 KiB) failed");
	}
	/* Free half, hand some to the main thread, free the rest. */
	j->nhanded = 0;
	for (size_t i = 0; i < NSIZES * 2; i++) {
		size_t n = sizes[i % NSIZES];
		if (!check(mine[i], n, tag + (uint32_t)i))
			FAIL("thread %u: block %zu damaged", j->serial, i);
		if ((i + j->serial) % 3 == 0 && j->nhanded < HANDED_MAX) {
			j->handed[j->nhanded] = mine[i];
			j->handed_size[j->nhanded] = n;
			j->nhanded++;
		} else {
			bastion_free(mine[i]);
		}
	}
	bastion_free(big);
	pthread_setspecific(late_key, (void *)(uintptr_t)(j->serial | 1));
	return NULL;
}

struct status {
	long vm_kb, rss_kb, maps;
};

static long status_field(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long v = -1;
	size_t len = strlen(name);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			v = atol(line + len + 1);
			break;
		}
	fclose(f);
	return v;
}

static long count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	long n = 0;
	int c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static struct status snapshot(void)
{
	struct status s = {status_field("VmSize"), status_field("VmRSS"), count_maps()};
	return s;
}

/* Handed pointers: a ring; the oldest is checked and freed when full. */
static void *held[HELD];
static size_t held_size[HELD];
static uint32_t held_tag[HELD];
static size_t held_next;

static void take_over(const struct job *j)
{
	uint32_t tag = j->serial * 2654435761u;
	for (int k = 0; k < j->nhanded; k++) {
		size_t slot = held_next++ % HELD;
		if (held[slot]) {
			CHECK(check(held[slot], held_size[slot], held_tag[slot]));
			bastion_free(held[slot]);
		}
		held[slot] = j->handed[k];
		held_size[slot] = j->handed_size[k];
		/* The block's tag is in its first word. */
		uint64_t w0;
		memcpy(&w0, j->handed[k], sizeof(w0));
		held_tag[slot] = (uint32_t)(w0 >> 32);
		CHECK(held_tag[slot] - tag < NSIZES * 2);
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *arg = argc > 1 ? argv[1] : getenv("BST_TEST_THREADS");
	int nthreads = arg ? atoi(arg) : 10000;
	if (nthreads < 2 * WARMUP)
		nthreads = 2 * WARMUP;
	double t0 = now();

	/* Initialise bastion (and create its key) before ours. */
	bastion_free(bastion_malloc(1));
	CHECK(pthread_key_create(&late_key, late_destructor) == 0);

	static struct job jobs[BATCH];
	struct status before = {0};
	for (int base = 0; base < nthreads; base += BATCH) {
		if (base == WARMUP)
			before = snapshot();
		pthread_t th[BATCH];
		int n = nthreads - base < BATCH ? nthreads - base : BATCH;
		for (int i = 0; i < n; i++) {
			jobs[i].serial = (uint32_t)(base + i);
			jobs[i].nhanded = 0;
			if (pthread_create(&th[i], NULL, thread_main, &jobs[i]) != 0) {
				CHECK(!"pthread_create failed");
				n = i;
				break;
			}
		}
		for (int i = 0; i < n; i++) {
			CHECK(pthread_join(th[i], NULL) == 0);
			take_over(&jobs[i]);
		}
		if (check_failures)
			break;
	}
	struct status after = snapshot();
	for (size_t i = 0; i < HELD; i++)
		if (held[i]) {
			CHECK(check(held[i], held_size[i], held_tag[i]));
			bastion_free(held[i]);
			held[i] = NULL;
		}
	struct status end = snapshot();

	printf("%d threads in %.2f s\n", nthreads, now() - t0);
	printf("after warm-up: VmSize %ld kB, VmRSS %ld kB, %ld mappings\n", before.vm_kb,
	       before.rss_kb, before.maps);
	printf("after threads: VmSize %ld kB, VmRSS %ld kB, %ld mappings\n", after.vm_kb,
	       after.rss_kb, after.maps);
	printf("all freed:     VmSize %ld kB, VmRSS %ld kB, %ld mappings\n", end.vm_kb, end.rss_kb,
	       end.maps);
	CHECK(before.vm_kb > 0 && before.rss_kb > 0 && before.maps > 0);
	/* One leaked cache (at least 20 KiB with its guard pages) per thread:
	 * 10,000 threads, 200 MiB or more. Allow a few thread stacks of
	 * slack (glibc caches them) and the zones the held blocks need. */
	CHECK(after.vm_kb - before.vm_kb < 48 * 1024);
	/* Sanitizer shadow memory grows with every thread stack: the build
	 * passes a larger bound there (VmSize and mappings still catch a
	 * leaked cache). */
	const char *rss_mb = getenv("BST_TEST_RSS_MB");
	long rss_limit_kb = (rss_mb ? atol(rss_mb) : 32) * 1024;
	CHECK(after.rss_kb - before.rss_kb < rss_limit_kb);
	/* Each leaked cache would be a mapping of its own (10,000). Freed
	 * large and sampled blocks held in the virtual-memory quarantine
	 * account for a few hundred. */
	CHECK(after.maps - before.maps < 1000);
	CHECK(atomic_load(&failures) == 0);
	CHECK_DONE();
}
