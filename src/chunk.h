/*
 * Zone chunks: the 2-bit state machine and every check made on a chunk,
 * in one place. chunk.h has what the fast paths inline; chunk.c the
 * reports, the checks of idle chunks (neighbours, bastion_verify, before a
 * purge) and the transitions made under the zone lock.
 *
 * The transitions (docs/design.md, "Chunk states"):
 *   00 never used, 01 freed -> 10 in use   hand-out: one fetch_add
 *                                          (bst_chunk_hand_out_kind)
 *   10 in use -> 01 freed                  free: one fetch_sub
 *                                          (bst_chunk_free_kind)
 *   00 -> 11 canary chunk                  window growth, zone lock
 *                                          (bst_chunk_make_canary; from two
 *                                          pages up its inner pages become
 *                                          inaccessible, bst_canary_guard)
 *   01, 11, 00 -> 00                       purge, zone lock
 *                                          (bst_chunk_states_to_never)
 * Nothing else writes a state word. Where a chunk *is* (available,
 * claimed) is zone.c's business, through the avail bitmap.
 */
#ifndef BST_CHUNK_H
#define BST_CHUNK_H

#include <string.h>

#include "internal.h"

/* 2-bit chunk states in the out-of-line state bitmap. */
enum {
	BST_STATE_NEVER = 0,  /* 00: never handed out */
	BST_STATE_FREED = 1,  /* 01: handed out once, now free */
	BST_STATE_USED = 2,   /* 10: live */
	BST_STATE_CANARY = 3, /* 11: canary chunk, never handed out */
};

/* Reports (chunk.c): each prints one line and ends the process. */
BST_NORETURN BST_COLD void bst_chunk_bad_state(const bst_zone_t *z, const void *p, unsigned st);
BST_NORETURN BST_COLD void bst_chunk_bad_offset(const bst_zone_t *z, const void *p);
/* The canary does not match: another family's canary means a mismatched
 * deallocation, the freed one a double free that lost a race, anything
 * else an overflow. */
BST_NORETURN BST_COLD void bst_chunk_bad_canary(const bst_zone_t *z, const void *p, unsigned kind,
                                                uint64_t c);
BST_NORETURN BST_COLD void bst_chunk_bad_wipe(const bst_zone_t *z, const void *p);
BST_NORETURN BST_COLD void bst_chunk_bad_never(const bst_zone_t *z, const void *p);
BST_NORETURN BST_COLD void bst_chunk_bad_size(const bst_zone_t *z, const void *p);
BST_NORETURN BST_COLD void bst_state_claim_fail(const bst_zone_t *z, uintptr_t p, unsigned old);
/* Faults in the first page and the canary's page of never-used chunk p
 * (size bytes) about to be handed out. */
void bst_chunk_populate_fresh(void *p, size_t size);
/* Which pages of a zone's window may hold data (bst_os_pages_in_use),
 * asked once per walk, when first needed. */
typedef struct {
	int known; /* 0: not asked yet; 1: map holds the answer; -1: unknown */
	uint64_t map[(BST_ZONE_PAGES + 63) / 64];
} bst_presence_t;
/* False only if no page of chunk j of z may hold data: every byte of it
 * reads as zero, so a check that it does can be skipped, and reading it
 * would fault each page in (11.5 us a page on a VM) only to find zeros.
 * Zone lock held (the window cannot change under the walk). */
bool bst_chunk_may_hold_data(const bst_zone_t *z, uint32_t j, bst_presence_t *pr);
/* Checks idle (not live) chunk j of z: its tail, and with full its whole
 * contents (wipe, canary words), skipping the pages pr (NULL: none) shows
 * hold no data. Races with other threads are settled by re-reading the
 * state. Returns problems found (bst_problem: fatal unless verify_abort
 * is 0). */
