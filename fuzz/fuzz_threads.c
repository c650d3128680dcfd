/*
 * Threads harness: 2-4 threads run operations decoded from their own part
 * of the input against a shared table of live blocks, so most frees and
 * reallocs are of blocks another thread allocated. Built under TSan (the
 * fuzz-tsan preset) it looks for data races inside the allocator; under
 * ASan it checks the same invariants as fuzz_api:
 *   - a block is aligned as asked, its usable size is at least its size;
 *   - a new block overlaps no block in the table;
 *   - a block's contents are intact when another thread frees, reallocs or
 *     checks it;
 *   - calloc memory is zero; impossible sizes fail with ENOMEM;
 *   - bastion_verify() finds nothing while the other threads run, and
 *     nothing once they have exited.
 * Blocks are written only by the thread that holds them (outside the table)
 * and published under the table lock, so any race TSan reports is the
 * allocator's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bastion.h"
#include "common.h"

#define SLOTS       48
#define MAX_THREADS 4
#define MAX_OPS     200

typedef struct {
	unsigned char *p;
	size_t size;
	size_t align; /* for free_aligned_sized; 0 for the malloc family */
	uint32_t seed;
	bool zeroed;
} block_t;

static struct {
	pthread_mutex_t lock;
	block_t b[SLOTS];
	bool live[SLOTS];
} table = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint32_t seeds; /* under table.lock */

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "fuzz_threads: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static void fill(block_t *b, size_t from)
{
	pat_fill(b->p, b->seed, b->zeroed, from, b->size);
}

static void check(const block_t *b, size_t n, const char *when)
{
	size_t i = pat_find_bad(b->p, b->seed, b->zeroed, n);
	if (i != SIZE_MAX)
		fail("%s: block %p (size %zu) byte %zu is 0x%02x, expected 0x%02x", when,
		     (void *)b->p, b->size, i, b->p[i], b->zeroed ? 0 : pat(b->seed, i));
}

static void check_new(const block_t *b, const char *how)
{
	if ((uintptr_t)b->p % 16 || (b->align > 1 && (uintptr_t)b->p % b->align))
		fail("%s(size %zu, align %zu) returned misaligned %p", how, b->size, b->align,
		     (void *)b->p);
	if (bastion_malloc_usable_size(b->p) < b->size)
		fail("%s(size %zu) returned %p with usable size %zu", how, b->size, (void *)b->p,
		     bastion_malloc_usable_size(b->p));
}

/* Publishes b in slot idx (table lock held by the caller); returns the
 * block it displaced, if any, for the caller to free outside the lock. */
static bool publish_locked(int idx, const block_t *b, block_t *displaced, const char *how)
{
	uintptr_t a = (uintptr_t)b->p, e = a + block_extent(b->p, b->size);
	for (int i = 0; i < SLOTS; i++) {
		if (!table.live[i] || i == idx)
			continue;
		uintptr_t c = (uintptr_t)table.b[i].p,
		          d = c + block_extent(table.b[i].p, table.b[i].size);
		if (a < d && c < e)
			fail("%s returned %p..%p overlapping live %p..%p", how, (void *)a,
			     (void *)e, (void *)c, (void *)d);
	}
	bool had = table.live[idx];
	if (had)
		*displaced = table.b[idx];
	table.b[idx] = *b;
	table.live[idx] = true;
	return had;
}

static void release(block_t *b, unsigned how)
{
	check(b, b->size, "before free");
	if (how & 1)
		bastion_free(b->p);
	else if (b->align)
		bastion_free_aligned_sized(b->p, b->align, b->size);
	else
		bastion_free_sized(b->p, b->size);
}

static bool take(int idx, block_t *out)
{
	pthread_mutex_lock(&table.lock);
	bool had = table.live[idx];
	if (had) {
		*out = table.b[idx];
		table.live[idx] = false;
	}
	pthread_mutex_unlock(&table.lock);
	return had;
}

static void put(int idx, block_t *b, const char *how, unsigned free_how)
{
	block_t old;
	check_new(b, how);
	pthread_mutex_lock(&table.lock);
	b->seed = ++seeds * 2654435761u;
	pthread_mutex_unlock(&table.lock);
	if (b->zeroed)
		check(b, b->size, "fresh calloc");
	else
		fill(b, 0);
	pthread_mutex_lock(&table.lock);
	bool had = publish_locked(idx, b, &old, how);
	pthread_mutex_unlock(&table.lock);
	if (had)
		release(&old, free_how);
}

