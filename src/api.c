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
#include "chunk.h"
#include "internal.h"
#include "thread_cache.h"

#ifndef BASTION_OVERRIDE_MALLOC
#define BASTION_OVERRIDE_MALLOC 0
#endif

/* ---- checks (the chunk state machine and its reports: chunk.h) ---- */

/* A pointer into a private zone reached a heap function. */
BST_NORETURN BST_COLD static void private_object(const bst_zone_t *z, const void *p,
                                                 const char *what)
{
	bst_fatal(BST_E_ZONE_MISMATCH, what, p, z->size);
}

/* Checks that p is a live chunk of z allocated with kind (start of a
 * chunk, state in use, tail and slack intact) without changing anything;
 * returns the bytes it was allocated for. */
static size_t check_live(const bst_zone_t *z, const void *p, unsigned kind)
{
	if (bst_unlikely(z->pzone != 0))
		private_object(z, p, "heap function given an object of a private zone");
	uint32_t i = bst_chunk_of(z, p);
	unsigned st = bst_state_get(z, i);
	if (st != BST_STATE_USED)
		bst_chunk_bad_state(z, p, st);
	return bst_chunk_check_canary(z, p, kind);
}

/* ---- small allocations ---- */

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
	return p ? bst_chunk_hand_out_kind(p, n, cls, kind, zeroed) : NULL;
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
			return bst_chunk_hand_out_kind(p, n, cls, kind, zeroed);
		}
	}
	return small_alloc_slow(cls, n, align, kind, zeroed);
}

/* A sampled allocation: its own page, ending right at a guard page, so an
 * overflow faults at once and, once freed, any access faults. Requests
 * above a page, up to sample_max_bytes, get a guarded mapping of their
 * own (a large allocation) for the same effect. */
BST_NOINLINE static void *sampled_alloc(size_t n, size_t align, unsigned cls, unsigned kind,
                                        bool *zeroed)
{
	bst_tcache_t *tc = bst_tc;
	tc->sample_left = bst_sample_countdown(&tc->rng);
	if (bst_g.opt.sample_rate && cls != 0 && n <= bst_g.opt.sample_max_bytes) {
		bool page = n <= BST_PAGE && align <= BST_PAGE;
		int saved = errno;
		void *p = bst_large_alloc(n, align, kind,
		                          page ? BST_LARGE_SAMPLED : BST_LARGE_SAMPLE_SPAN);
		if (p) {
			*zeroed = bst_g.opt.alloc_fill == 0;
			return p;
		}
		errno = saved; /* the zone chunk below serves the request */
	}
	bst_bin_t *b = &tc->bins[cls];
	return bst_chunk_hand_out_kind(b->slot[--b->count], n, cls, kind, zeroed);
}

static inline void free_small(bst_zone_t *z, void *p, unsigned kind, size_t want)
{
	/* Private zone objects never enter the heap's quarantine or bins. */
	if (bst_unlikely(z->pzone != 0))
		private_object(z, p, "free() of an object of a private zone");
	bst_chunk_free_kind(z, p, kind, want);
	bst_tcache_t *tc = bst_tc;
	if (bst_likely(tc != NULL))
		bst_quarantine_push(tc, p, z->cls, z->size);
	else
		bst_free_slow(p, z->cls, z->size);
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
		bst_fatal(BST_E_INVALID_FREE,
		          "pointer into a destroyed private zone or an unused zone slot", p, 0);
	if (!bst_large_free(p, kind))
		bst_fatal(BST_E_INVALID_FREE, "pointer was not allocated by bastion", p, 0);
}

/* Usable size of any pointer bastion handed out; fatal for others. */
static size_t usable_of(void *p)
{
	bst_zone_t *z = bst_zone_of(p);
	if (z) {
		if (bst_unlikely(z->pzone != 0))
			private_object(z, p, "malloc_usable_size of an object of a private zone");
		/* The requested size, as its contract allows: a program that
		 * writes up to what it is told stays inside the checked bounds. */
		uintptr_t off = (uintptr_t)p - z->user;
		uint32_t i = bst_chunk_index(z, off);
		if ((uintptr_t)i * z->size != off || i >= z->nchunks)
			bst_fatal(BST_E_INVALID_POINTER, "malloc_usable_size of a chunk's interior",
			          p, z->size);
		unsigned st = bst_state_get(z, i);
		if (st == BST_STATE_FREED)
			bst_fatal(BST_E_USE_AFTER_FREE, "malloc_usable_size of a freed chunk", p,
			          z->size);
		if (st != BST_STATE_USED)
			bst_fatal(BST_E_INVALID_POINTER,
			          "malloc_usable_size of a chunk never handed out", p, z->size);
		return bst_chunk_requested(z, p);
	}
	if (bst_boot_owns(p))
		return bst_boot_usable(p);
	bst_large_info_t info;
	if (!bst_large_info(p, &info, "malloc_usable_size"))
		bst_fatal(BST_E_INVALID_POINTER, "pointer was not allocated by bastion", p, 0);
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
	*zeroed = p != NULL && !bst_boot_owns(p) && bst_g.opt.alloc_fill == 0;
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
			/* The class here (it checks the alignment too); the exact
			 * size in the free's own check of the chunk: bounds are
			 * byte-exact, so the chunk knows the size it was allocated
			 * for. */
			if (cls != (int)z->cls) {
				check_live(z, ptr, kind); /* a dead pointer is reported as such */
				bst_fatal(BST_E_SIZE_MISMATCH,
				          "sized free does not match the allocation", ptr, z->size);
			}
		}
		free_small(z, ptr, kind, sized ? size : SIZE_MAX);
		return;
	}
	bst_large_info_t info;
	/* A freed block fails the lookup here and is reported by free_other
	 * as the double free it is. */
	if (sized && !bst_boot_owns(ptr) && bst_large_info(ptr, &info, NULL) && size != info.usable)
		bst_fatal(BST_E_SIZE_MISMATCH, "sized free does not match the allocation", ptr, 0);
	free_other(ptr, kind);
}

