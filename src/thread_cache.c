/*
 * Per-thread caches and the per-thread quarantine.
 *
 * A thread's bin for a class holds chunks already removed from their zone's
 * avail bitmap (claimed) but not yet handed out: their bitmap state is still
 * 00 or 01, so a free of one of them is an invalid free. malloc pops a bin
 * (api.c) and moves the chunk's state to "in use" with one atomic add.
 * Bins refill in batches of random picks from the zones (4, then 8, 16, up
 * to the bin's cap), under one zone lock per batch.
 *
 * free() marks the chunk freed (one atomic subtract) and pushes it into
 * the thread's quarantine ring; when the ring is full a random resident
 * leaves it for its class's drain buffer. A full drain buffer becomes one
 * batch of the thread's shared FIFO, and the oldest batches the FIFO lets
 * out are released to their zones; consecutive chunks of one zone share
 * one lock hold. Cross-thread frees take the same path: the freeing
 * thread's quarantine, then the owner zone.
 *
 * Evicted chunks wait in a per-class drain buffer, so a release batch
 * mostly touches the one zone the thread owns for that class.
 *
 * Threads without a cache (during thread exit, after their cache is
 * flushed) use one shared cache under a lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "bastion.h"
#include "internal.h"
#include "thread_cache.h"

__thread bst_tcache_t *bst_tc __attribute__((tls_model("initial-exec")));
/* 0: no cache yet; 1: has a cache; 2: cache flushed at thread exit. */
static __thread uint8_t tc_state __attribute__((tls_model("initial-exec")));

static pthread_key_t tc_key;
static bst_lock_t pool_lock;    /* tcache allocation and the all list */
static bst_tcache_t *pool_free; /* flushed caches ready for reuse */
static bst_tcache_t *pool_all;  /* every cache ever made */
static bst_lock_t shared_lock;  /* guards shared_tc and shared_ready */
static bst_tcache_t shared_tc;
static bool shared_ready;    /* shared_tc set up */
static uint32_t next_id = 1; /* pool lock */

#define TC_BYTES   ((sizeof(bst_tcache_t) + BST_PAGE - 1) & ~(BST_PAGE - 1))
#define FILL_FIRST 4 /* chunks of a bin's first refill */

static void tcache_setup(bst_tcache_t *tc)
{
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++) {
		uint32_t cap = c == 0 ? BST_TC_MAX : (uint32_t)(BST_TC_BYTES / bst_class_size[c]);
		tc->bins[c].cap = cap < 2 ? 2 : cap > BST_TC_MAX ? BST_TC_MAX : cap;
		tc->bins[c].fill = tc->bins[c].cap < FILL_FIRST ? tc->bins[c].cap : FILL_FIRST;
		tc->bins[c].count = 0;
		tc->drain[c].count = 0;
		tc->zone[c] = 0;
	}
	tc->qcount = 0;
	tc->qbytes = 0;
	tc->qslots = (uint32_t)bst_g.opt.quarantine_slots;
	tc->qmax_bytes = (size_t)bst_g.opt.quarantine_bytes;
	bst_rng_seed(&tc->rng);
	tc->sample_left = bst_sample_countdown(&tc->rng);
}

bst_rng_t *bst_thread_rng(void)
{
	return bst_tc ? &bst_tc->rng : NULL;
}

/* The shared quarantine: FIFOs of drained batches, bounded in bytes,
 * between the thread rings and the zones. A chunk that leaves a thread's
 * ring waits behind every batch drained before it into the same FIFO.
 * There are FIFO_SHARDS of them, each with the whole byte budget (so one
 * thread's frees wait as long as with a single FIFO), and a thread cache
 * always uses the same one: with one global FIFO lock, two threads ran
 * 1.2x faster than one instead of 1.65x. */
#define FIFO_SHARDS  4
#define FIFO_BATCHES 256
typedef struct {
	uint32_t n;
	uint32_t size; /* chunk size of the batch's class */
	void *p[BST_DRAIN_MAX];
} batch_t;
typedef struct {
	bst_lock_t lock;
	uint32_t head, count; /* lock */
	size_t bytes;         /* lock */
	batch_t b[FIFO_BATCHES];
} __attribute__((aligned(64))) fifo_t;
static fifo_t fifos[FIFO_SHARDS];

/* Batches let out of a FIFO per lock hold; more wait for the next hold. */
#define FIFO_OUT_MAX 4