size_t bst_chunk_check_idle(const bst_zone_t *z, uint32_t j, bool full, bst_presence_t *pr);
/* Makes available chunk i (taken out of avail by the caller) a canary
 * chunk: fills it, then publishes state 11. Zone lock held. */
void bst_chunk_make_canary(bst_zone_t *z, uint32_t i);
/* Chunk i of z, just picked, lies on a page given back since the zone
 * last emptied (its pages now populated again): if it is "never used"
 * because a purge made it so, it must read as zero in full, or something
 * wrote to it through a dangling pointer after its pages were given back.
 * Zone lock held. */
void bst_chunk_check_purged(const bst_zone_t *z, uint32_t i);
/* Moves chunks [a, b), none live or claimed, back to never used: their
 * memory has been purged or is about to read as zero. Zone lock held. */
void bst_chunk_states_to_never(bst_zone_t *z, uint32_t a, uint32_t b);

static inline uint64_t bst_canary_kind(const bst_zone_t *z, uintptr_t p, unsigned kind)
{
	return bst_canary_mix(z->canary_secret ^ ((uint64_t)kind * 0x5851f42d4c957f2dull), p);
}

/* Byte-exact bounds. A live chunk handed out for n of its u usable bytes
 * (u = size - 8) keeps its slack, s = u - n, in its tail word:
 *     tail = canary of its kind ^ (s << BST_SLACK_SHIFT)
 * (bytes 4-6, so the canary's zero byte still stops string overflows), and
 * the word holding byte n (when n < u) holds the chunk's slack pattern from
 * byte n on: secret-derived, byte n never zero (a lone NUL one past the
 * request shows), byte n + 1 zero when it is in the word (a string read
 * past the request stops there). A linear overflow changes byte n first;
 * the rest of the slack is not patterned (writing and checking it cost a
 * quarter of a small-block workload's time), so only a write that skips
 * byte n and stops short of the tail goes unseen. A chunk with no slack is
 * tagged exactly as before. */
#define BST_SLACK_SHIFT 32

static inline uint64_t bst_live_tail(const bst_zone_t *z, uintptr_t p, unsigned kind, size_t slack)
{
	return bst_canary_kind(z, p, kind) ^ ((uint64_t)slack << BST_SLACK_SHIFT);
}

/* The slack that tail t encodes for a chunk whose canary of the kind in
 * question is ck, or UINT32_MAX if t is not a live tail of that kind. */
static inline uint32_t bst_slack_of(const bst_zone_t *z, uint64_t ck, uint64_t t)
{
	uint64_t d = t ^ ck;
	if (bst_unlikely((uint32_t)d != 0 || (d >> BST_SLACK_SHIFT) > z->size - BST_CANARY_SIZE))
		return UINT32_MAX;
	return (uint32_t)(d >> BST_SLACK_SHIFT);
}

static inline uint32_t bst_tail_slack(const bst_zone_t *z, uintptr_t p, unsigned kind, uint64_t t)
{
	return bst_slack_of(z, bst_canary_kind(z, p, kind), t);
}

/* The slack pattern of a chunk whose canary is ck: the canary with every
 * byte made odd (never zero). It tells a reader of the slack no more than
 * the tail it can read anyway. */
static inline uint64_t bst_slack_word(uint64_t ck)
{
	return ck | 0x0101010101010101ull;
}

/* The slack pattern word of a chunk handed out for n bytes (canary ck of
 * its kind): the bytes from n & 7 on, with byte n + 1 zero; *mask selects
 * them. */
static inline uint64_t bst_slack_expect(size_t n, uint64_t ck, uint64_t *mask)
{
	unsigned b = (unsigned)(n & 7);
	uint64_t v = bst_slack_word(ck);
	if (b != 7)
		v &= ~(0xffull << 8 * (b + 1));
	*mask = ~0ull << 8 * b;
	return v;
}

/* Writes the slack pattern of live chunk p (n bytes requested, canary ck
 * of its kind), keeping the request's bytes in its word. */
