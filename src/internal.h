/*
 * Internal contract of bastion: constants, types and the prototypes that
 * cross file boundaries, grouped under the file that owns them.
 *
 * Memory layout (all of it reserved once at start-up, PROT_NONE until used):
 *
 *   zone region   nzones slots of 4 MiB. A slot in use holds one zone: a user
 *                 area of 4 MiB minus one page, then a guard page. Unused
 *                 slots stay PROT_NONE. Zone index = (p - base) >> 22.
 *   zone records  one bst_zone_t per slot, in their own mapping.
 *   zone metadata one fixed-size slot per zone: the 2-bit state bitmap, a
 *                 guard page, the availability bitmap and its summary, a
 *                 guard page. Never adjacent to user data.
 *   large spans   one mapping each: guard page, data, guard page; records in
 *                 a hash table of their own mappings (large.c).
 */
#ifndef BST_INTERNAL_H
#define BST_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lock.h"

#define bst_likely(x)   __builtin_expect(!!(x), 1)
#define bst_unlikely(x) __builtin_expect(!!(x), 0)
#define BST_NOINLINE    __attribute__((noinline))
#define BST_COLD        __attribute__((cold))
#define BST_NORETURN    __attribute__((noreturn))
/* For bastion_verify's reads of chunk contents. They race by design with
 * threads handing the chunks out, so ThreadSanitizer does not instrument
 * them; and they read bastion's own mappings, which AddressSanitizer does
 * not track, so its checks would only cost (they made verify most of the
 * fuzzers' time). */
#define BST_RACY_READS  __attribute__((no_sanitize("thread", "address")))
#define BST_EXPORT      __attribute__((visibility("default")))

#define BST_PAGE        ((size_t)4096)
#define BST_ZONE_SHIFT  22
#define BST_ZONE_SIZE   ((size_t)1 << BST_ZONE_SHIFT)
#define BST_ZONE_USER   (BST_ZONE_SIZE - BST_PAGE)
#define BST_MIN_ALIGN   ((size_t)16)
#define BST_CANARY_SIZE ((size_t)8)

/* Size classes: class 0 is the zero-size class (inaccessible chunks handed
 * out by malloc(0)); classes 1..8 are 16..128 in steps of 16; above that
 * four classes per power of two up to 128 KiB. */
#define BST_NUM_CLASSES 49
#define BST_MAX_SMALL   ((size_t)131072)
/* The largest request served from a zone: the biggest chunk minus its
 * canary. */
#define BST_MAX_SMALL_REQ (BST_MAX_SMALL - BST_CANARY_SIZE)
#define BST_MAX_CHUNKS    ((uint32_t)(BST_ZONE_USER / 16))
#define BST_STATE_BYTES   ((size_t)65536) /* >= 2 bits per chunk */
#define BST_AVAIL_BYTES   ((size_t)32768) /* >= 1 bit per chunk */
#define BST_SUMMARY_BYTES BST_PAGE        /* 1 bit per avail word */
#define BST_META_SLOT     (BST_STATE_BYTES + BST_PAGE + BST_SUMMARY_BYTES + BST_AVAIL_BYTES + BST_PAGE)

/* Requests above PTRDIFF_MAX are refused, as glibc does. */
#define BST_MAX_REQUEST ((size_t)PTRDIFF_MAX)

_Static_assert(BST_MAX_CHUNKS * 2 / 8 <= BST_STATE_BYTES, "state bitmap slot too small");
_Static_assert(BST_MAX_CHUNKS / 8 <= BST_AVAIL_BYTES, "avail bitmap slot too small");
_Static_assert(BST_AVAIL_BYTES / 8 / 8 <= BST_SUMMARY_BYTES, "summary slot too small");

/* From the middle of the summary page on, two bitmaps of the user area's
 * pages (zone.c): "purged" (given back and not faulted in since) and
 * "tainted" (given back since the zone last emptied). */
#define BST_ZONE_PAGES    ((uint32_t)(BST_ZONE_USER / BST_PAGE))
#define BST_PAGEMAP_WORDS ((BST_ZONE_PAGES + 63) / 64)
#define BST_PAGEMAP_OFF   (BST_SUMMARY_BYTES / 2)
_Static_assert(BST_AVAIL_BYTES / 8 / 8 <= BST_PAGEMAP_OFF, "page bitmaps start after the summary");
/* After the summary words, one word with a bit per nonzero summary word,
 * so that a pick finds the next nonempty part of a nearly full zone in
 * one step (zone.c). */
