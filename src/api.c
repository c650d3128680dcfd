/*
 * The exported entry points. Every function exists as bastion_<name>; when
 * built with BASTION_OVERRIDE_MALLOC the standard names are aliases of the
 * same code, so there is one path to test.
 *
 * The fast paths, kept short on purpose:
 *   malloc: size -> class (a few ALU ops), pop the thread's bin, check the
 *           chunk's wipe (or zero tail), one 8-byte canary store, one
 *           lock xadd on the chunk's state word. No lock, no system call.
 *   free:   zone by address arithmetic, chunk index by multiplication, one
 *           canary compare, one lock xadd on the state word, the wipe and
 *           the freed canary, two neighbour tails compared inline, push
 *           into the thread's quarantine ring (a full ring swaps a random
 *           resident out). No lock, no system call.
 * The two locked instructions are 11.5 of the 44 ns a pair takes on the
 * development VM (docs/performance.md).
 * Everything else (refill, drain, init, large allocations) is out of line.
 */
#include <errno.h>
#include <string.h>

#include "bastion.h"
#include "internal.h"
#include "thread_cache.h"

#ifndef BASTION_OVERRIDE_MALLOC
#define BASTION_OVERRIDE_MALLOC 0
#endif

/* ---- chunk state checks ---- */

void bst_state_claim_fail(const bst_zone_t *z, uintptr_t p, unsigned old)
{
	bst_fatal("corrupted-state",
	          old == BST_STATE_USED ? "chunk in a thread cache is already live"
	                                : "canary chunk in a thread cache",
	          (void *)p, z->size);
}

BST_NORETURN BST_COLD static void bad_state(const bst_zone_t *z, const void *p, unsigned st)
{
	if (st == BST_STATE_FREED)
		bst_fatal("double-free", "chunk is already free", p, z->size);
	bst_fatal("invalid-free",
	          st == BST_STATE_NEVER ? "chunk was never allocated" : "pointer to a canary chunk",
	          p, z->size);
}

BST_NORETURN BST_COLD static void bad_offset(const bst_zone_t *z, const void *p)
{
	bst_fatal("invalid-free", "pointer is not the start of a chunk", p, z->size);
}

/* The canary does not match kind: another family's canary means a
 * mismatched deallocation, anything else an overflow. */
BST_NORETURN BST_COLD static void bad_canary(const bst_zone_t *z, const void *p, uint64_t c)
{
	/* Another thread freed the chunk between our state read and this
	 * canary read: a double free that lost the race by a hair. */
	if (c == bst_canary_kind(z, (uintptr_t)p, BST_KIND_FREED))
		bst_fatal("double-free", "chunk was freed by another thread meanwhile", p, z->size);
	for (unsigned k = BST_KIND_MALLOC; k < BST_KIND_CANARY_CHUNK; k++)
		if (c == bst_canary_kind(z, (uintptr_t)p, k))
			bst_fatal("alloc-dealloc-mismatch",
			          k == BST_KIND_MALLOC
			              ? "malloc'd block released with operator delete"
			              : "operator new block released by the wrong function",
			          p, z->size);
	bst_fatal("canary-corrupted", "chunk overflowed past its usable size", p, z->size);
}

BST_NORETURN BST_COLD static void bad_wipe(const bst_zone_t *z, const void *p)
{
	bst_fatal("write-after-free", "freed chunk was written to before reuse", p, z->size);
}

/* A pointer into a private zone reached a heap function. */
BST_NORETURN BST_COLD static void private_object(const bst_zone_t *z, const void *p,
                                                 const char *what)
{
	bst_fatal("zone-mismatch", what, p, z->size);
}

static inline uint32_t chunk_of(const bst_zone_t *z, const void *p)
{
	uintptr_t off = (uintptr_t)p - z->user;
	uint32_t i = bst_chunk_index(z, off);
	if (bst_unlikely((uintptr_t)i * z->size != off || i >= z->nchunks))
		bad_offset(z, p);
	return i;
}

static inline uint64_t *canary_slot(const bst_zone_t *z, const void *p)
{
	return (uint64_t *)((uintptr_t)p + z->size - BST_CANARY_SIZE);
}

static inline void check_canary(const bst_zone_t *z, const void *p, unsigned kind)
{
	if (z->cls == 0)
		return;
	uint64_t c = bst_tail_load(canary_slot(z, p));
	if (bst_unlikely(c != bst_canary_kind(z, (uintptr_t)p, kind)))
		bad_canary(z, p, c);
}