static inline void bst_slack_fill(const bst_zone_t *z, void *p, size_t n, uint64_t ck)
{
	if (n >= z->size - BST_CANARY_SIZE)
		return;
	char *c = (char *)p + (n & ~(size_t)7);
	uint64_t mask, v = bst_slack_expect(n, ck, &mask), w;
	__builtin_memcpy(&w, c, 8);
	w = (w & ~mask) | (v & mask);
	__builtin_memcpy(c, &w, 8);
}

/* True if live chunk p's slack pattern (n bytes requested, canary ck of
 * its kind) is intact. Always inlined: bastion_verify reads other
 * threads' live chunks with it, racing their owners on purpose
 * (BST_RACY_READS applies to its caller's body). */
__attribute__((always_inline)) static inline bool bst_slack_ok(const bst_zone_t *z, const void *p,
                                                               size_t n, uint64_t ck)
{
	if (n >= z->size - BST_CANARY_SIZE)
		return true;
	const char *c = (const char *)p + (n & ~(size_t)7);
	uint64_t mask, v = bst_slack_expect(n, ck, &mask), w;
	__builtin_memcpy(&w, c, 8);
	return ((w ^ v) & mask) == 0;
}

/* A chunk's last 8 bytes (its canary) are read by neighbour checks in
 * other threads while the owner writes them: relaxed atomics, plain moves
 * on x86. The state word's release/acquire orders them. */
static inline uint64_t bst_tail_load(const void *slot)
{
	return atomic_load_explicit((_Atomic uint64_t *)(uintptr_t)slot, memory_order_relaxed);
}
static inline void bst_tail_store(void *slot, uint64_t v)
{
	atomic_store_explicit((_Atomic uint64_t *)slot, v, memory_order_relaxed);
}

static inline unsigned bst_state_get(const bst_zone_t *z, uint32_t i)
{
	return (unsigned)(atomic_load_explicit(&z->state[i >> 5], memory_order_acquire) >>
	                  ((i & 31) * 2)) &
	       3;
}

/* Canary chunks of two pages or more are guards: the whole pages inside
 * them are inaccessible, so a write into one faults at once (and costs no
 * memory), and only the partial pages at their edges hold canary words.
 * Sets [*lo, *hi) to those inner pages and returns true for such a chunk
 * q of z. Private zones fill theirs in full: bastion_zone_unprotect makes
 * a whole window accessible again. */
static inline bool bst_canary_guard(const bst_zone_t *z, uintptr_t q, uintptr_t *lo, uintptr_t *hi)
{
	if (z->size < 2 * BST_PAGE || z->pzone != 0)
		return false;
	*lo = (q + BST_PAGE - 1) & ~(BST_PAGE - 1);
	*hi = (q + z->size) & ~(BST_PAGE - 1);
	return true;
}

/* Whether canary chunk q's tail lies in its inaccessible part. */
static inline bool bst_canary_tail_guarded(const bst_zone_t *z, uintptr_t q)
{
	uintptr_t lo, hi;
	return bst_canary_guard(z, q, &lo, &hi) && hi == q + z->size;
}

/* What the tail of a chunk in state st holds when nothing overwrote it and
 * no free or hand-out of it is under way: the freed canary when freed,
 * the canary-chunk word for canary chunks, zero when never used; a live
 * chunk's is its owner's business. */
static inline uint64_t bst_idle_tail(const bst_zone_t *z, uintptr_t q, unsigned st)
{
	uint64_t kind = st == BST_STATE_CANARY ? BST_KIND_CANARY_CHUNK : BST_KIND_FREED;
	return st == BST_STATE_NEVER ? 0 : bst_canary_kind(z, q, (unsigned)kind);
}