#define BST_SUMMARY_WORDS (BST_AVAIL_BYTES / 8 / 64)
_Static_assert(BST_SUMMARY_WORDS <= 64, "one top word covers the summary");
_Static_assert((BST_SUMMARY_WORDS + 1) * 8 <= BST_PAGEMAP_OFF,
               "the top word precedes the page bitmaps");

/* The avail bitmap starts in the summary page's last quarter and runs on
 * into the pages after it, so a new zone's first window (at most 1024
 * chunks) has its summary, page bitmaps and avail words in one page: one
 * page less to fault in per zone, and every process has a zone per size
 * class it uses. */
#define BST_AVAIL_OFF (3 * BST_SUMMARY_BYTES / 4)
_Static_assert(BST_PAGEMAP_OFF + 2 * BST_PAGEMAP_WORDS * 8 <= BST_AVAIL_OFF,
               "the avail bitmap starts after the page bitmaps");
_Static_assert(1024 / 8 <= BST_SUMMARY_BYTES - BST_AVAIL_OFF,
               "a first window's avail words share the summary page");

/* Bytes committed from a zone's summary page on: summary, page bitmaps
 * and the avail bitmap of nchunks chunks. */
static inline size_t bst_summary_span(uint32_t nchunks)
{
	size_t n = BST_AVAIL_OFF + ((size_t)nchunks + 63) / 64 * 8;
	return (n + BST_PAGE - 1) & ~(size_t)(BST_PAGE - 1);
}

/* ---- size_class.c ---- */
extern const uint32_t bst_class_size[BST_NUM_CLASSES];

/* Class of a request of n bytes plus its canary; n <= BST_MAX_SMALL_REQ.
 * Class 0 for n == 0. */
static inline unsigned bst_size_to_class(size_t n)
{
	if (n == 0)
		return 0;
	size_t s = n + BST_CANARY_SIZE;
	if (s <= 128)
		return (unsigned)((s + 15) >> 4);
	unsigned lg = 63u - (unsigned)__builtin_clzll((unsigned long long)(s - 1));
	unsigned shift = lg - 2;
	return 9u + (lg - 7u) * 4u + (unsigned)((s - 1) >> shift) - 4u;
}

/* Usable bytes of a chunk of class cls. */
static inline size_t bst_class_usable(unsigned cls)
{
	return cls == 0 ? 0 : bst_class_size[cls] - BST_CANARY_SIZE;
}

/* Smallest class >= the class of n whose chunk size is a multiple of align
 * (a power of two <= BST_MAX_SMALL), or -1 if none. Chunks of such a class
 * are aligned to align because zone user areas are 4 MiB aligned. */
int bst_class_for_aligned(size_t n, size_t align);

/* ---- zone.c ---- */
typedef struct bst_zone {
	bst_lock_t lock; /* guards avail, summary, navail, frontier writes */
	_Atomic uint8_t active;
	uint8_t cls;
	uint16_t pzone;            /* private zone (index + 1) owning the slot; 0: the heap */
	uint32_t size;             /* chunk size in bytes */
	uint32_t nchunks;          /* chunks in the user area */
	_Atomic uint32_t navail;   /* chunks in the avail bitmap */
	_Atomic uint32_t frontier; /* chunks [0, frontier) have been exposed */
	uint32_t next;             /* next zone of the class, index + 1; 0 ends */
	_Atomic uint32_t owner;    /* id of the one thread cache refilling here */
	uint32_t ncanary;          /* canary chunks in the window (zone lock) */
	uint32_t empty_ms;         /* bst_os_now_ms() when it last emptied, or 0 */
	uint64_t magic;            /* (2^40 / size) + 1: division by multiply */
	uintptr_t user;            /* start of the user area */
	_Atomic uint64_t *state;   /* 2 bits per chunk, atomic updates */
	uint64_t *avail;           /* 1 bit per chunk free for refill */
	uint64_t *summary;         /* 1 bit per nonzero avail word */
	uint64_t canary_secret;
	/* Pages set in the summary page's "purged" bitmap, and whether any is
	 * set in its "tainted" one (zone lock; zone.c's note_purged). */
	uint16_t npurged;
	bool tainted;
	/* Chunks of four pages or more (chunk.c's big-chunk wipe): probes in
	 * a row that spared no page, how many wipes and checks go without a
	 * probe, and probes since the zone last emptied. Racy counters. */
	_Atomic uint8_t probe_misses;
	_Atomic uint16_t probe_rest;
	_Atomic uint32_t probes;
	uint32_t sweep_picks; /* chunks taken since the last idle sweep */
	/* Chunks released since the last sweep that purged without a budget
	 * (nonzero: a sweep may find something to give back). */
	uint32_t sweep_released;
	uint32_t sweep_ms; /* private zones: bst_os_now_ms() of their last sweep */
} __attribute__((aligned(128))) bst_zone_t;
_Static_assert(sizeof(bst_zone_t) == 128, "a zone record is two cache lines");