BST_EXPORT size_t bastion_verify(void)
{
	if (!bst_ready())
		return 0;
	return bst_verify_all(true);
}

size_t bst_verify_all(bool never)
{
	return bst_zone_verify(never) + bst_private_verify(never) + bst_large_verify();
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
		free_small(z, ptr, BST_KIND_MALLOC, SIZE_MAX);
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
	/* Freed chunks come back verified zero (with the default free_fill),
	 * large ones fresh from mmap; never-used chunks are cleared here
	 * rather than trusted. A large block filled by alloc_fill is filled
	 * only in its first BST_FILL_MAX bytes: clearing the rest would fault
	 * in every page of it. */
	if (p && !zeroed && total) {
		size_t clear = total;
		if (bst_g.opt.alloc_fill != 0 && total > BST_FILL_MAX && !bst_zone_of(p) &&
		    !bst_boot_owns(p))
			clear = BST_FILL_MAX;
		memset(p, 0, clear);
	}
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
		old = check_live(z, ptr, BST_KIND_MALLOC);
		if (size <= BST_MAX_SMALL_REQ && bst_size_to_class(size) == z->cls) {
			bst_chunk_resize(z, ptr, old, size);
			return ptr;
		}
	} else if (bst_boot_owns(ptr)) {
		old = bst_boot_usable(ptr);
	} else {
		bst_large_info_t info;
		if (!bst_large_info(ptr, &info, "realloc"))
			bst_fatal(BST_E_INVALID_FREE,
			          "realloc of a pointer bastion did not allocate", ptr, 0);
		old = info.usable;
		if (size > BST_MAX_SMALL_REQ && !(info.flags & BST_LARGE_SAMPLED)) {
			void *q = bst_large_realloc(ptr, size);
			if (q && size > old && bst_g.opt.alloc_fill != 0)
				bst_wipe((char *)q + old, (int)bst_g.opt.alloc_fill,
				         size - old < BST_FILL_MAX ? size - old : BST_FILL_MAX);
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

/* ---- run-time control ---- */

BST_EXPORT size_t bastion_purge(void)
{
	return bst_ready() ? bst_zone_purge_all() : 0;
}

/* glibc's: 1 if memory was given back. pad (memory to keep at the top of
 * glibc's heap) has no meaning here. */
BST_EXPORT int bastion_malloc_trim(size_t pad)
{
	(void)pad;
	return bastion_purge() != 0;
}

/* glibc's parameters (<malloc.h>), by number so that this file needs no
 * glibc header. */
enum {
	GLIBC_M_MXFAST = 1,
	GLIBC_M_TRIM_THRESHOLD = -1,
	GLIBC_M_TOP_PAD = -2,
	GLIBC_M_MMAP_THRESHOLD = -3,
	GLIBC_M_MMAP_MAX = -4,
	GLIBC_M_CHECK_ACTION = -5,
	GLIBC_M_PERTURB = -6,
	GLIBC_M_ARENA_TEST = -7,
	GLIBC_M_ARENA_MAX = -8,
};

/* glibc's tuning parameters. Those that tune glibc's own structures
 * (fast bins, trimming, mmap threshold, arenas) and M_CHECK_ACTION (bastion
 * always reports and aborts) are accepted and change nothing: 1, as glibc
 * answers, so a program that checks the answer carries on. M_PERTURB would
 * change the fills of memory already handed out or wiped: use the options
 * alloc_fill and free_fill at start-up instead; 0. Unknown parameters: 0. */
BST_EXPORT int bastion_mallopt(int param, int value)
{
	switch (param) {
	case GLIBC_M_MXFAST:
		return value >= 0 && (size_t)value <= 80 * sizeof(size_t) / 4;
	case GLIBC_M_TRIM_THRESHOLD:
	case GLIBC_M_TOP_PAD:
	case GLIBC_M_MMAP_THRESHOLD:
	case GLIBC_M_MMAP_MAX:
	case GLIBC_M_CHECK_ACTION:
	case GLIBC_M_ARENA_TEST:
	case GLIBC_M_ARENA_MAX:
		return 1;
	case GLIBC_M_PERTURB:
	default:
		return 0;
	}
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
int malloc_trim(size_t) BST_ALIAS(malloc_trim);
int mallopt(int, int) BST_ALIAS(mallopt);
void free_sized(void *, size_t) BST_ALIAS(free_sized);
void free_aligned_sized(void *, size_t, size_t) BST_ALIAS(free_aligned_sized);
#endif