/* The wipe of chunks of four pages or more (whole pages: every such class
 * is a multiple of the page size), and its check (chunk.c): pages of the
 * chunk that hold no data (neither resident nor swapped out) are left
 * alone, as they read as zero already. Programs often use such blocks in
 * part (opendir's 32 KiB buffer, a compiler's obstacks), and wiping or
 * checking the rest would fault each of its pages in. A write through a
 * dangling pointer gives its page data, so the check still reads it. Only
 * with zero fills; where /proc/self/pagemap cannot be read, every page is
 * wiped and checked. */
#define BST_BIG_WIPE ((uint32_t)4 * BST_PAGE)
void bst_chunk_wipe_big(bst_zone_t *z, void *p);
bool bst_chunk_wiped_big(bst_zone_t *z, const void *p);

static inline bool bst_chunk_wipe_by_page(const bst_zone_t *z)
{
	return z->size >= BST_BIG_WIPE && (z->size & (BST_PAGE - 1)) == 0 &&
	       bst_g.opt.free_fill == 0;
}

/* Checks the chunks next to chunk i of z (just freed) when they are not
 * live: their canaries (freed and canary chunks) or their zero tails
 * (never used). The expected case inline; anything else, including the
 * races with other threads, goes to bst_chunk_check_idle. */
static inline void bst_check_neighbours(const bst_zone_t *z, uint32_t i)
{
	uint32_t js[2] = {i - 1, i + 1};
	for (int k = 0; k < 2; k++) {
		uint32_t j = js[k];
		/* Past the window nothing was ever used, and it is not
		 * accessible (i - 1 wraps for i == 0). */
		if (j >= atomic_load_explicit(&z->frontier, memory_order_relaxed))
			continue;
		unsigned st = bst_state_get(z, j);
		if (st == BST_STATE_USED)
			continue;
		uintptr_t q = z->user + (uintptr_t)j * z->size;
		if (st == BST_STATE_CANARY && bst_canary_tail_guarded(z, q))
			continue;
		if (bst_unlikely(bst_tail_load((const void *)(q + z->size - BST_CANARY_SIZE)) !=
		                 bst_idle_tail(z, q, st)))
			bst_chunk_check_idle(z, j, false, NULL);
	}
}

/* Atomically moves chunk i of z from st, its state as the caller read it
 * (free: 00 or 01), to in use. One fetch_add: 00 + 10 and 01 + 01 both
 * give 10 without a carry. The bits of a claimed chunk cannot change under
 * us (a free of it fails its state check), so reading them first is safe;
 * the old value the fetch_add returns confirms it. */
static inline void bst_state_claim(bst_zone_t *z, uint32_t i, uintptr_t p, unsigned st)
{
	_Atomic uint64_t *w = &z->state[i >> 5];
	unsigned shift = (i & 31) * 2;
	if (bst_unlikely(st >= BST_STATE_USED))
		bst_state_claim_fail(z, p, st);
	uint64_t add = (uint64_t)(BST_STATE_USED - st) << shift;
	uint64_t old = atomic_fetch_add_explicit(w, add, memory_order_acq_rel);
	if (bst_unlikely(((old >> shift) & 3) != st))
		bst_state_claim_fail(z, p, (unsigned)(old >> shift) & 3);
}

/* Index of chunk p of z; p must be the start of a chunk (invalid-free
 * otherwise). */
static inline uint32_t bst_chunk_of(const bst_zone_t *z, const void *p)
{
	uintptr_t off = (uintptr_t)p - z->user;
	uint32_t i = bst_chunk_index(z, off);
	if (bst_unlikely((uintptr_t)i * z->size != off || i >= z->nchunks))
		bst_chunk_bad_offset(z, p);
	return i;
}

static inline uint64_t *bst_chunk_canary_slot(const bst_zone_t *z, const void *p)
{
	return (uint64_t *)((uintptr_t)p + z->size - BST_CANARY_SIZE);
}

/* Checks live chunk p's tail and slack pattern against kind and returns
 * the bytes it was handed out for (class 0: none, and nothing to check). */