typedef struct bst_class_rec {
	bst_lock_t lock;       /* serialises zone creation for the class */
	_Atomic uint32_t head; /* first zone index + 1 */
	_Atomic uint32_t hint; /* zone index + 1 likely to have chunks */
	_Atomic uint32_t nzones;
	/* Zone index + 1 of the class's empty zone kept unpurged (zone.c's
	 * released), or 0. */
	_Atomic uint32_t warm;
} __attribute__((aligned(64))) bst_class_rec_t;

struct sigaction;

/* ---- options.c ---- */
struct bst_options {
#define BST_OPTION(name, type, def, min, max, looser, doc) unsigned long long name;
#include "options.def"
#undef BST_OPTION
};
void bst_options_defaults(struct bst_options *o);
/* Applies the program's options (baked: bastion_default_options, trusted)
 * and then the environment's (env: BASTION_OPTIONS), each
 * "name=value,...", over o; either may be NULL. Never allocates. With
 * secure (a privileged process: bst_g.secure), an environment value that
 * would weaken a protection (the looser column of options.def), or change
 * an option the program set, is refused with one BST_REFUSED_NOTICE line
 * naming the item, and the option is unchanged. Unknown options and bad
 * values are ignored, each with a line that says why (at most a few lines
 * in all); then each option whose value in force weakens a protection gets
 * one line. help (or help=1) in env prints the table and applies nothing.
 * Returns BST_OPTIONS_HELP for help, else BST_OPTIONS_BAD if an option was
 * unknown or a value bad, else 0. */
unsigned bst_options_load(struct bst_options *o, const char *baked, const char *env, bool secure);
#define BST_OPTIONS_HELP 1u
#define BST_OPTIONS_BAD  2u
/* bst_options_load with no options of the program's. */
unsigned bst_options_parse(struct bst_options *o, const char *s, bool secure);
#define BST_REFUSED_NOTICE "weakening refused in a privileged process (AT_SECURE):"
/* Whether value v of option idx (options.def order) weakens a protection
 * compared with its default: its looser expression. */
bool bst_option_looser(size_t idx, unsigned long long v);

/* Allocator state fixed at initialisation, then made read-only: it sits
 * alone in its page (bst_globals_page) and init.c mprotects that page. */
struct bst_globals {
	uintptr_t region; /* base of the zone region */
	size_t region_size;
	uint32_t nzones; /* slots in the region */
	bst_zone_t *zones;
	uintptr_t meta;           /* base of the zone metadata slots */
	uint64_t large_secret;    /* canary secret of large allocations */
	uint32_t owned_zones_max; /* zones per class before owners share */
	bool fast_bits;           /* popcnt and a fast pdep (zone.c picks) */
	uintptr_t pzones;         /* private zone records (private.c) */
	uint64_t pzone_secret;    /* keys the private zone handles' magic */
	bool secure;              /* privileged process: the environment is hostile */
	struct bst_options opt;
	struct { /* glibc's functions behind libbastion.so's own (copy.c) */
		void *(*memcpy)(void *, const void *, size_t);
		void *(*memmove)(void *, const void *, size_t);
		void *(*memset)(void *, int, size_t);
		int (*sigaction)(int, const struct sigaction *, struct sigaction *);
		void (*(*signal)(int, void (*)(int)))(int);
	} libc;
};
union bst_globals_page {
	struct bst_globals g;
	char page[4096];
};
_Static_assert(sizeof(struct bst_globals) <= 4096, "globals fit one page");
extern union bst_globals_page bst_globals_page;
#define bst_g (bst_globals_page.g)
extern bst_class_rec_t bst_classes[BST_NUM_CLASSES];