static void drain_flush(bst_tcache_t *tc, unsigned cls)
{
	/* Empty the buffer before releasing, so that a fork in the middle
	 * never leaves a full buffer behind. */
	batch_t in, out[FIFO_OUT_MAX];
	in.n = tc->drain[cls].count;
	in.size = bst_class_size[cls];
	memcpy(in.p, tc->drain[cls].slot, in.n * sizeof(void *));
	tc->drain[cls].count = 0;
	if (in.n == 0)
		return;
	size_t max = (size_t)bst_g.opt.shared_quarantine_bytes;
	size_t bytes = (size_t)in.n * in.size;
	if (bytes > max) {
		bst_zone_release(in.p, in.n);
		return;
	}
	/* Let out the oldest batches until the new one fits the budget (in
	 * bytes and in batches). In a steady state one batch goes in and one
	 * comes out, under one lock hold; the zones are written after it. */
	fifo_t *f = &fifos[tc->id % FIFO_SHARDS];
	bool placed = false;
	while (!placed) {
		uint32_t nout = 0;
		bst_lock(&f->lock);
		while (nout < FIFO_OUT_MAX &&
		       (f->count == FIFO_BATCHES || f->bytes + bytes > max)) {
			out[nout] = f->b[f->head];
			f->bytes -= (size_t)out[nout].n * out[nout].size;
			f->head = (f->head + 1) % FIFO_BATCHES;
			f->count--;
			nout++;
		}
		if (f->count < FIFO_BATCHES && f->bytes + bytes <= max) {
			f->b[(f->head + f->count) % FIFO_BATCHES] = in;
			f->count++;
			f->bytes += bytes;
			placed = true;
		}
		bst_unlock(&f->lock);
		for (uint32_t k = 0; k < nout; k++)
			bst_zone_release(out[k].p, out[k].n);
	}
}

static void drain_push(bst_tcache_t *tc, void *p, unsigned cls)
{
	tc->drain[cls].slot[tc->drain[cls].count++] = p;
	if (tc->drain[cls].count == BST_DRAIN_MAX)
		drain_flush(tc, cls);
}

static void *entry_chunk(uintptr_t e)
{
	return (void *)(e & (((uintptr_t)1 << BST_Q_CLS_SHIFT) - 1));
}

static unsigned entry_class(uintptr_t e)
{
	return (unsigned)(e >> BST_Q_CLS_SHIFT);
}

void bst_quarantine_push_slow(bst_tcache_t *tc, uintptr_t e, size_t bytes)
{
	/* The steady state: the ring is full and a random resident leaves to
	 * make room, the new chunk taking its slot. */
	if (tc->qcount != 0 && tc->qcount >= tc->qslots) {
		uint32_t j = bst_rng_below(&tc->rng, tc->qcount);
		uintptr_t victim = tc->q[j];
		size_t vbytes = bst_class_size[entry_class(victim)];
		if (tc->qbytes - vbytes + bytes <= tc->qmax_bytes) {
			tc->q[j] = e;
			tc->qbytes += bytes - vbytes;
			drain_push(tc, entry_chunk(victim), entry_class(victim));
			return;
		}
	}
	/* Over its byte budget (or its size shrank): evict random residents
	 * until the new chunk fits. */
	while (tc->qcount && (tc->qcount >= tc->qslots || tc->qbytes + bytes > tc->qmax_bytes)) {
		uint32_t j = bst_rng_below(&tc->rng, tc->qcount);
		uintptr_t victim = tc->q[j];
		tc->q[j] = tc->q[--tc->qcount];
		tc->qbytes -= bst_class_size[entry_class(victim)];
		drain_push(tc, entry_chunk(victim), entry_class(victim));
	}
	if (tc->qslots == 0 || bytes > tc->qmax_bytes) {
		drain_push(tc, entry_chunk(e), entry_class(e));
		return;
	}
	tc->q[tc->qcount++] = e;
	tc->qbytes += bytes;
}

/* Gives up the cache's zones and forgets every chunk it holds (they stay
 * claimed: a bounded leak). Only for a fork child, where the owning thread
 * no longer exists and may have stopped halfway through an update. */
static void tcache_abandon(bst_tcache_t *tc)
{
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++)
		bst_zone_disown(tc->zone[c], tc->id);
}

/* Returns every chunk the cache holds to its zone, and its zones to
 * whoever adopts them. */