static inline size_t bst_chunk_check_canary(const bst_zone_t *z, const void *p, unsigned kind)
{
	if (z->cls == 0)
		return 0;
	uint64_t c = bst_tail_load(bst_chunk_canary_slot(z, p));
	uint64_t ck = bst_canary_kind(z, (uintptr_t)p, kind);
	uint32_t slack = bst_slack_of(z, ck, c);
	size_t n = z->size - BST_CANARY_SIZE - slack;
	if (bst_unlikely(slack == UINT32_MAX || !bst_slack_ok(z, p, n, ck)))
		bst_chunk_bad_canary(z, p, kind, c);
	return n;
}

/* The bytes live chunk p was handed out for, whatever its kind: its tail
 * and slack pattern checked (malloc_usable_size). */
static inline size_t bst_chunk_requested(const bst_zone_t *z, const void *p)
{
	if (z->cls == 0)
		return 0;
	uint64_t c = bst_tail_load(bst_chunk_canary_slot(z, p));
	for (unsigned kind = BST_KIND_MALLOC; kind < BST_KIND_CANARY_CHUNK; kind++) {
		uint32_t slack = bst_tail_slack(z, (uintptr_t)p, kind, c);
		if (slack != UINT32_MAX)
			return bst_chunk_check_canary(z, p, kind);
	}
	bst_chunk_bad_canary(z, p, BST_KIND_MALLOC, c);
}

/* Moves the bounds of live malloc chunk p from old to n bytes in place
 * (realloc within its class). The tail reads as freed while the slack
 * changes, so bastion_verify in another thread skips it rather than
 * judging a half-written pattern; the new tail is published last. Bytes
 * the block grows into read as zero, not as the old pattern. */
static inline void bst_chunk_resize(const bst_zone_t *z, void *p, size_t old, size_t n)
{
	if (z->cls == 0 || old == n)
		return;
	uint64_t *slot = bst_chunk_canary_slot(z, p);
	bst_tail_store(slot, bst_canary_kind(z, (uintptr_t)p, BST_KIND_FREED));
	atomic_thread_fence(memory_order_release);
	if (n > old)
		bst_wipe((char *)p + old, (int)bst_g.opt.alloc_fill, n - old);
	bst_slack_fill(z, p, n, bst_canary_kind(z, (uintptr_t)p, BST_KIND_MALLOC));
	atomic_store_explicit(
	    (_Atomic uint64_t *)slot,
	    bst_live_tail(z, (uintptr_t)p, BST_KIND_MALLOC, z->size - BST_CANARY_SIZE - n),
	    memory_order_release);
}

/* Hands out claimed chunk p for n bytes: state to in use, the wipe of a
 * freed chunk checked (a never-used one must still have a zero tail),
 * slack pattern and tail written, the n bytes filled with alloc_fill when
 * that option is set.
 * *zeroed says whether the usable bytes are known to be zero. */