/* Zone holding p, or NULL if p is outside every zone. O(1). */
static inline bst_zone_t *bst_zone_of(const void *p)
{
	uintptr_t off = (uintptr_t)p - bst_g.region;
	if (bst_unlikely(off >= bst_g.region_size))
		return NULL;
	bst_zone_t *z = &bst_g.zones[off >> BST_ZONE_SHIFT];
	if (bst_unlikely(!atomic_load_explicit(&z->active, memory_order_acquire)))
		return NULL;
	return z;
}

/* Index of the chunk at byte offset off of the user area (exact for any
 * off < 2^22 and chunk size <= 2^16; see tests/test_unit.c). */
static inline uint32_t bst_chunk_index(const bst_zone_t *z, uintptr_t off)
{
	return (uint32_t)((off * z->magic) >> 40);
}

typedef struct bst_rng bst_rng_t;

int bst_zone_init(void);
/* Fills out[0..want) with chunks of class cls (random picks) from the zone
 * *mine (index + 1) that the caller, thread cache `owner`, owns; when it is
 * full, adopts an unowned zone with room or creates one. Returns the number
 * taken: 0 only when memory is exhausted. The chunks are no longer
 * available to other threads but keep their bitmap state until handed out. */
uint32_t bst_zone_refill(unsigned cls, void **out, uint32_t want, uint32_t *mine, uint32_t owner,
                         bst_rng_t *rng);
/* Gives up ownership of zone (index + 1; 0 is ignored) if owner owns it. */
void bst_zone_disown(uint32_t zone, uint32_t owner);
/* Makes chunks available again (after quarantine, or unused cache
 * entries). ptrs may mix zones. */
void bst_zone_release(void *const *ptrs, uint32_t n);
/* Lock or reinitialise every zone and class lock (fork handlers). */
void bst_zone_lock_all(void);
void bst_zone_unlock_all(void);
void bst_zone_reset_locks(void);
/* Walks every zone and checks every chunk it can (canaries, wipes, canary
 * chunks); returns problems found. */
size_t bst_zone_verify(bool never);
/* Gives back every page the heap's zones can spare now: emptied zones whole
 * (they become inaccessible, as after any purge), and in the others every
 * run of whole pages of available chunks holding freed ones. Quarantined
 * chunks stay where they are. Returns the resident bytes given back
 * (bastion_purge, malloc_trim). */
size_t bst_zone_purge_all(void);
/* bastion_verify's walk; without never, never-used chunks are skipped
 * (verify_at_exit). */
size_t bst_verify_all(bool never);
/* ---- zone.c, for private zones (private.c) ----
 * A private zone's slots are never on a class list and never adopted (their
 * owner is BST_OWNER_PRIVATE), so only private.c takes chunks from them. */
#define BST_OWNER_PRIVATE UINT32_MAX
/* A fresh zone of class cls for private zone pzone (index + 1), linked to
 * nothing: the caller keeps its own list through z->next. NULL when the
 * region or memory is exhausted. */
bst_zone_t *bst_zone_create_private(unsigned cls, uint16_t pzone, bst_rng_t *rng);
/* Random picks from z as a refill does (z->lock taken inside). */
uint32_t bst_zone_take(bst_zone_t *z, void **out, uint32_t want, bst_rng_t *rng);
bool bst_zone_has_room(bst_zone_t *z);
/* Retires private zone slot z: lookups no longer find it, its memory and
 * metadata become inaccessible, and its address range is reused only once
 * no never-used slot is left. */
void bst_zone_retire(bst_zone_t *z);
/* True if p lies in the zone region (in use or not). */
static inline bool bst_in_zone_region(const void *p)
{
	return (uintptr_t)p - bst_g.region < bst_g.region_size;
}

/* Bytes at the start of a zone's user area that are accessible when its
 * window holds frontier chunks of size bytes: whole pages; the rest of
 * the 4 MiB is inaccessible until the window grows into it. */
static inline size_t bst_zone_committed_bytes(uint32_t size, uint32_t frontier)
{
	return ((size_t)frontier * size + BST_PAGE - 1) & ~(BST_PAGE - 1);
}