static void tcache_flush(bst_tcache_t *tc)
{
	for (uint32_t i = 0; i < tc->qcount; i++)
		drain_push(tc, entry_chunk(tc->q[i]), entry_class(tc->q[i]));
	tc->qcount = 0;
	tc->qbytes = 0;
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++) {
		bst_bin_t *b = &tc->bins[c];
		for (uint32_t i = 0; i < b->count; i++)
			drain_push(tc, b->slot[i], c);
		b->count = 0;
		drain_flush(tc, c);
		bst_zone_disown(tc->zone[c], tc->id);
		tc->zone[c] = 0;
	}
}

static void tcache_destructor(void *arg)
{
	bst_tcache_t *tc = arg;
	tcache_flush(tc);
	bst_tc = NULL;
	tc_state = 2;
	bst_lock(&pool_lock);
	tc->in_use = false;
	tc->next_free = pool_free;
	pool_free = tc;
	bst_unlock(&pool_lock);
}

static bst_tcache_t *tcache_create(void)
{
	bst_lock(&pool_lock);
	bst_tcache_t *tc = pool_free;
	bool fresh = false;
	if (tc) {
		pool_free = tc->next_free;
	} else {
		tc = bst_os_map_guarded(TC_BYTES);
		fresh = tc != NULL;
		if (tc) {
			bst_os_name(tc, TC_BYTES, "bastion thread cache");
			tc->next_all = pool_all;
			pool_all = tc;
			tc->id = ++next_id;
		}
	}
	if (tc)
		tc->in_use = true;
	bst_unlock(&pool_lock);
	if (!tc)
		return NULL;
	/* Setting up a new cache writes its bins and drain buffers, and the
	 * ring fills soon: one call rather than a fault per page (10.5 us each
	 * on a VM). A recycled cache's pages are resident already. */
	if (fresh) {
		size_t used = offsetof(bst_tcache_t, q) +
		              (size_t)bst_g.opt.quarantine_slots * sizeof(uintptr_t);
		bst_os_populate(tc, (used + BST_PAGE - 1) & ~(BST_PAGE - 1));
	}
	tcache_setup(tc);
	bst_tc = tc;
	tc_state = 1;
	pthread_setspecific(tc_key, tc);
	return tc;
}

void bst_tcache_init(void)
{
	pthread_key_create(&tc_key, tcache_destructor);
}

/* The cache of threads that have none (exiting, or out of memory for
 * one), set up on its first use: most processes never need it, and its
 * set-up writes six pages. Shared lock held. */
static bst_tcache_t *shared_cache(void)
{
	if (!shared_ready) {
		tcache_setup(&shared_tc);
		shared_tc.id = 1;
		shared_ready = true;
	}
	return &shared_tc;
}

static bool refill(bst_tcache_t *tc, unsigned cls)
{
	bst_bin_t *b = &tc->bins[cls];
	b->count = bst_zone_refill(cls, b->slot, b->fill, &tc->zone[cls], tc->id, &tc->rng);
	b->fill = b->fill * 2 < b->cap ? b->fill * 2 : b->cap;
	return b->count != 0;
}

bool bst_tcache_refill(unsigned cls)
{
	bst_tcache_t *tc = bst_tc;
	if (!tc && tc_state == 0)
		tc = tcache_create();
	if (!tc)
		return false;
	if (tc->bins[cls].count || refill(tc, cls))
		return true;
	errno = ENOMEM;
	return false;
}

void *bst_malloc_shared(unsigned cls)
{
	void *p = NULL;
	bst_lock(&shared_lock);
	bst_tcache_t *tc = shared_cache();
	bst_bin_t *b = &tc->bins[cls];
	if (b->count || refill(tc, cls))
		p = b->slot[--b->count];
	bst_unlock(&shared_lock);
	if (!p)
		errno = ENOMEM;
	return p;
}

uint32_t bst_sample_countdown(bst_rng_t *rng)
{
	/* Uniform in [1, 2 * rate - 1]: mean rate, and rate 1 samples every
	 * allocation. */
	uint64_t rate = bst_g.opt.sample_rate;
	return rate ? 1 + bst_rng_below(rng, (uint32_t)(2 * rate - 1)) : UINT32_MAX;
}

void bst_free_slow(void *p, unsigned cls, size_t bytes)
{
	/* A thread whose first call is a free (a consumer) gets its cache
	 * here, so its frees do not all go through the shared lock. */
	bst_tcache_t *tc = tc_state == 0 ? tcache_create() : NULL;
	if (tc) {
		bst_quarantine_push(tc, p, cls, bytes);
		return;
	}
	bst_lock(&shared_lock);
	bst_quarantine_push(shared_cache(), p, cls, bytes);
	bst_unlock(&shared_lock);
}