/* Up to 1 MiB: concurrency, not page faults, is what this harness is for. */
static size_t thread_size(reader_t *r)
{
	size_t n = pick_size(r);
	return n >= IMPOSSIBLE ? n : n & 0xfffff;
}

static void one_op(reader_t *r)
{
	uint8_t opb = u8(r);
	int idx = u8(r) % SLOTS;
	block_t b = {0};
	int err;
	switch (opb % 8) {
	case 0:
	case 1: { /* malloc */
		b.size = thread_size(r);
		errno = 0;
		b.p = bastion_malloc(b.size);
		err = errno;
		if (b.size >= IMPOSSIBLE) {
			if (b.p || err != ENOMEM)
				fail("malloc(%zu) gave %p errno %d", b.size, (void *)b.p, err);
			return;
		}
		if (!b.p)
			fail("malloc(%zu) failed, errno %d", b.size, err);
		put(idx, &b, "malloc", opb >> 3);
		return;
	}
	case 2: { /* calloc */
		size_t c = u8(r) & 15, n = thread_size(r);
		if (n >= IMPOSSIBLE || c * n > OK_LIMIT)
			return;
		b.p = bastion_calloc(c, n);
		if (!b.p)
			fail("calloc(%zu, %zu) failed", c, n);
		b.size = c * n;
		b.zeroed = true;
		put(idx, &b, "calloc", opb >> 3);
		return;
	}
	case 3: { /* aligned */
		size_t a = (size_t)16 << (u8(r) % 9);
		b.size = thread_size(r);
		if (b.size >= IMPOSSIBLE)
			return;
		b.p = bastion_aligned_alloc(a, b.size);
		if (!b.p)
			fail("aligned_alloc(%zu, %zu) failed", a, b.size);
		b.align = a;
		put(idx, &b, "aligned_alloc", opb >> 3);
		return;
	}
	case 4:
	case 5: /* free, most often another thread's block */
		if (take(idx, &b))
			release(&b, opb >> 3);
		return;
	case 6: { /* realloc another thread's block */
		size_t n = thread_size(r);
		if (n >= IMPOSSIBLE || n == 0 || !take(idx, &b))
			return;
		check(&b, b.size, "before realloc");
		unsigned char *q = bastion_realloc(b.p, n);
		if (!q)
			fail("realloc(%p, %zu) failed", (void *)b.p, n);
		size_t keep = b.size < n ? b.size : n;
		block_t nb = b;
		nb.p = q;
		nb.size = keep;
		check(&nb, keep, "after realloc");
		nb.size = n;
		nb.align = 0;
		fill(&nb, keep);
		check_new(&nb, "realloc");
		block_t old;
		pthread_mutex_lock(&table.lock);
		bool had = publish_locked(idx, &nb, &old, "realloc");
		pthread_mutex_unlock(&table.lock);
		if (had)
			release(&old, opb >> 3);
		return;
	}
	default:
		/* Now and then a heap walk while the others run (it costs a
		 * pass over every exposed chunk); otherwise a private
		 * allocate-free pair through this thread's cache. */
		if ((opb >> 3) % 8 == 0) {
			if (bastion_verify() != 0)
				fail("bastion_verify() found problems while threads ran");
		} else {
			b.size = u8(r);
			b.p = bastion_malloc(b.size);
			if (!b.p)
				fail("malloc(%zu) failed", b.size);
			check_new(&b, "malloc");
			bastion_free(b.p);
		}
		return;
	}
}

typedef struct {
	reader_t r;
} worker_t;

static void *worker(void *arg)
{
	worker_t *w = arg;
	for (int i = 0; i < MAX_OPS && w->r.n > 0; i++)
		one_op(&w->r);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned nthreads = 2 + data[0] % (MAX_THREADS - 1);
	data++;
	size--;
	worker_t w[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	/* Each thread decodes its own contiguous part of the input. */
	size_t part = size / nthreads;
	for (unsigned t = 0; t < nthreads; t++) {
		w[t].r.d = data + t * part;
		w[t].r.n = t + 1 == nthreads ? size - t * part : part;
	}
	for (unsigned t = 0; t < nthreads; t++)
		if (pthread_create(&tid[t], NULL, worker, &w[t]) != 0)
			fail("pthread_create failed");
	for (unsigned t = 0; t < nthreads; t++)
		pthread_join(tid[t], NULL);

	if (bastion_verify() != 0)
		fail("bastion_verify() found problems after the threads exited");
	for (int i = 0; i < SLOTS; i++) {
		block_t b;
		if (take(i, &b))
			release(&b, (unsigned)i);
	}
	if (bastion_verify() != 0)
		fail("bastion_verify() found problems after freeing everything");
	return 0;
}