/* ---- shared checks (zone chunks: chunk.h; large blocks: large.c) ---- */
/* True if every 8-byte word of [p, p + n) is v. An OR-reduction with a
 * single test at the end, over four independent accumulators so the loads
 * are not chained through one register: it runs on every reuse of a freed
 * chunk (the wipe check) and in bastion_verify. */
__attribute__((always_inline)) static inline bool bst_words_are(const void *p, size_t n, uint64_t v)
{
	const uint64_t *w = p;
	size_t words = n / 8, k = 0;
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
	for (; k + 4 <= words; k += 4) {
		a0 |= w[k] ^ v;
		a1 |= w[k + 1] ^ v;
		a2 |= w[k + 2] ^ v;
		a3 |= w[k + 3] ^ v;
	}
	for (; k < words; k++)
		a0 |= w[k] ^ v;
	return (a0 | a1 | a2 | a3) == 0;
}

static inline uint64_t bst_canary_mix(uint64_t secret, uintptr_t p)
{
	uint64_t c = secret ^ (p * 0x9e3779b97f4a7c15ull);
	c &= ~(0xffull << 8); /* a zero byte stops string overflows ... */
	c |= 0x80;            /* ... but never as the first byte */
	return c;
}

/* Slack patterns (byte-exact bounds): the bytes of [lo, hi) around a
 * block's requested bytes hold v's bytes by address (the byte at address a
 * is byte a % 8 of v), so whole words read as v. The partial words at the
 * ends are merged with the block's own bytes, which are kept. v has no
 * zero byte, so a lone NUL shows. */
static inline uint64_t bst_pattern_mask(uintptr_t lo, uintptr_t hi, uintptr_t w)
{
	uint64_t m = ~0ull;
	if (lo > w)
		m &= ~0ull << 8 * (lo - w);
	if (hi < w + 8)
		m &= ~0ull >> 8 * (w + 8 - hi);
	return m;
}

static inline void bst_pattern_fill(uintptr_t lo, uintptr_t hi, uint64_t v)
{
	if (lo >= hi)
		return;
	for (uintptr_t w = lo & ~(uintptr_t)7; w < hi; w += 8) {
		uint64_t m = w < lo || w + 8 > hi ? bst_pattern_mask(lo, hi, w) : ~0ull, x;
		if (m == ~0ull) {
			__builtin_memcpy((void *)w, &v, 8);
			continue;
		}
		__builtin_memcpy(&x, (const void *)w, 8);
		x = (x & ~m) | (v & m);
		__builtin_memcpy((void *)w, &x, 8);
	}
}

/* Always inlined: bastion_verify reads the partial words of live blocks
 * while their owners write their own bytes there (BST_RACY_READS applies
 * to its caller's body). */
__attribute__((always_inline)) static inline bool bst_pattern_ok(uintptr_t lo, uintptr_t hi,
                                                                 uint64_t v)
{
	uint64_t diff = 0, x;
	if (lo >= hi)
		return true;
	for (uintptr_t w = lo & ~(uintptr_t)7; w < hi; w += 8) {
		__builtin_memcpy(&x, (const void *)w, 8);
		diff |= (x ^ v) & (w < lo || w + 8 > hi ? bst_pattern_mask(lo, hi, w) : ~0ull);
	}
	return diff == 0;
}

/* Allocation kinds are folded into the canary, so a block freed by the
 * wrong family (free of new, delete of malloc) is told apart from an
 * overflow. Freed chunks (once wiped) and canary chunks carry kinds of
 * their own; the first three are the live kinds. */
enum {
	BST_KIND_MALLOC = 0,
	BST_KIND_NEW = 1,
	BST_KIND_NEW_ARRAY = 2,
	BST_KIND_CANARY_CHUNK = 3,
	BST_KIND_FREED = 4,
};
/* ---- random.c ---- */
struct bst_rng {
	uint32_t pos; /* next unread byte of buf */
	uint64_t nonce;
	unsigned char key[32];
	unsigned char buf[1024];
};
void bst_rng_seed(bst_rng_t *r);
void bst_rng_refill(bst_rng_t *r);
static inline uint32_t bst_rng_u32(bst_rng_t *r)
{
	if (bst_unlikely(r->pos > sizeof(r->buf) - 4))
		bst_rng_refill(r);
	uint32_t v;
	__builtin_memcpy(&v, r->buf + r->pos, 4);
	r->pos += 4;
	return v;
}
static inline uint64_t bst_rng_u64(bst_rng_t *r)
{
	return (uint64_t)bst_rng_u32(r) << 32 | bst_rng_u32(r);
}
/* Uniform-enough value in [0, n) for n < 2^32 (multiply-shift: the bias is
 * below n / 2^32). */
