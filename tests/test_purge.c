/*
 * Empty zones give their pages back.
 *
 * A worker thread allocates about 200 MiB in 64-byte and 4 KiB chunks and
 * writes all of it, then frees everything and exits (its cache and
 * quarantine are flushed at thread exit, so every zone it used becomes
 * empty). The resident set (/proc/self/statm) must fall back by at least
 * 70% of what the allocations added. The cycle runs twice: purged zones
 * must be reusable, and the second cycle must not leave more behind than
 * the first.
 *
 * Usage: test_purge [MiB]   (default 200, or BST_TEST_PURGE_MIB).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bastion.h"
#include "check.h"

#define SMALL_REQ 56   /* chunk of 64 bytes with its canary */
#define PAGE_REQ  4088 /* chunk of 4 KiB */

static size_t total_mib = 200;
static void **ptrs;
static size_t nptrs;
static long rss_peak_kb;

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return -1;
	long size = 0, res = -1;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(f);
	return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void *worker(void *arg)
{
	(void)arg;
	size_t half = total_mib << 19; /* bytes per chunk size */
	size_t nsmall = half / 64, nbig = half / 4096;
	size_t n = 0;
	for (size_t i = 0; i < nsmall + nbig; i++) {
		/* Interleave the two sizes. */
		size_t req = (i % (nsmall / nbig + 1) == 0 && i / (nsmall / nbig + 1) < nbig)
		                 ? PAGE_REQ
		                 : SMALL_REQ;
		unsigned char *p = bastion_malloc(req);
		if (!p) {
			CHECK(p != NULL);
			break;
		}
		memset(p, (int)(i & 0xff) | 1, req);
		ptrs[n++] = p;
	}
	nptrs = n;
	rss_peak_kb = rss_kb();
	/* Free everything, checking the contents. */
	int damaged = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char *p = ptrs[i];
		damaged += p[0] != ((i & 0xff) | 1);
		bastion_free(p);
	}
	CHECK(damaged == 0);
	return NULL;
}

/* One cycle; returns the resident size after it (kB). */
static long cycle(int round, long base)
{
	pthread_t t;
	CHECK(pthread_create(&t, NULL, worker, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	long after = rss_kb();
	long grown = rss_peak_kb - base, left = after - base;
	printf("cycle %d: %zu chunks, RSS base %ld kB, peak %ld kB (+%ld), after free and "
	       "thread exit %ld kB (+%ld)\n",
	       round, nptrs, base, rss_peak_kb, grown, after, left);
	/* The chunks alone are total_mib; most of it must have been
	 * resident. */
	CHECK(grown > (long)total_mib * 1024 * 8 / 10);
	CHECK(left * 10 <= grown * 3);
	return after;
}

int main(int argc, char **argv)
{
	const char *arg = argc > 1 ? argv[1] : getenv("BST_TEST_PURGE_MIB");
	if (arg)
		total_mib = (size_t)atol(arg);
	if (total_mib < 16)
		total_mib = 16;
	/* The pointer array comes from mmap, fully touched before the
	 * baseline, so only bastion's memory moves the resident size. */
	size_t cap = (total_mib << 20) / 64 + (total_mib << 20) / 4096 + 16;
	ptrs = mmap(NULL, cap * sizeof(void *), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	            -1, 0);
	CHECK(ptrs != MAP_FAILED);
	if (ptrs == MAP_FAILED)
		CHECK_DONE();
	memset(ptrs, 0, cap * sizeof(void *));
	bastion_free(bastion_malloc(1));

	long base = rss_kb();
	CHECK(base > 0);
	long after1 = cycle(1, base);
	long after2 = cycle(2, base);
	/* Nothing accumulates from one cycle to the next. */
	CHECK(after2 - base <= (after1 - base) + 8 * 1024);
	munmap(ptrs, cap * sizeof(void *));
	CHECK_DONE();
}