/* fork: take every lock in the one global order (pool, shared cache,
 * shared FIFO, private zones and their slots, class locks, region, zones by index, large shards) so
 * the child inherits a consistent heap. */
void bst_tcache_atfork_prepare(void)
{
	bst_lock(&pool_lock);
	bst_lock(&shared_lock);
	for (int i = 0; i < FIFO_SHARDS; i++)
		bst_lock(&fifos[i].lock);
	bst_private_lock_all();
	bst_zone_lock_all();
	bst_large_lock_all();
}

void bst_tcache_atfork_parent(void)
{
	bst_large_unlock_all();
	bst_zone_unlock_all();
	bst_private_unlock_all();
	for (int i = FIFO_SHARDS; i-- > 0;)
		bst_unlock(&fifos[i].lock);
	bst_unlock(&shared_lock);
	bst_unlock(&pool_lock);
}

/* In the child only the forking thread exists: reset the locks, and
 * recycle the caches of threads that are gone. Their chunks are not given
 * back: a thread may have been stopped halfway through changing its cache,
 * so nothing in it can be trusted except its identity. */
void bst_tcache_atfork_child(void)
{
	bst_large_reset_locks();
	bst_zone_reset_locks();
	for (int i = 0; i < FIFO_SHARDS; i++)
		bst_lock_reset(&fifos[i].lock);
	bst_lock_reset(&shared_lock);
	bst_lock_reset(&pool_lock);
	bst_fault_atfork_child();
	/* Parent and child must not draw the same random numbers. */
	bst_random_reseed();
	bst_private_reset_locks(); /* and reseeds the zones' generators */
	if (shared_ready)
		bst_rng_seed(&shared_tc.rng);
	if (bst_tc)
		bst_rng_seed(&bst_tc->rng);
	for (bst_tcache_t *tc = pool_all; tc; tc = tc->next_all) {
		if (!tc->in_use || tc == bst_tc)
			continue;
		tcache_abandon(tc);
		tc->in_use = false;
		tc->next_free = pool_free;
		pool_free = tc;
	}
}

/* ---- statistics (stats.c) ---- */

/* Adds what tc holds. Another thread's bins and ring change under us (its
 * owner takes no lock for them): the counts are clamped to their arrays
 * and a stale entry only miscounts, so the reads are racy on purpose. */
BST_RACY_READS static void count_cache(const bst_tcache_t *tc, struct bastion_stats *out)
{
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++) {
		uint32_t n = tc->bins[c].count, d = tc->drain[c].count;
		out->classes[c].chunks_cached += n < BST_TC_MAX ? n : BST_TC_MAX;
		out->classes[c].chunks_quarantined += d < BST_DRAIN_MAX ? d : BST_DRAIN_MAX;
	}
	uint32_t q = tc->qcount < BST_Q_SLOTS_MAX ? tc->qcount : BST_Q_SLOTS_MAX;
	for (uint32_t i = 0; i < q; i++) {
		unsigned c = entry_class(tc->q[i]);
		if (c < BST_NUM_CLASSES)
			out->classes[c].chunks_quarantined++;
	}
}

void bst_tcache_stats(struct bastion_stats *out)
{
	bst_lock(&pool_lock);
	for (bst_tcache_t *tc = pool_all; tc; tc = tc->next_all)
		if (tc->in_use)
			count_cache(tc, out);
	bst_unlock(&pool_lock);
	bst_lock(&shared_lock);
	count_cache(&shared_tc, out);
	bst_unlock(&shared_lock);
	/* A batch holds chunks of one class; its size cannot tell class 0
	 * from class 1 (both 16), its first chunk's zone can. */
	for (int i = 0; i < FIFO_SHARDS; i++) {
		fifo_t *f = &fifos[i];
		bst_lock(&f->lock);
		for (uint32_t k = 0; k < f->count; k++) {
			const batch_t *b = &f->b[(f->head + k) % FIFO_BATCHES];
			const bst_zone_t *z = b->n ? bst_zone_of(b->p[0]) : NULL;
			if (z)
				out->classes[z->cls].chunks_quarantined += b->n;
		}
		bst_unlock(&f->lock);
	}
}