static inline uint32_t bst_rng_below(bst_rng_t *r, uint32_t n)
{
	return (uint32_t)(((uint64_t)bst_rng_u32(r) * n) >> 32);
}
/* Starts libsodium (sodium_start.c): false if it cannot run here. */
bool bst_sodium_start(void);
/* Initialises libsodium and keys the seeder that bst_rng_seed draws from. */
void bst_random_init(void);
/* Keys the seeder afresh from getrandom (and resets its lock): in a fork
 * child, before any generator is reseeded, so parent and child differ. */
void bst_random_reseed(void);
/* Bytes straight from getrandom, for code without a generator. */
void bst_random_bytes(void *buf, size_t n);

/* ---- large.c ---- */
/* Flags of a large allocation. */
enum {
	BST_LARGE_SAMPLED = 1, /* a sampled small block, right against its guard page */
	/* A sampled block above a page: a guarded span of its own, of which
	 * only so many may exist at once (large.c). */
	BST_LARGE_SAMPLE_SPAN = 2,
};
typedef struct {
	size_t usable;
	unsigned kind;
	unsigned flags;
} bst_large_info_t;
/* Reserves the sampled-allocation region (when sampling is on). */
void bst_large_init(void);
/* A large allocation of size bytes aligned to align (0 or a power of two),
 * or NULL with errno ENOMEM. */
void *bst_large_alloc(size_t size, size_t align, unsigned kind, unsigned flags);
/* Frees p and returns true if p is a live large allocation (its canary is
 * checked against kind); false (nothing done) if p is unknown. A freed
 * allocation still in the quarantine is a double free (fatal). */
bool bst_large_free(void *p, unsigned kind);
/* True, with *info filled in, if p is a live large allocation. A freed one
 * still in the quarantine is reported when freed_use names the call
 * ("realloc": a double free; anything else: a use after free), else it
 * is simply not live. */
bool bst_large_info(const void *p, bst_large_info_t *info, const char *freed_use);
/* What a faulting address in a large or sampled block's mapping (guard
 * pages included) is, for the fault handler: the block, its size, whether
 * freed, and where the address lies against it. Takes no lock it cannot
 * get at once. False if the address is in no such mapping. */
typedef struct {
	uintptr_t block;
	size_t usable;
	bool freed, sampled;
} bst_large_fault_t;
bool bst_large_describe(uintptr_t a, bst_large_fault_t *out);
/* Resizes live large allocation p in place or by moving its pages; returns
 * the new address or NULL with errno set (p untouched). */
void *bst_large_realloc(void *p, size_t size);
/* Checks every live large allocation's canary; returns problems found. */
size_t bst_large_verify(void);
void bst_large_lock_all(void);
void bst_large_unlock_all(void);
void bst_large_reset_locks(void);
/* Statistics (stats.c; the struct is in bastion.h): adds the live large
 * and sampled allocations and the quarantine's count to out, one shard
 * lock at a time. */
struct bastion_stats;
void bst_large_stats(struct bastion_stats *out);

/* ---- thread_cache.c ---- */
/* The calling thread's generator, or NULL if it has no cache. */
bst_rng_t *bst_thread_rng(void);
/* Makes the calling thread's bin of class cls non-empty, creating the
 * thread's cache first if needed. False if the thread has no cache (it is
 * exiting) or memory is exhausted (errno ENOMEM). */
bool bst_tcache_refill(unsigned cls);
/* A claimed chunk of class cls from the shared cache (threads without a
 * cache), or NULL with errno ENOMEM. The caller hands it out. */
void *bst_malloc_shared(unsigned cls);
/* Allocations until the next sampled one (UINT32_MAX when sampling is
 * off). */
uint32_t bst_sample_countdown(bst_rng_t *rng);
/* A free from a thread without a cache: makes one, or uses the shared
 * quarantine when the thread is exiting. */
