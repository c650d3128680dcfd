/*
 * The per-thread cache: bins of claimed chunks per class, the quarantine
 * ring and the drain buffer. Shared by thread_cache.c and the fast paths
 * in api.c.
 */
#ifndef BST_THREAD_CACHE_H
#define BST_THREAD_CACHE_H

#include "internal.h"

#define BST_TC_MAX      32                  /* chunks per bin at most */
#define BST_TC_BYTES    ((size_t)64 * 1024) /* bytes per bin at most (>= 2 chunks) */
#define BST_Q_SLOTS_MAX 4096 /* quarantine ring slots at most (option quarantine_slots) */
#define BST_DRAIN_MAX   16   /* chunks of one class released per batch */

typedef struct bst_bin {
	uint32_t count; /* slot[0..count) hold claimed chunks */
	uint32_t cap;
	/* Chunks the next refill takes: starts small and doubles up to cap,
	 * so a thread that allocates a few blocks of a class does not claim
	 * (and later give back) a whole bin of them. */
	uint32_t fill;
	void *slot[BST_TC_MAX];
} bst_bin_t;

typedef struct bst_tcache {
	bst_bin_t bins[BST_NUM_CLASSES];
	bst_rng_t rng;
	uint32_t zone[BST_NUM_CLASSES]; /* zone owned per class, index + 1 */
	uint32_t id;                    /* owner id in zone records, nonzero */
	uint32_t sample_left;           /* allocations until the next sampled one */
	uint32_t qcount;                /* q[0..qcount) are quarantined */
	size_t qbytes;                  /* their chunk sizes added up */
	uint32_t qslots;                /* ring size, from the options */
	size_t qmax_bytes;              /* byte budget, from the options */
	/* Chunks leaving the quarantine wait here, per class, so one release
	 * batch mostly touches one zone and takes its lock once. */
	struct {
		uint32_t count;
		void *slot[BST_DRAIN_MAX];
	} drain[BST_NUM_CLASSES];
	struct bst_tcache *next_all;  /* every cache, for fork */
	struct bst_tcache *next_free; /* pool of flushed caches */
	bool in_use;
	/* Ring entries: a chunk's address with its class in the top byte, so
	 * an eviction needs no zone lookup (bst_q_entry). Last, so that the
	 * part a ring of qslots uses ends the part a new cache faults in. */
	uintptr_t q[BST_Q_SLOTS_MAX];
} bst_tcache_t;

extern __thread bst_tcache_t *bst_tc __attribute__((tls_model("initial-exec")));

#define BST_Q_CLS_SHIFT 56
_Static_assert(BST_NUM_CLASSES <= 256, "a class fits a ring entry's top byte");

static inline uintptr_t bst_q_entry(void *p, unsigned cls)
{
	return (uintptr_t)p | (uintptr_t)cls << BST_Q_CLS_SHIFT;
}

void bst_quarantine_push_slow(bst_tcache_t *tc, uintptr_t e, size_t bytes);

/* Puts freed chunk p of class cls (bytes long) into the thread's
 * quarantine. */
static inline void bst_quarantine_push(bst_tcache_t *tc, void *p, unsigned cls, size_t bytes)
{
	uintptr_t e = bst_q_entry(p, cls);
	if (bst_likely(tc->qcount < tc->qslots && tc->qbytes + bytes <= tc->qmax_bytes)) {
		tc->q[tc->qcount++] = e;
		tc->qbytes += bytes;
		return;
	}
	bst_quarantine_push_slow(tc, e, bytes);
}

#endif /* BST_THREAD_CACHE_H */