/* Checks that p is a live chunk of z allocated with kind (start of a
 * chunk, state in use, canary intact) without changing anything. */
static void check_live(const bst_zone_t *z, const void *p, unsigned kind)
{
	if (bst_unlikely(z->pzone != 0))
		private_object(z, p, "heap function given an object of a private zone");
	uint32_t i = chunk_of(z, p);
	unsigned st = bst_state_get(z, i);
	if (st != BST_STATE_USED)
		bad_state(z, p, st);
	check_canary(z, p, kind);
}

/* ---- small allocations ---- */

/* A never-used chunk of a page or more is about to be written (its
 * canary now, its contents by the program, and all of it by the wipe when
 * it is freed): fault its pages in with one call, not one fault each
 * (10.5 us per fault against 2.3 us for a call of one page on a VM). */
BST_NOINLINE static void populate_fresh(void *p, size_t size)
{
	uintptr_t lo = (uintptr_t)p & ~(BST_PAGE - 1);
	uintptr_t hi = ((uintptr_t)p + size + BST_PAGE - 1) & ~(BST_PAGE - 1);
	bst_os_populate((void *)lo, hi - lo);
}

/* Hands out claimed chunk p: state to in use, the wipe of a freed chunk
 * checked (a never-used one must still have a zero tail), canary written.
 * *zeroed says whether the usable bytes are known to be zero. */
static inline void *hand_out(void *p, unsigned cls, unsigned kind, bool *zeroed)
{
	bst_zone_t *z = &bst_g.zones[((uintptr_t)p - bst_g.region) >> BST_ZONE_SHIFT];
	uint32_t i = bst_chunk_index(z, (uintptr_t)p - z->user);
	uint64_t *slot = canary_slot(z, p);
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
				if (bst_unlikely(!bst_words_are(p, z->size - BST_CANARY_SIZE, 0)))
					bad_wipe(z, p);
				*zeroed = true;
			}
		} else if (st == BST_STATE_NEVER) {
			if (z->size >= BST_PAGE)
				populate_fresh(p, z->size);
			if (bst_unlikely(bst_tail_load(slot) != 0))
				bst_fatal("canary-corrupted", "never-used chunk was overwritten", p,
				          z->size);
		}
		bst_tail_store(slot, bst_canary_kind(z, (uintptr_t)p, kind));
	}
	bst_state_claim(z, i, (uintptr_t)p, st);
	return p;
}

static inline void *small_alloc(unsigned cls, size_t n, size_t align, unsigned kind, bool *zeroed);

BST_NOINLINE static void *small_alloc_slow(unsigned cls, size_t n, size_t align, unsigned kind,
                                           bool *zeroed)
{
	*zeroed = false;
	if (!bst_ready() && !bst_ensure_init()) {
		void *b = bst_boot_alloc(n);
		if (!b)
			errno = ENOMEM;
		return b;
	}
	if (bst_tcache_refill(cls))
		return small_alloc(cls, n, align, kind, zeroed);
	if (bst_tc)
		return NULL; /* out of memory */
	void *p = bst_malloc_shared(cls);
	return p ? hand_out(p, cls, kind, zeroed) : NULL;
}

static void *sampled_alloc(size_t n, size_t align, unsigned cls, unsigned kind, bool *zeroed);

static inline void *small_alloc(unsigned cls, size_t n, size_t align, unsigned kind, bool *zeroed)
{
	bst_tcache_t *tc = bst_tc;
	if (bst_likely(tc != NULL)) {
		bst_bin_t *b = &tc->bins[cls];
		if (bst_likely(b->count != 0)) {
			if (bst_unlikely(--tc->sample_left == 0))
				return sampled_alloc(n, align, cls, kind, zeroed);
			void *p = b->slot[--b->count];
			/* The next chunk of this bin has usually sat in the
			 * quarantine long enough to leave the cache: start
			 * loading it now for its wipe check. (Prefetching its
			 * canary line as well measured no better.) */
			if (bst_likely(b->count != 0))
				__builtin_prefetch(b->slot[b->count - 1]);
			return hand_out(p, cls, kind, zeroed);
		}
	}
	return small_alloc_slow(cls, n, align, kind, zeroed);
}

/* A sampled allocation: its own page, ending right at a guard page, so an
 * overflow faults at once and, once freed, any access faults. */