void bst_free_slow(void *p, unsigned cls, size_t bytes);
void bst_tcache_init(void);
void bst_tcache_atfork_prepare(void);
void bst_tcache_atfork_parent(void);
void bst_tcache_atfork_child(void);
/* Statistics: adds to out's classes the chunks in every thread cache's bins
 * (cached) and in the rings, drain buffers and shared FIFOs (quarantined).
 * One lock at a time; other threads' caches are read racily. */
void bst_tcache_stats(struct bastion_stats *out);

/* ---- os.c ---- */
enum { BST_ACCESS_NONE, BST_ACCESS_READ, BST_ACCESS_RW };
void *bst_os_reserve(size_t size, size_t align, uintptr_t hint, bool account);
bool bst_os_reserve_at(void *p, size_t size);
bool bst_os_protect(void *p, size_t size, unsigned access);
bool bst_os_move(void *from, size_t size, void *to, size_t new_size);
void bst_os_nodump(void *p, size_t size);
bool bst_os_commit(void *p, size_t size);
void bst_os_decommit(void *p, size_t size);
bool bst_os_purge(void *p, size_t size);
void bst_os_release(void *p, size_t size);
void bst_os_hugepages(void *p, size_t size);
void bst_os_populate(void *p, size_t size);
void *bst_os_map_guarded(size_t size);
void bst_os_unmap_guarded(void *p, size_t size);
void bst_os_name(void *p, size_t size, const char *name);
/* Bytes of mapped range [p, p + size) (page aligned) resident in memory
 * (mincore); pages it cannot tell about count as not resident. */
size_t bst_os_resident(const void *p, size_t size);
/* Sets bit k of map (one bit per page of the pages starting at page-aligned
 * p) if page k is resident or swapped out: it may hold data; the others
 * read as zero. False if /proc/self/pagemap cannot be read (no /proc, a
 * non-dumpable process, a sandbox): then nothing is known. */
bool bst_os_pages_in_use(const void *p, size_t pages, uint64_t *map);
/* A coarse monotonic clock in milliseconds (vDSO, no system call), for
 * rate limits; wraps after 49 days, so compare differences. */
uint32_t bst_os_now_ms(void);

/* ---- api.c ---- */
/* Allocates size bytes aligned to align (0 or a power of two) for kind;
 * *zeroed tells whether the block is known to read as zero. */
void *bst_alloc(size_t size, size_t align, unsigned kind, bool *zeroed);
/* Releases ptr as kind; with sized, size (and align) must match the block. */
void bst_dealloc(void *ptr, unsigned kind, bool sized, size_t align, size_t size);
/* ---- chunk.c (the state machine and checks: chunk.h) ---- */
/* For private zones: hands out claimed chunk p (checks, canary, state) and
 * frees live chunk p of z (checks, state, wipe, neighbours) exactly as
 * malloc and free do, minus the thread cache and its quarantine. */
void *bst_chunk_hand_out(void *p, size_t n, bool *zeroed);
void bst_chunk_free(bst_zone_t *z, void *p);
/* bst_zone_verify for one zone (private zones call it too): every chunk
 * it can check, live or not (never-used ones only with never: reading
 * them faults in pages nothing else touched); returns problems found. */
size_t bst_zone_verify_one(bst_zone_t *z, bool never);
/* Whether chunk i of z lies on a page given back since the zone last
 * emptied (its zone lock held): if it is "never used" now, it may be a
 * freed chunk whose pages went back. */
bool bst_zone_chunk_tainted(const bst_zone_t *z, uint32_t i);

/* ---- private.c ---- */
/* Reserves the table of private zone records (address space only). */
void bst_private_init(void);
/* bastion_verify over every unprotected private zone. */
size_t bst_private_verify(bool never);
/* Fork: every private zone lock, then the locks of their zones. */
void bst_private_lock_all(void);
void bst_private_unlock_all(void);
void bst_private_reset_locks(void);
/* Statistics: fills out->private_zones (each zone's lock taken alone;
 * bst_stats_zone counts a slot). */
void bst_private_stats(struct bastion_stats *out);

/* ---- stats.c ---- */
/* Registers the stats_at_exit report; init, once the heap works. */
void bst_stats_init(void);
/* Adds zone z's zones (1), exposed, in-use, free and canary chunks, bytes
 * in use, mapped and resident to c. Lock-free: the states are atomics, so
 * a zone that changes meanwhile gives a moment's view. */
