/*
 * Multithreaded stress of the bastion_* API.
 *
 * NTHREADS threads share a table of slots. Each operation picks a random
 * slot and swaps a new chunk into it (malloc, calloc, an aligned
 * allocation), reallocs the chunk it holds, or frees it; slots change hands
 * with atomic exchange only, so most chunks are freed or reallocated by a
 * thread other than the one that allocated them.
 *
 * Every chunk is filled over its whole usable size: word 0 holds a unique
 * id, word 1 the usable size (mixed with the id), every further word a
 * value derived from the id and the word index. The pattern is verified
 * before every free and realloc (and realloc must have carried the old
 * contents over), so two live chunks that overlap, or a chunk written by
 * the allocator while live, are caught.
 *
 * The run is split into rounds. Between rounds every thread waits at a
 * barrier while thread 0 collects every live chunk (pointer, usable size),
 * sorts them by address and checks that no two overlap.
 *
 * Usage: test_threads [ops-per-thread]. Without an argument the count comes
 * from BST_TEST_OPS in the environment (the sanitizer flavours set a smaller
 * one in threads.cmake), else 1000000. TEST_SEED=n replays a run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bastion.h"
#include "check.h"

#define NTHREADS 4
#define NSLOTS   4096
#define NROUNDS  10

static _Atomic(void *) slots[NSLOTS];
static pthread_barrier_t barrier;
static atomic_int failures;
static uint64_t base_seed;
static long ops_per_thread;

/* Reports a failure from any thread; main turns the count into a CHECK. */
#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                    \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		if (atomic_fetch_add(&failures, 1) > 20)                                           \
			abort();                                                                   \
	} while (0)

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t pat(uint64_t id, size_t k)
{
	return (id ^ ((uint64_t)k * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
}

/* Fills the usable bytes of p (a multiple of 8 for every bastion chunk)
 * with the pattern of id. */
static void fill(void *p, size_t usable, uint64_t id)
{
	uint64_t *w = p;
	size_t n = usable / 8;
	if (n == 0)
		return;
	w[0] = id;
	if (n > 1)
		w[1] = pat(id, 1) ^ usable;
	for (size_t k = 2; k < n; k++)
		w[k] = pat(id, k);
}

/* Checks the first `words` words of p against the pattern of the id stored
 * in word 0; returns the id (0 for an empty chunk). */
static uint64_t verify_words(const void *p, size_t words, size_t usable, const char *what)
{
	const uint64_t *w = p;
	if (words == 0)
		return 0;
	uint64_t id = w[0];
	unsigned tid = (unsigned)(id >> 56);
	if (id == 0 || tid == 0 || tid > NTHREADS) {
		FAIL("%s: chunk %p (usable %zu) has a bad id %#llx", what, p, usable,
		     (unsigned long long)id);
		return 0;
	}
	if (words > 1 && w[1] != (pat(id, 1) ^ usable)) {
		FAIL("%s: chunk %p id %#llx: usable-size word %#llx, expected usable %zu", what, p,
		     (unsigned long long)id, (unsigned long long)w[1], usable);
		return id;
	}
	for (size_t k = 2; k < words; k++)
		if (w[k] != pat(id, k)) {
			FAIL("%s: chunk %p (usable %zu) id %#llx corrupted at byte %zu", what, p,
			     usable, (unsigned long long)id, k * 8);
			break;
		}
	return id;
}

static size_t usable_of(void *p)
{
	return bastion_malloc_usable_size(p);
}

struct tstate {
	unsigned tid; /* 1..NTHREADS */
	uint64_t rng;
	uint64_t next_id;
	long n_malloc, n_calloc, n_aligned, n_realloc, n_free, n_large;
};

/* Mostly small (0..2 KiB, half of those up to 128 bytes), some medium
 * (log-uniform 2 KiB .. 64 KiB, now and then up to 100 KiB: large
 * mappings), rarely large (about 300 KiB). Fresh mappings cost a page fault
 * per page, so the big sizes stay rare enough to keep the run short. */
static size_t pick_size(struct tstate *t)
{
	uint64_t r = rnd(&t->rng);
	unsigned sel = (unsigned)(r % 10000);
	r >>= 14;
	if (sel < 4750)
		return (size_t)(r % 129);
	if (sel < 9500)
		return (size_t)(r % 2049);
	if (sel < 9980) {
		/* One octave of 2 KiB .. 64 KiB at random. */
		unsigned e = 11 + (unsigned)(r % 5);
		return ((size_t)1 << e) + (size_t)((r >> 3) % ((size_t)1 << e));
	}
	if (sel < 9995)
		return 64 * 1024 + (size_t)(r % (36 * 1024));
	t->n_large++;
	return 280 * 1024 + (size_t)(r % (40 * 1024));
}

/* Set in the id of a block from an aligned allocation: free_sized is for
 * the others (the sized free of an aligned block must name its alignment). */
#define ALIGNED_ID ((uint64_t)1 << 55)

static uint64_t new_id(struct tstate *t)
{
	return ((uint64_t)t->tid << 56) | ++t->next_id;
}

/* Checks a fresh chunk and fills it. */
static void *accept_chunk(struct tstate *t, void *p, size_t n, size_t align, const char *what)
{
	if (!p) {
		FAIL("%s(%zu, align %zu) returned NULL (errno %d)", what, n, align, errno);
		return NULL;
	}
	if (align && ((uintptr_t)p & (align - 1))) {
		FAIL("%s(%zu): %p is not aligned to %zu", what, n, p, align);
	}
	if (((uintptr_t)p & 15) != 0)
		FAIL("%s(%zu): %p is not 16-byte aligned", what, n, p);
	size_t u = usable_of(p);
	if (u < n)
		FAIL("%s(%zu): usable size %zu too small", what, n, u);
	fill(p, u, new_id(t) | (align ? ALIGNED_ID : 0));
	return p;
}

static void *do_alloc(struct tstate *t)
{
	size_t n = pick_size(t);
	unsigned kind = (unsigned)(rnd(&t->rng) % 10);
	if (kind < 6) {
		t->n_malloc++;
		return accept_chunk(t, bastion_malloc(n), n, 0, "malloc");
	}
	if (kind < 8) {
		t->n_calloc++;
		void *p = (n % 8 == 0 && n) ? bastion_calloc(n / 8, 8) : bastion_calloc(1, n);
		if (p) {
			const unsigned char *c = p;
			for (size_t i = 0; i < n; i++)
				if (c[i]) {
					FAIL("calloc(%zu): byte %zu of %p is %#x", n, i, p, c[i]);
					break;
				}
		}
		return accept_chunk(t, p, n, 0, "calloc");
	}
	t->n_aligned++;
	/* Alignments 32 .. 8192, rarely 64 KiB; aligned requests stay modest. */
	uint64_t r = rnd(&t->rng);
	size_t align = (size_t)32 << (r % 9);
	if ((r >> 8) % 64 == 0)
		align = 65536;
	if (n > 16384)
		n = 16384;
	void *p = NULL;
	switch ((r >> 16) % 3) {
	case 0: {
		int e = bastion_posix_memalign(&p, align, n);
		if (e) {
			FAIL("posix_memalign(%zu, %zu) = %d", align, n, e);
			return NULL;
		}
		return accept_chunk(t, p, n, align, "posix_memalign");
	}
	case 1:
		return accept_chunk(t, bastion_aligned_alloc(align, n), n, align, "aligned_alloc");
	default:
		return accept_chunk(t, bastion_memalign(align, n), n, align, "memalign");
	}
}

static void do_free(struct tstate *t, void *p)
{
	size_t u = usable_of(p);
	uint64_t id = verify_words(p, u / 8, u, "free");
	t->n_free++;
	/* The usable size is the requested size (malloc_usable_size), which
	 * sized free must be given. */
	if (id && !(id & ALIGNED_ID) && rnd(&t->rng) % 4 == 0)
		bastion_free_sized(p, u);
	else
		bastion_free(p);
}

static void *do_realloc(struct tstate *t, void *old)
{
	size_t n = pick_size(t);
	t->n_realloc++;
	if (!old)
		return accept_chunk(t, bastion_realloc(NULL, n), n, 0, "realloc(NULL)");
	size_t ou = usable_of(old);
	uint64_t id = verify_words(old, ou / 8, ou, "realloc");
	if (n == 0 || rnd(&t->rng) % 256 == 0) {
		/* realloc(p, 0) frees p and returns NULL. */
		void *q = bastion_realloc(old, 0);
		if (q)
			FAIL("realloc(%p, 0) returned %p", old, q);
		return NULL;
	}
	void *q = bastion_realloc(old, n);
	if (!q) {
		FAIL("realloc(%p, %zu) returned NULL (errno %d)", old, n, errno);
		return NULL;
	}
	/* The first min(old usable, n) bytes came over. */
	size_t keep = (ou < n ? ou : n) / 8;
	if (keep > 1) {
		/* Word 1 holds the old usable size. */
		const uint64_t *w = q;
		if (w[0] != id || w[1] != (pat(id, 1) ^ ou))
			FAIL("realloc(%zu -> %zu): header not carried over", ou, n);
		for (size_t k = 2; k < keep; k++)
			if (w[k] != pat(id, k)) {
				FAIL("realloc(%zu -> %zu): byte %zu not carried over", ou, n,
				     k * 8);
				break;
			}
	} else if (keep == 1 && *(const uint64_t *)q != id) {
		FAIL("realloc(%zu -> %zu): word 0 not carried over", ou, n);
	}
	return accept_chunk(t, q, n, 0, "realloc");
}

struct live {
	uintptr_t p;
	size_t span;
};

static int cmp_live(const void *a, const void *b)
{
	const struct live *x = a, *y = b;
	return x->p < y->p ? -1 : x->p > y->p;
}

/* Every other thread is parked at the barrier: no chunk changes. */
static void check_no_overlap(unsigned round)
{
	static struct live all[NSLOTS];
	size_t n = 0;
	for (size_t i = 0; i < NSLOTS; i++) {
		void *p = atomic_load(&slots[i]);
		if (!p)
			continue;
		size_t u = usable_of(p);
		verify_words(p, u / 8, u, "scan");
		all[n].p = (uintptr_t)p;
		all[n].span = u ? u : 1; /* malloc(0) chunks still own their address */
		n++;
	}
	qsort(all, n, sizeof(all[0]), cmp_live);
	for (size_t i = 1; i < n; i++)
		if (all[i - 1].p + all[i - 1].span > all[i].p)
			FAIL("round %u: live chunks overlap: %#lx+%zu and %#lx+%zu", round,
			     (unsigned long)all[i - 1].p, all[i - 1].span, (unsigned long)all[i].p,
			     all[i].span);
	if (round == 1 || round == NROUNDS)
		printf("round %u: %zu live chunks, no overlap\n", round, n);
}

static void *worker(void *arg)
{
	struct tstate *t = arg;
	long per_round = ops_per_thread / NROUNDS;
	for (unsigned round = 1; round <= NROUNDS; round++) {
		for (long i = 0; i < per_round; i++) {
			uint64_t r = rnd(&t->rng);
			size_t s = (size_t)(r % NSLOTS);
			unsigned op = (unsigned)((r >> 32) % 100);
			if (op < 60) {
				void *p = do_alloc(t);
				void *old = atomic_exchange(&slots[s], p);
				if (old)
					do_free(t, old);
			} else if (op < 75) {
				void *old = atomic_exchange(&slots[s], NULL);
				void *q = do_realloc(t, old);
				void *other = atomic_exchange(&slots[s], q);
				if (other)
					do_free(t, other);
			} else {
				void *old = atomic_exchange(&slots[s], NULL);
				if (old)
					do_free(t, old);
			}
		}
		pthread_barrier_wait(&barrier);
		if (t->tid == 1)
			check_no_overlap(round);
		pthread_barrier_wait(&barrier);
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *ops = argc > 1 ? argv[1] : getenv("BST_TEST_OPS");
	ops_per_thread = ops ? atol(ops) : 1000000;
	if (ops_per_thread < NROUNDS)
		ops_per_thread = NROUNDS;
	const char *env = getenv("TEST_SEED");
	base_seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	printf("test_threads: %d threads x %ld ops, TEST_SEED=%llu\n", NTHREADS, ops_per_thread,
	       (unsigned long long)base_seed);

	double t0 = now();
	static struct tstate ts[NTHREADS];
	pthread_t th[NTHREADS];
	CHECK(pthread_barrier_init(&barrier, NULL, NTHREADS) == 0);
	for (unsigned i = 0; i < NTHREADS; i++) {
		ts[i].tid = i + 1;
		ts[i].rng = base_seed * 1000003u + i;
		CHECK(pthread_create(&th[i], NULL, worker, &ts[i]) == 0);
	}
	for (unsigned i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	pthread_barrier_destroy(&barrier);

	/* Everything left is freed by the main thread, which allocated none
	 * of it. */
	struct tstate mt = {.tid = NTHREADS, .rng = base_seed};
	for (size_t i = 0; i < NSLOTS; i++) {
		void *p = atomic_exchange(&slots[i], NULL);
		if (p)
			do_free(&mt, p);
	}
	long totals[6] = {0};
	for (unsigned i = 0; i < NTHREADS; i++) {
		totals[0] += ts[i].n_malloc;
		totals[1] += ts[i].n_calloc;
		totals[2] += ts[i].n_aligned;
		totals[3] += ts[i].n_realloc;
		totals[4] += ts[i].n_free;
		totals[5] += ts[i].n_large;
	}
	printf(
	    "malloc %ld calloc %ld aligned %ld realloc %ld free %ld (large sizes %ld) in %.2f s\n",
	    totals[0], totals[1], totals[2], totals[3], totals[4], totals[5], now() - t0);
	CHECK(atomic_load(&failures) == 0);
	CHECK_DONE();
}