BST_NOINLINE static void *sampled_alloc(size_t n, size_t align, unsigned cls, unsigned kind,
                                        bool *zeroed)
{
	bst_tcache_t *tc = bst_tc;
	tc->sample_left = bst_sample_countdown(&tc->rng);
	if (bst_g.opt.sample_rate && cls != 0 && n <= BST_PAGE && align <= BST_PAGE) {
		void *p = bst_large_alloc(n, align, kind, BST_LARGE_SAMPLED);
		if (p) {
			*zeroed = true;
			return p;
		}
	}
	bst_bin_t *b = &tc->bins[cls];
	return hand_out(b->slot[--b->count], cls, kind, zeroed);
}

/* The checks and the state change of a free, then the wipe and the
 * neighbour checks: everything but the quarantine. */
static inline void free_chunk(bst_zone_t *z, void *p, unsigned kind)
{
	uint32_t i = chunk_of(z, p);
	unsigned shift = (i & 31) * 2;
	unsigned st = bst_state_get(z, i);
	if (bst_unlikely(st != BST_STATE_USED))
		bad_state(z, p, st);
	if (bst_likely(z->cls != 0))
		check_canary(z, p, kind);
	/* The state change is the authority: one fetch_sub moves 10 to 01, and
	 * of two threads freeing one chunk only one sees 10. The other is
	 * reported, and the process ends before anyone sees what the wrong
	 * subtraction did to the word. */
	uint64_t old = atomic_fetch_sub_explicit(&z->state[i >> 5], (uint64_t)1 << shift,
	                                         memory_order_acq_rel);
	st = (unsigned)(old >> shift) & 3;
	if (bst_unlikely(st != BST_STATE_USED))
		bad_state(z, p, st);
	/* Wipe and re-tag after the state change: the locked instruction
	 * waits for every earlier store to land, and wiping a chunk that
	 * another thread wrote fetched each of its lines first (larson ran 13%
	 * slower with the wipe in front). Until the freed canary is written,
	 * checkers see a freed chunk with its live canary, which they take
	 * for a free under way and do not read further; the chunk reaches
	 * the quarantine, and through it other threads, only after this. */
	if (bst_likely(z->cls != 0)) {
		if (bst_g.opt.wipe)
			memset(p, 0, z->size - BST_CANARY_SIZE);
		bst_tail_store(canary_slot(z, p), bst_canary_kind(z, (uintptr_t)p, BST_KIND_FREED));
		if (bst_g.opt.neighbour_checks)
			bst_check_neighbours(z, i);
	}
}

static inline void free_small(bst_zone_t *z, void *p, unsigned kind)
{
	/* Private zone objects never enter the heap's quarantine or bins. */
	if (bst_unlikely(z->pzone != 0))
		private_object(z, p, "free() of an object of a private zone");
	free_chunk(z, p, kind);
	bst_tcache_t *tc = bst_tc;
	if (bst_likely(tc != NULL))
		bst_quarantine_push(tc, p, z->cls, z->size);
	else
		bst_free_slow(p, z->cls, z->size);
}

void *bst_chunk_hand_out(void *p, bool *zeroed)
{
	bst_zone_t *z = &bst_g.zones[((uintptr_t)p - bst_g.region) >> BST_ZONE_SHIFT];
	return hand_out(p, z->cls, BST_KIND_MALLOC, zeroed);
}

void bst_chunk_free(bst_zone_t *z, void *p)
{
	free_chunk(z, p, BST_KIND_MALLOC);
}

/* ---- large allocations and everything that is not a zone chunk ---- */

BST_NOINLINE static void *large_alloc(size_t n, size_t align, unsigned kind)
{
	if (!bst_ready() && !bst_ensure_init()) {
		void *b = align <= BST_MIN_ALIGN ? bst_boot_alloc(n) : NULL;
		if (!b)
			errno = ENOMEM;
		return b;
	}
	return bst_large_alloc(n, align, kind, 0);
}

BST_NOINLINE static void free_other(void *p, unsigned kind)
{
	if (bst_boot_owns(p))
		return; /* bootstrap blocks are never reused */
	if (bst_in_zone_region(p))
		bst_fatal("invalid-free",
		          "pointer into a destroyed private zone or an unused zone slot", p, 0);
	if (!bst_large_free(p, kind))
		bst_fatal("invalid-free", "pointer was not allocated by bastion", p, 0);
}