static inline void *bst_chunk_hand_out_kind(void *p, size_t n, unsigned cls, unsigned kind,
                                            bool *zeroed)
{
	bst_zone_t *z = &bst_g.zones[((uintptr_t)p - bst_g.region) >> BST_ZONE_SHIFT];
	uint32_t i = bst_chunk_index(z, (uintptr_t)p - z->user);
	uint64_t *slot = bst_chunk_canary_slot(z, p);
	*zeroed = false;
	/* The checks and the new canary come before the state turns live, so
	 * nobody (bastion_verify, a neighbour check in another thread) sees the
	 * chunk live with a freed or zero tail; until then they see an idle
	 * chunk with a live canary, which they take for a hand-out under way.
	 * The chunk is ours alone: it is claimed, and its state cannot move. */
	unsigned st = bst_state_get(z, i);
	if (bst_likely(cls != 0)) {
		if (st == BST_STATE_FREED) {
			if (bst_g.opt.wipe) {
				bool ok = bst_chunk_wipe_by_page(z)
				              ? bst_chunk_wiped_big(z, p)
				              : bst_words_are(p, z->size - BST_CANARY_SIZE,
				                              bst_fill_word(bst_g.opt.free_fill));
				if (bst_unlikely(!ok))
					bst_chunk_bad_wipe(z, p);
				*zeroed = bst_g.opt.free_fill == 0;
			}
		} else if (st == BST_STATE_NEVER) {
			if (z->size >= BST_PAGE)
				bst_chunk_populate_fresh(p, z->size);
			if (bst_unlikely(bst_tail_load(slot) != 0))
				bst_chunk_bad_never(z, p);
		}
		/* The new tail before the pattern: a checker that sees the
		 * pattern in the body then sees the tail changed too, and
		 * leaves a hand-out under way alone (bst_chunk_check_idle). */
		uint64_t ck = bst_canary_kind(z, (uintptr_t)p, kind);
		bst_tail_store(slot,
		               ck ^ ((uint64_t)(z->size - BST_CANARY_SIZE - n) << BST_SLACK_SHIFT));
		atomic_thread_fence(memory_order_release);
		bst_slack_fill(z, p, n, ck);
		if (bst_unlikely(bst_g.opt.alloc_fill != 0)) {
			bst_wipe(p, (int)bst_g.opt.alloc_fill, n);
			*zeroed = false;
		}
	}
	bst_state_claim(z, i, (uintptr_t)p, st);
	return p;
}

/* The checks and the state change of a free, then the wipe and the
 * neighbour checks: everything but the quarantine. want is the size a
 * sized free gives, SIZE_MAX for the others. */
static inline void bst_chunk_free_kind(bst_zone_t *z, void *p, unsigned kind, size_t want)
{
	uint32_t i = bst_chunk_of(z, p);
	unsigned shift = (i & 31) * 2;
	unsigned st = bst_state_get(z, i);
	if (bst_unlikely(st != BST_STATE_USED))
		bst_chunk_bad_state(z, p, st);
	/* A sized free (want != SIZE_MAX) must name the size allocated. */
	size_t n = bst_chunk_check_canary(z, p, kind);
	if (bst_unlikely(want != SIZE_MAX && n != want))
		bst_chunk_bad_size(z, p);
	/* The state change is the authority: one fetch_sub moves 10 to 01, and
	 * of two threads freeing one chunk only one sees 10. The other is
	 * reported, and the process ends before anyone sees what the wrong
	 * subtraction did to the word. */
	uint64_t old = atomic_fetch_sub_explicit(&z->state[i >> 5], (uint64_t)1 << shift,
	                                         memory_order_acq_rel);
	st = (unsigned)(old >> shift) & 3;
	if (bst_unlikely(st != BST_STATE_USED))
		bst_chunk_bad_state(z, p, st);
	/* Wipe and re-tag after the state change: the locked instruction
	 * waits for every earlier store to land, and wiping a chunk that
	 * another thread wrote fetched each of its lines first (larson ran 13%
	 * slower with the wipe in front). Until the freed canary is written,
	 * checkers see a freed chunk with its live canary, which they take
	 * for a free under way and do not read further; the chunk reaches
	 * the quarantine, and through it other threads, only after this. */
	if (bst_likely(z->cls != 0)) {
		if (bst_g.opt.wipe && bst_chunk_wipe_by_page(z))
			bst_chunk_wipe_big(z, p);
		else if (bst_g.opt.wipe)
			bst_wipe(p, (int)bst_g.opt.free_fill, z->size - BST_CANARY_SIZE);
		bst_tail_store(bst_chunk_canary_slot(z, p),
		               bst_canary_kind(z, (uintptr_t)p, BST_KIND_FREED));
		if (bst_g.opt.neighbour_checks)
			bst_check_neighbours(z, i);
	}
}

#endif /* BST_CHUNK_H */