struct bastion_stats_class;
void bst_stats_zone(const bst_zone_t *z, struct bastion_stats_class *c);

/* The kind words of report lines, one per bug (errors.def). */
enum bst_error {
#define BST_ERROR(id, name, meaning, look) BST_E_##id,
#include "errors.def"
#undef BST_ERROR
};
extern const char *const bst_error_names[];

/* ---- report.c ---- */
void bst_fatal(enum bst_error kind, const char *detail, const void *ptr,
               size_t size_class) BST_NORETURN BST_COLD;
/* Appends s (or v in decimal) to buf at pos, never past cap; returns the
 * new position. For lines built without stdio. */
/* Option alloc_fill fills at most this much of a new large block: every
 * page of a huge one would fault in what the program may never touch
 * (AddressSanitizer fills the first 4 KiB). */
#define BST_FILL_MAX ((size_t)1 << 20)

/* The 8-byte word of byte c repeated: what a freed chunk's body holds
 * after the wipe (option free_fill, zero by default). */
static inline uint64_t bst_fill_word(unsigned c)
{
	return (uint64_t)(c & 0xff) * 0x0101010101010101ull;
}
/* copy.c (libbastion.so only; weak stand-ins elsewhere): looks up glibc's
 * copy functions, and wipes freed memory without the checks. */
void bst_copy_init(void);
void bst_wipe(void *p, int c, size_t n);
/* Prints the one report line without ending the process (the fault
 * handler re-raises the fault itself). Async-signal-safe. */
void bst_report(enum bst_error kind, const char *detail, const void *ptr, size_t size_class);
/* Set by bst_fatal before it aborts: the process is ending on a report
 * (perhaps with a zone lock held), and the exit check must not run. */
extern _Atomic bool bst_dying;
/* Loads what the backtrace option needs, while the heap is sound. */
void bst_backtrace_init(void);
/* fault.c: the SIGSEGV/SIGBUS handler that names bastion's faults. */
void bst_fault_init(void);
/* For signals.c's sigaction: while bastion's handler is installed, a
 * change of SIGSEGV's or SIGBUS's handler is recorded as the program's
 * (called after bastion's line) and *old gets the program's previous one.
 * False for other signals, or when bastion's handler is not installed. */
bool bst_fault_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
/* In a fork child: frees the lock of the program's handlers. */
void bst_fault_atfork_child(void);
size_t bst_append(char *buf, size_t pos, size_t cap, const char *s);
size_t bst_append_dec(char *buf, size_t pos, size_t cap, size_t v);
/* One non-fatal line: "bastion: <kind>: <msg> <detail>". */
void bst_warn(const char *kind, const char *msg, const char *detail) BST_COLD;
/* A detected problem: fatal, unless recoverable and verify_abort is 0, in
 * which case it is reported and counted. Returns 1. */
size_t bst_problem(bool recoverable, enum bst_error kind, const char *detail, const void *ptr,
                   size_t size_class);

/* ---- init.c ---- */
extern _Atomic int bst_init_state; /* 0 none, 1 running, 2 ready */
/* Makes sure the allocator is initialised. Returns false only for a call
 * made by the initialising thread itself while initialisation runs (a
 * recursive call from libc or libsodium); such callers use the bootstrap
 * arena. */
bool bst_ensure_init(void);
static inline bool bst_ready(void)
{
	return bst_likely(atomic_load_explicit(&bst_init_state, memory_order_acquire) == 2);
}
void *bst_boot_alloc(size_t size);
bool bst_boot_owns(const void *p);
size_t bst_boot_usable(const void *p);

/* How a caller uses an environment variable it reads (bst_getenv). */
enum bst_env_use {
	/* Settings the caller applies only where they tighten bastion in a
	 * privileged process (BASTION_OPTIONS: options.c refuses the rest). */
	BST_ENV_TIGHTEN_ONLY,
	/* Anything that could loosen bastion or direct its output: a file to
	 * write, a program to run. Unset in a privileged process: the
	 * semantics of glibc's secure_getenv. */
	BST_ENV_TRUSTED,
};
/* The one place bastion reads the environment (the env_access test keeps
 * it so): getenv, filtered by use in a privileged process. Valid once
 * bst_g.secure is decided. */
const char *bst_getenv(const char *name, enum bst_env_use use);

#endif /* BST_INTERNAL_H */