/* Usable size of any pointer bastion handed out; fatal for others. */
static size_t usable_of(void *p)
{
	bst_zone_t *z = bst_zone_of(p);
	if (z) {
		if (bst_unlikely(z->pzone != 0))
			private_object(z, p, "malloc_usable_size of an object of a private zone");
		uint32_t i = chunk_of(z, p);
		unsigned st = bst_state_get(z, i);
		if (st != BST_STATE_USED)
			bad_state(z, p, st);
		return bst_class_usable(z->cls);
	}
	if (bst_boot_owns(p))
		return bst_boot_usable(p);
	bst_large_info_t info;
	if (!bst_large_info(p, &info, true))
		bst_fatal("invalid-pointer", "pointer was not allocated by bastion", p, 0);
	return info.usable;
}

/* ---- shared by the C and C++ entry points ---- */

/* Allocates size bytes aligned to align (0 or a power of two) for kind. */
void *bst_alloc(size_t size, size_t align, unsigned kind, bool *zeroed)
{
	*zeroed = false;
	if (align <= BST_MIN_ALIGN) {
		if (bst_likely(size <= BST_MAX_SMALL_REQ))
			return small_alloc(bst_size_to_class(size), size, 0, kind, zeroed);
	} else if (size > BST_MAX_REQUEST) {
		errno = ENOMEM;
		return NULL;
	} else if (align <= BST_MAX_SMALL) {
		int c = bst_class_for_aligned(size, align);
		if (c >= 0)
			return small_alloc((unsigned)c, size, align, kind, zeroed);
	}
	void *p = large_alloc(size, align, kind);
	*zeroed = p != NULL && !bst_boot_owns(p);
	return p;
}

/* Releases ptr as kind. With sized, size (and align) must lead to the
 * block's chunk (free_sized, sized operator delete). */
void bst_dealloc(void *ptr, unsigned kind, bool sized, size_t align, size_t size)
{
	if (ptr == NULL)
		return;
	bst_zone_t *z = bst_zone_of(ptr);
	if (z) {
		if (sized) {
			int cls;
			if (size > BST_MAX_SMALL_REQ)
				cls = -1;
			else if (align <= BST_MIN_ALIGN)
				cls = (int)bst_size_to_class(size);
			else
				cls = bst_class_for_aligned(size, align);
			if (cls != (int)z->cls) {
				check_live(z, ptr, kind); /* a dead pointer is reported as such */
				bst_fatal("size-mismatch",
				          "sized free does not match the allocation", ptr, z->size);
			}
		}
		free_small(z, ptr, kind);
		return;
	}
	bst_large_info_t info;
	/* A freed block fails the lookup here and is reported by free_other
	 * as the double free it is. */
	if (sized && !bst_boot_owns(ptr) && bst_large_info(ptr, &info, false) &&
	    ((size + 15) & ~(size_t)15) != info.usable)
		bst_fatal("size-mismatch", "sized free does not match the allocation", ptr, 0);
	free_other(ptr, kind);
}

BST_EXPORT size_t bastion_verify(void)
{
	if (!bst_ready())
		return 0;
	return bst_zone_verify() + bst_private_verify() + bst_large_verify();
}

/* ---- the API ---- */

BST_EXPORT void *bastion_malloc(size_t size)
{
	bool zeroed;
	if (bst_likely(size <= BST_MAX_SMALL_REQ))
		return small_alloc(bst_size_to_class(size), size, 0, BST_KIND_MALLOC, &zeroed);
	return large_alloc(size, 0, BST_KIND_MALLOC);
}

BST_EXPORT void bastion_free(void *ptr)
{
	if (bst_unlikely(ptr == NULL))
		return;
	bst_zone_t *z = bst_zone_of(ptr);
	if (bst_likely(z != NULL))
		free_small(z, ptr, BST_KIND_MALLOC);
	else
		free_other(ptr, BST_KIND_MALLOC);
}

BST_EXPORT void *bastion_calloc(size_t count, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(count, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	bool zeroed;
	void *p = bst_alloc(total, 0, BST_KIND_MALLOC, &zeroed);
	/* Freed chunks come back verified zero, large ones fresh from mmap;
	 * never-used chunks are cleared here rather than trusted. */
	if (p && !zeroed && total)
		memset(p, 0, total);
	return p;
}

static void *aligned_impl(size_t align, size_t size)
{
	bool zeroed;
	return bst_alloc(size, align, BST_KIND_MALLOC, &zeroed);
}

BST_EXPORT void *bastion_realloc(void *ptr, size_t size)
{
	if (ptr == NULL)
		return bastion_malloc(size);
	if (size == 0) {
		bastion_free(ptr); /* glibc: realloc(p, 0) frees and returns NULL */
		return NULL;
	}
	bst_zone_t *z = bst_zone_of(ptr);
	size_t old;
	if (z) {
		check_live(z, ptr, BST_KIND_MALLOC);
		if (size <= BST_MAX_SMALL_REQ && bst_size_to_class(size) == z->cls)
			return ptr;
		old = bst_class_usable(z->cls);
	} else if (bst_boot_owns(ptr)) {
		old = bst_boot_usable(ptr);
	} else {
		bst_large_info_t info;
		if (!bst_large_info(ptr, &info, true))
			bst_fatal("invalid-free", "realloc of a pointer bastion did not allocate",
			          ptr, 0);
		old = info.usable;
		if (size > BST_MAX_SMALL_REQ && !(info.flags & BST_LARGE_SAMPLED)) {
			void *q = bst_large_realloc(ptr, size);
			if (q || size > BST_MAX_REQUEST)
				return q;
			/* mremap can fail where a fresh mapping works (the map count
			 * limit): fall back to copying, as glibc does. */
		}
	}
	void *q = bastion_malloc(size);
	if (q) {
		memcpy(q, ptr, old < size ? old : size);
		bastion_free(ptr);
	}
	return q;
}

BST_EXPORT void *bastion_reallocarray(void *ptr, size_t count, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(count, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return bastion_realloc(ptr, total);
}

static bool is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

BST_EXPORT int bastion_posix_memalign(void **out, size_t alignment, size_t size)
{
	if (!is_pow2(alignment) || alignment % sizeof(void *) != 0) {
		errno = EINVAL;
		return EINVAL;
	}
	void *p = aligned_impl(alignment, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

BST_EXPORT void *bastion_aligned_alloc(size_t alignment, size_t size)
{
	if (!is_pow2(alignment)) {
		errno = EINVAL;
		return NULL;
	}
	return aligned_impl(alignment, size);
}

BST_EXPORT void *bastion_memalign(size_t alignment, size_t size)
{
	/* glibc: a non-power-of-two alignment is rounded up. */
	if (alignment > BST_MAX_REQUEST + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (!is_pow2(alignment)) {
		size_t a = BST_MIN_ALIGN;
		while (a < alignment)
			a <<= 1;
		alignment = a;
	}
	return aligned_impl(alignment, size);
}

BST_EXPORT void *bastion_valloc(size_t size)
{
	return aligned_impl(BST_PAGE, size);
}

BST_EXPORT void *bastion_pvalloc(size_t size)
{
	size_t rounded = (size + BST_PAGE - 1) & ~(BST_PAGE - 1);
	if (rounded < size) {
		errno = ENOMEM;
		return NULL;
	}
	return aligned_impl(BST_PAGE, rounded ? rounded : BST_PAGE);
}

BST_EXPORT size_t bastion_malloc_usable_size(void *ptr)
{
	return ptr ? usable_of(ptr) : 0;
}

BST_EXPORT void bastion_free_sized(void *ptr, size_t size)
{
	bst_dealloc(ptr, BST_KIND_MALLOC, true, 0, size);
}

BST_EXPORT void bastion_free_aligned_sized(void *ptr, size_t alignment, size_t size)
{
	bst_dealloc(ptr, BST_KIND_MALLOC, true, alignment, size);
}

BST_EXPORT size_t bastion_chunk_size(size_t size)
{
	return size <= BST_MAX_SMALL_REQ ? bst_class_size[bst_size_to_class(size)] : 0;
}

#if BASTION_OVERRIDE_MALLOC
#define BST_ALIAS(name) __attribute__((alias("bastion_" #name), visibility("default")))
void *malloc(size_t) BST_ALIAS(malloc);
void free(void *) BST_ALIAS(free);
void *calloc(size_t, size_t) BST_ALIAS(calloc);
void *realloc(void *, size_t) BST_ALIAS(realloc);
void *reallocarray(void *, size_t, size_t) BST_ALIAS(reallocarray);
int posix_memalign(void **, size_t, size_t) BST_ALIAS(posix_memalign);
void *aligned_alloc(size_t, size_t) BST_ALIAS(aligned_alloc);
void *memalign(size_t, size_t) BST_ALIAS(memalign);
void *valloc(size_t) BST_ALIAS(valloc);
void *pvalloc(size_t) BST_ALIAS(pvalloc);
size_t malloc_usable_size(void *) BST_ALIAS(malloc_usable_size);
void free_sized(void *, size_t) BST_ALIAS(free_sized);
void free_aligned_sized(void *, size_t, size_t) BST_ALIAS(free_aligned_sized);
#endif
