/*
 * Zones: 4 MiB slots of one size class each, at random places in one
 * reserved region, with all their metadata out of line.
 *
 * A chunk is in exactly one of these places:
 *   available  its bit is set in the zone's avail bitmap (zone lock);
 *   claimed    in a thread cache, live, or in a quarantine: not in avail.
 * The 2-bit state bitmap is separate and says what the program may do with
 * the chunk (live or not); it changes with atomic CAS only, at hand-out and
 * at free. So a chunk can never be handed to two threads: refill removes it
 * from avail under the lock, and only release puts it back.
 *
 * A zone is owned by at most one thread cache at a time, and only its owner
 * refills from it, so threads do not fight over the same state-bitmap cache
 * lines. A full zone is disowned; any thread that later finds it with room
 * (frees put chunks back) adopts it.
 *
 * Each zone exposes its chunks progressively: chunks [0, frontier) take
 * part in random picks, and the frontier grows by at least 64 chunks or
 * 64 KiB when the available set runs low. Picks stay random over a window
 * wide enough that neighbours are unpredictable, while a small heap touches
 * few pages. An empty zone gives its pages back (madvise) and shrinks its
 * window again.
 */
#include <string.h>
#include <unistd.h>

#include "chunk.h"
#include "internal.h"

bst_class_rec_t bst_classes[BST_NUM_CLASSES];
static bst_lock_t region_lock;

/* Zones whose window grows beyond this are purged when they empty. Smaller
 * ones stay warm, so a program that repeatedly allocates and frees a few
 * chunks does not make a system call each time. */
#define PURGE_MIN_BYTES ((size_t)256 * 1024)

/* Window steps after the first, up to this size, are faulted in when they
 * are exposed (first steps up to FIRST_STEP_BYTES). */
#define POPULATE_STEP_MAX ((size_t)64 * 1024)

/* A zone's first window step exposes this many bytes, later steps 64 KiB,
 * and every step at least 64 chunks so that picks stay unpredictable. The
 * first is small because a program that uses a few chunks of a class would
 * still have every page of the step touched soon by canary chunks and
 * random picks: `sleep`'s zones held 756 KiB resident for 14 KiB of
 * blocks with 64 KiB, 472 KiB with 16 KiB. */
#define FIRST_STEP_BYTES ((size_t)16 * 1024)

static uint32_t window_step(const bst_zone_t *z, uint32_t frontier)
{
	size_t bytes = frontier == 0 ? FIRST_STEP_BYTES : (size_t)65536;
	uint32_t step = (uint32_t)(bytes / z->size);
	return step < 64 ? 64 : step;
}

static bool cpu_has_fast_bits(void);

static size_t page_round(size_t n)
{
	return (n + BST_PAGE - 1) & ~(BST_PAGE - 1);
}

int bst_zone_init(void)
{
	static const uint32_t tries[] = {16384, 4096, 1024, 256, 64, 16};
	for (size_t t = 0; t < sizeof(tries) / sizeof(tries[0]); t++) {
		uint32_t n = tries[t];
		size_t region_size = (size_t)n * BST_ZONE_SIZE;
		uint64_t r;
		bst_random_bytes(&r, sizeof(r));
		/* A random 4 MiB-aligned hint between 1 TiB and 64 TiB. */
		uintptr_t hint = ((uintptr_t)1 << 40) + ((r % (63u << 18)) << BST_ZONE_SHIFT);
		void *region = bst_os_reserve(region_size, BST_ZONE_SIZE, hint, false);
		if (!region)
			continue;
		size_t rec_bytes = page_round((size_t)n * sizeof(bst_zone_t));
		char *rec = bst_os_reserve(rec_bytes + 2 * BST_PAGE, BST_PAGE, 0, false);
		char *meta =
		    bst_os_reserve((size_t)n * BST_META_SLOT + BST_PAGE, BST_PAGE, 0, false);
		if (!rec || !meta || !bst_os_commit(rec + BST_PAGE, rec_bytes)) {
			bst_os_release(region, region_size);
			if (rec)
				bst_os_release(rec, rec_bytes + 2 * BST_PAGE);
			if (meta)
				bst_os_release(meta, (size_t)n * BST_META_SLOT + BST_PAGE);
			continue;
		}
		bst_os_name(rec + BST_PAGE, rec_bytes, "bastion zone records");
		bst_g.region = (uintptr_t)region;
		bst_g.region_size = region_size;
		bst_g.nzones = n;
		bst_g.zones = (bst_zone_t *)(rec + BST_PAGE);
		bst_g.meta = (uintptr_t)meta + BST_PAGE;
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		bst_g.owned_zones_max = (uint32_t)(4 * (cpus > 0 && cpus < 1024 ? cpus : 8));
		bst_g.fast_bits = cpu_has_fast_bits();
		return 0;
	}
	return -1;
}

/* The summary's top word: bit s set when summary word s is nonzero (its
 * 64 avail words hold an available chunk). Zone lock held for writes. */
static uint64_t *sum_top(const bst_zone_t *z)
{
	return &z->summary[BST_SUMMARY_WORDS];
}

/* Marks avail word w nonempty in the summary and its top word. */
static void summary_set(bst_zone_t *z, uint32_t w)
{
	z->summary[w >> 6] |= 1ull << (w & 63);
	*sum_top(z) |= 1ull << (w >> 6);
}

/* Marks avail word w, now zero, empty in the summary and its top word. */
static void summary_clear(bst_zone_t *z, uint32_t w)
{
	z->summary[w >> 6] &= ~(1ull << (w & 63));
	if (!z->summary[w >> 6])
		*sum_top(z) &= ~(1ull << (w >> 6));
}

/* Sets avail bits [lo, hi) and their summary bits. Zone lock held. */
static void avail_set_range(bst_zone_t *z, uint32_t lo, uint32_t hi)
{
	while (lo < hi) {
		uint32_t w = lo >> 6, b = lo & 63;
		uint32_t n = hi - lo < 64 - b ? hi - lo : 64 - b;
		uint64_t mask = (n == 64 ? ~0ull : ((1ull << n) - 1)) << b;
		z->avail[w] |= mask;
		summary_set(z, w);
		lo += n;
	}
}

/* Turns available chunk i into a canary chunk: out of the avail set, then
 * filled and marked (bst_chunk_make_canary). Zone lock held. */
static void make_canary_chunk(bst_zone_t *z, uint32_t i)
{
	uint64_t bit = 1ull << (i & 63);
	if (!(z->avail[i >> 6] & bit))
		return; /* picked twice */
	z->avail[i >> 6] &= ~bit;
	z->ncanary++;
	if (!z->avail[i >> 6])
		summary_clear(z, i >> 6);
	atomic_store_explicit(&z->navail,
	                      atomic_load_explicit(&z->navail, memory_order_relaxed) - 1,
	                      memory_order_relaxed);
	bst_chunk_make_canary(z, i);
}

/* Exposes the next step of chunks to random picks, scattering canary
 * chunks (one in opt.canary_chunks, at least one per step) among them. */
static void extend_window(bst_zone_t *z, bst_rng_t *rng)
{
	uint32_t old = atomic_load_explicit(&z->frontier, memory_order_relaxed);
	uint32_t nf = old + window_step(z, old);
	if (nf > z->nchunks)
		nf = z->nchunks;
	/* Only the window is accessible: its new pages become so now, before
	 * any chunk of the step can be picked. If that fails (out of
	 * memory), the window stays as it is. */
	size_t done = bst_zone_committed_bytes(z->size, old);
	size_t need = bst_zone_committed_bytes(z->size, nf);
	if (z->cls != 0 && need > done && !bst_os_commit((void *)(z->user + done), need - done))
		return;
	/* Random picks spread over the whole window, so every page of a step
	 * of small chunks is touched soon: fault them in with one call. One
	 * fault per page cost 10.5 us on a VM against 0.8 us per page
	 * populated (2.3 us for a call of one page). A first step wider than
	 * FIRST_STEP_BYTES (64 chunks of 320 B or more), and later steps of
	 * bigger chunks (up to 4 MiB), are left to fault: a program may use a
	 * few chunks of a class, or only a part of each. */
	size_t bytes = (size_t)(nf - old) * z->size;
	if (z->cls != 0 && bytes <= (old == 0 ? FIRST_STEP_BYTES : POPULATE_STEP_MAX)) {
		uintptr_t lo = (z->user + (uintptr_t)old * z->size) & ~(BST_PAGE - 1);
		uintptr_t hi = z->user + page_round((size_t)nf * z->size);
		bst_os_populate((void *)lo, hi - lo);
	}
	avail_set_range(z, old, nf);
	atomic_store_explicit(&z->frontier, nf, memory_order_relaxed);
	atomic_store_explicit(&z->navail,
	                      atomic_load_explicit(&z->navail, memory_order_relaxed) + (nf - old),
	                      memory_order_relaxed);
	uint64_t every = bst_g.opt.canary_chunks;
	if (every == 0 || z->cls == 0 || nf - old < 2)
		return;
	uint32_t n = (uint32_t)((nf - old) / every);
	for (uint32_t k = 0; k < (n ? n : 1); k++)
		make_canary_chunk(z, old + bst_rng_below(rng, nf - old));
}

/* Per-byte prefix counts of the set bits of w: byte i of the result holds
 * the number of set bits in bytes 0..i, so byte 7 is the popcount. Plain
 * arithmetic: the baseline x86-64 target has no popcnt instruction, and
 * libgcc's __popcountdi2 called eight times per pick was 7% of a churn
 * profile. */
static uint64_t byte_prefix_counts(uint64_t w)
{
	w = w - ((w >> 1) & 0x5555555555555555ull);
	w = (w & 0x3333333333333333ull) + ((w >> 2) & 0x3333333333333333ull);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return w * 0x0101010101010101ull;
}

/* Index of the k-th set bit of w, given its prefix counts (k < popcount).
 * The byte holding it is the number of bytes whose prefix count is <= k,
 * found for all eight bytes at once; inside that byte the same is done
 * after spreading its bits over eight bytes. No loop and no branch: with
 * k random, a loop's exit was mispredicted on most picks. */
static unsigned select_bit(uint64_t w, uint64_t prefix, uint32_t k)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t le = (((uint64_t)k * ones | highs) - prefix) & highs;
	unsigned byte = (unsigned)(((le >> 7) * ones) >> 56);
	k -= (uint32_t)(((prefix << 8) >> (8 * byte)) & 0xff);
	uint64_t bits = (w >> (8 * byte)) & 0xff;
	/* Byte i of spread is nonzero iff bit i of bits is set; then 0 or 1. */
	uint64_t spread = (bits * ones) & 0x8040201008040201ull;
	spread = (((spread & ~highs) + ~highs) | spread) & highs;
	uint64_t bit_prefix = (spread >> 7) * ones;
	le = (((uint64_t)k * ones | highs) - bit_prefix) & highs;
	return 8 * byte + (unsigned)(((le >> 7) * ones) >> 56);
}

/* The same selection with the instructions made for it, where the CPU has
 * them: popcnt, and pdep, which deposits the bit 1 << k onto the k-th set
 * bit of w. Inline assembly, so the library still runs on the baseline
 * x86-64 it is compiled for; bst_g.fast_bits says whether to use it. */
#if defined(__x86_64__)
static unsigned popcount_hw(uint64_t w)
{
	uint64_t n;
	__asm__("popcntq %1, %0" : "=r"(n) : "r"(w));
	return (unsigned)n;
}

static unsigned select_bit_hw(uint64_t w, uint32_t k)
{
	uint64_t r;
	__asm__("pdepq %2, %1, %0" : "=r"(r) : "r"(1ull << k), "r"(w));
	return (unsigned)__builtin_ctzll(r);
}

/* AMD's Zen 1 and Zen 2 run pdep in microcode, hundreds of cycles for a
 * dense mask: slower than the arithmetic above. */
static bool cpu_has_fast_bits(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("bmi2") &&
	       !__builtin_cpu_is("znver1") && !__builtin_cpu_is("znver2");
}
#else
static unsigned popcount_hw(uint64_t w)
{
	return (unsigned)__builtin_popcountll(w);
}

static unsigned select_bit_hw(uint64_t w, uint32_t k)
{
	return select_bit(w, byte_prefix_counts(w), k);
}

static bool cpu_has_fast_bits(void)
{
	return false;
}
#endif

/* Removes a random available chunk from z and returns its index; the
 * caller accounts for it in navail. Zone lock held, at least one chunk
 * available. The word is drawn uniformly over the window; the first
 * nonempty word from there (found through the summary) gives a uniformly
 * random one of its set bits. */
static uint32_t pick_random(bst_zone_t *z, bst_rng_t *rng)
{
	uint32_t frontier = atomic_load_explicit(&z->frontier, memory_order_relaxed);
	uint32_t nwords = (frontier + 63) >> 6, nsum = (nwords + 63) >> 6;
	/* One 32-bit draw serves both choices: the word is the high half of
	 * r * nwords, and the low half, uniform over multiples of a power of
	 * two below 2^13, picks the bit. Each draw costs ~2 ns of ChaCha20. */
	uint64_t draw = (uint64_t)bst_rng_u32(rng) * nwords;
	uint32_t w = (uint32_t)(draw >> 32);
	uint32_t sw = w >> 6;
	uint64_t m = z->summary[sw] & (~0ull << (w & 63));
	if (!m) {
		/* The next nonzero summary word, wrapping round (to sw itself
		 * if only its words before w have chunks): what stepping
		 * through the summary words one by one finds, in one step. */
		uint64_t top = *sum_top(z), after = sw + 1 < nsum ? top & (~0ull << (sw + 1)) : 0;
		sw = (uint32_t)__builtin_ctzll(after ? after : top);
		m = z->summary[sw];
	}
	uint32_t wi = sw * 64 + (uint32_t)__builtin_ctzll(m);
	uint64_t word = z->avail[wi];
	/* A uniformly random set bit of the word. Taking the first set bit
	 * after a random rotation favoured the chunk right after a taken one
	 * (one step in 16 was exactly -1 chunk). */
	uint64_t low = draw & 0xffffffffu;
	unsigned b;
	if (bst_likely(bst_g.fast_bits)) {
		b = select_bit_hw(word, (uint32_t)((low * popcount_hw(word)) >> 32));
	} else {
		uint64_t prefix = byte_prefix_counts(word);
		b = select_bit(word, prefix, (uint32_t)((low * (prefix >> 56)) >> 32));
	}
	word &= ~(1ull << b);
	z->avail[wi] = word;
	if (!word)
		summary_clear(z, wi);
	return wi * 64 + b;
}

/* The zone's page bitmaps, in its summary page (internal.h):
 *   purged   pages given back by purge_free_pages and not faulted in
 *            since: a pick landing on one faults the purged pages of the
 *            64 KiB block around it back in with one call per run;
 *   tainted  pages given back since the zone last emptied. A purge moves
 *            the freed chunks on them to "never used", whose hand-out
 *            would check only the tail, so a never-used chunk on a tainted
 *            page is read in full when picked (and by the exit check): a
 *            write through a dangling pointer after the purge landed on a
 *            fresh page.
 * One bit per page rather than a list of runs: a list of six runs forgot
 * the smaller piece when a pick split a run and no slot was free, and
 * writes after free into chunks there went unseen. Zone lock held. */
static uint64_t *pagemap(const bst_zone_t *z, unsigned which)
{
	return (uint64_t *)((char *)z->summary + BST_PAGEMAP_OFF) + which * BST_PAGEMAP_WORDS;
}
#define PURGED  0u
#define TAINTED 1u

/* Sets (or clears) bits [lo, hi) of map; returns how many changed. */
static uint32_t map_range(uint64_t *map, uint32_t lo, uint32_t hi, bool set)
{
	uint32_t changed = 0;
	while (lo < hi) {
		uint32_t w = lo >> 6, b = lo & 63, n = hi - lo < 64 - b ? hi - lo : 64 - b;
		uint64_t mask = (n == 64 ? ~0ull : ((1ull << n) - 1)) << b;
		changed += (uint32_t)__builtin_popcountll(set ? mask & ~map[w] : mask & map[w]);
		map[w] = set ? map[w] | mask : map[w] & ~mask;
		lo += n;
	}
	return changed;
}

/* Index of the first bit at or after i in [i, end) of map equal to want,
 * or end. */
static uint32_t map_next(const uint64_t *map, uint32_t i, uint32_t end, bool want)
{
	while (i < end) {
		uint64_t w = (want ? map[i >> 6] : ~map[i >> 6]) & (~0ull << (i & 63));
		if (w) {
			uint32_t j = (i & ~63u) + (uint32_t)__builtin_ctzll(w);
			return j < end ? j : end;
		}
		i = (i & ~63u) + 64;
	}
	return end;
}

/* Records that pages [lo, hi) were given back. */
static void note_purged(bst_zone_t *z, uint32_t lo, uint32_t hi)
{
	z->npurged = (uint16_t)(z->npurged + map_range(pagemap(z, PURGED), lo, hi, true));
	map_range(pagemap(z, TAINTED), lo, hi, true);
	z->tainted = true;
}

/* Forgets every purged and tainted page (the zone emptied and its pages
 * became inaccessible, or it is new). */
static void clear_pagemaps(bst_zone_t *z)
{
	memset(pagemap(z, PURGED), 0, 2 * BST_PAGEMAP_WORDS * sizeof(uint64_t));
	z->npurged = 0;
	z->tainted = false;
}

/* Pages faulted back in at once when a pick lands on a purged page. */
#define REPOPULATE_PAGES 16u

/* Chunk i was just picked from a tainted zone: if a page of it is purged,
 * fault back in the purged pages of the 64 KiB block around it. Picks only
 * land on available chunks, and a purged page holds nothing else, so the
 * block's other pages would be faulted one by one soon (11.6 us each on a
 * VM; 0.8 us per page populated). The whole run at once was measured too:
 * it gave 7 MiB of a python run's 66 MiB back to pages nobody touched.
 * Returns whether the chunk lies on a tainted page. */
BST_NOINLINE static bool repopulate(bst_zone_t *z, uint32_t i)
{
	uint32_t p0 = (uint32_t)(((size_t)i * z->size) >> 12);
	uint32_t p1 = (uint32_t)(((size_t)(i + 1) * z->size - 1) >> 12) + 1;
	uint64_t *purged = pagemap(z, PURGED);
	if (z->npurged != 0 && map_next(purged, p0, p1, true) < p1) {
		uint32_t a = p0 & ~(REPOPULATE_PAGES - 1), b = a + REPOPULATE_PAGES;
		b = b < p1 ? p1 : b > BST_ZONE_PAGES ? BST_ZONE_PAGES : b;
		for (uint32_t r = map_next(purged, a, b, true); r < b;) {
			uint32_t e = map_next(purged, r, b, false);
			bst_os_populate((void *)(z->user + ((uintptr_t)r << 12)), (size_t)(e - r)
			                                                              << 12);
			z->npurged = (uint16_t)(z->npurged - map_range(purged, r, e, false));
			r = map_next(purged, e, b, true);
		}
	}
	return map_next(pagemap(z, TAINTED), p0, p1, true) < p1;
}

bool bst_zone_chunk_tainted(const bst_zone_t *z, uint32_t i)
{
	if (!z->tainted)
		return false;
	uint32_t p0 = (uint32_t)(((size_t)i * z->size) >> 12);
	uint32_t p1 = (uint32_t)(((size_t)(i + 1) * z->size - 1) >> 12) + 1;
	return map_next(pagemap(z, TAINTED), p0, p1, true) < p1;
}

static uint32_t take(bst_zone_t *z, void **out, uint32_t want, bst_rng_t *rng)
{
	uint32_t n = 0;
	bst_lock(&z->lock);
	if (atomic_load_explicit(&z->navail, memory_order_relaxed) < want &&
	    atomic_load_explicit(&z->frontier, memory_order_relaxed) < z->nchunks)
		extend_window(z, rng);
	uint32_t na = atomic_load_explicit(&z->navail, memory_order_relaxed);
	for (; n < want && na; na--) {
		uint32_t i = pick_random(z, rng);
		if (bst_unlikely(z->tainted) && repopulate(z, i))
			bst_chunk_check_purged(z, i);
		out[n++] = (void *)(z->user + (uintptr_t)i * z->size);
	}
	atomic_store_explicit(&z->navail, na, memory_order_relaxed);
	z->sweep_picks += n;
	/* In use again: no longer the class's spare empty zone. */
	uint32_t me = (uint32_t)(z - bst_g.zones) + 1;
	if (n && z->pzone == 0 &&
	    atomic_load_explicit(&bst_classes[z->cls].warm, memory_order_relaxed) == me)
		atomic_store_explicit(&bst_classes[z->cls].warm, 0, memory_order_relaxed);
	bst_unlock(&z->lock);
	return n;
}

static bool has_room(bst_zone_t *z)
{
	return atomic_load_explicit(&z->navail, memory_order_relaxed) ||
	       atomic_load_explicit(&z->frontier, memory_order_relaxed) < z->nchunks;
}

static const char *const zone_names[BST_NUM_CLASSES] = {
#define N(s) "bastion zone " #s
    N(0),     N(16),    N(32),     N(48),     N(64),    N(80),    N(96),    N(112),   N(128),
    N(160),   N(192),   N(224),    N(256),    N(320),   N(384),   N(448),   N(512),   N(640),
    N(768),   N(896),   N(1024),   N(1280),   N(1536),  N(1792),  N(2048),  N(2560),  N(3072),
    N(3584),  N(4096),  N(5120),   N(6144),   N(7168),  N(8192),  N(10240), N(12288), N(14336),
    N(16384), N(20480), N(24576),  N(28672),  N(32768), N(40960), N(49152), N(57344), N(65536),
    N(81920), N(98304), N(114688), N(131072),
#undef N
};

/* Marks a slot retired (bst_zone_retire): claimed by nobody, reused last. */
#define SLOT_RETIRED UINT32_MAX

/* Claims a random free slot for a zone of chunk size size: a never-used
 * one if any is left, else a retired one. Returns its index, or UINT32_MAX
 * when every slot is in use. */
static uint32_t claim_slot(uint32_t size, bst_rng_t *rng)
{
	uint32_t n = bst_g.nzones;
	bst_lock(&region_lock);
	uint32_t start = bst_rng_below(rng, n);
	/* With few zones in use the record's page is almost always untouched:
	 * fault it in with a call (extend_window's costs). */
	bst_os_populate((void *)((uintptr_t)&bst_g.zones[start] & ~(BST_PAGE - 1)), BST_PAGE);
	for (uint32_t want = 0;; want = SLOT_RETIRED) {
		for (uint32_t k = 0; k < n; k++) {
			uint32_t idx = start + k < n ? start + k : start + k - n;
			if (bst_g.zones[idx].size == want) {
				bst_g.zones[idx].size = size; /* claims the slot */
				bst_unlock(&region_lock);
				return idx;
			}
		}
		if (want == SLOT_RETIRED)
			break;
	}
	bst_unlock(&region_lock);
	return UINT32_MAX;
}

/* Builds a zone of class cls in claimed slot idx: commits and names its
 * memory and fills in the record, still inactive. NULL (slot given back)
 * when memory is exhausted. */
static bst_zone_t *build_zone(uint32_t idx, unsigned cls, const char *name, bst_rng_t *rng)
{
	bst_zone_t *z = &bst_g.zones[idx];
	uint32_t size = bst_class_size[cls];
	uint32_t nchunks = (uint32_t)(BST_ZONE_USER / size);
	char *user = (char *)(bst_g.region + (uintptr_t)idx * BST_ZONE_SIZE);
	char *meta = (char *)(bst_g.meta + (uintptr_t)idx * BST_META_SLOT);
	size_t state_bytes = page_round(((size_t)nchunks + 31) / 32 * 8);
	size_t summary_bytes = bst_summary_span(nchunks);
	/* Summary page then avail bitmap: one contiguous accessible range. */
	char *summary = meta + BST_STATE_BYTES + BST_PAGE;
	char *avail = summary + BST_AVAIL_OFF;
	/* The user area is made accessible step by step as the window grows
	 * (extend_window): a wild write or a long overflow past the window
	 * faults. Class 0 chunks stay inaccessible: malloc(0) must not be
	 * usable. */
	if (!bst_os_commit(meta, state_bytes) || !bst_os_commit(summary, summary_bytes)) {
		bst_os_decommit(user, BST_ZONE_USER);
		bst_os_decommit(meta, BST_META_SLOT - BST_PAGE);
		bst_lock(&region_lock);
		z->size = 0;
		bst_unlock(&region_lock);
		return NULL;
	}
	bst_os_name(user, BST_ZONE_USER, name);
	bst_os_name(meta, state_bytes, "bastion zone state");
	bst_os_name(summary, summary_bytes, "bastion zone avail");
	/* The first window step writes the first page of the state bitmap
	 * and the summary page (with the first avail words): two calls,
	 * cheaper than two faults (extend_window's costs). */
	bst_os_populate(meta, BST_PAGE);
	bst_os_populate(summary, BST_PAGE);

	z->cls = (uint8_t)cls;
	z->pzone = 0;
	z->nchunks = nchunks;
	z->magic = ((uint64_t)1 << 40) / size + 1;
	z->user = (uintptr_t)user;
	z->state = (_Atomic uint64_t *)meta;
	z->avail = (uint64_t *)avail;
	z->summary = (uint64_t *)summary;
	z->canary_secret = bst_rng_u64(rng);
	atomic_store_explicit(&z->navail, 0, memory_order_relaxed);
	atomic_store_explicit(&z->frontier, 0, memory_order_relaxed);
	z->ncanary = 0;
	z->sweep_picks = 0;
	z->sweep_released = 0;
	z->sweep_ms = 0;
	z->empty_ms = 0;
	atomic_store_explicit(&z->probe_misses, 0, memory_order_relaxed);
	atomic_store_explicit(&z->probe_rest, 0, memory_order_relaxed);
	atomic_store_explicit(&z->probes, 0, memory_order_relaxed);
	clear_pagemaps(z);
	z->next = 0;
	return z;
}

/* Claims a random free slot and builds a zone of class cls there. Class
 * lock held. NULL when the region or memory is exhausted. */
static bst_zone_t *create_zone(unsigned cls, uint32_t owner, bst_rng_t *rng)
{
	uint32_t idx = claim_slot(bst_class_size[cls], rng);
	bst_zone_t *z = idx == UINT32_MAX ? NULL : build_zone(idx, cls, zone_names[cls], rng);
	if (!z)
		return NULL;
	atomic_store_explicit(&z->owner, owner, memory_order_relaxed);
	bst_class_rec_t *c = &bst_classes[cls];
	z->next = atomic_load_explicit(&c->head, memory_order_relaxed);
	atomic_store_explicit(&z->active, 1, memory_order_release);
	atomic_store_explicit(&c->head, idx + 1, memory_order_release);
	atomic_fetch_add_explicit(&c->nzones, 1, memory_order_relaxed);
	return z;
}

bst_zone_t *bst_zone_create_private(unsigned cls, uint16_t pzone, bst_rng_t *rng)
{
	/* "bastion private zone <chunk size>"; the kernel copies the name. */
	char name[40] = "bastion private zone ";
	size_t n = strlen(name), d = 1;
	for (uint32_t v = bst_class_size[cls]; v >= 10; v /= 10)
		d *= 10;
	for (uint32_t v = bst_class_size[cls]; d; d /= 10)
		name[n++] = (char)('0' + v / d % 10);
	name[n] = 0;
	uint32_t idx = claim_slot(bst_class_size[cls], rng);
	bst_zone_t *z = idx == UINT32_MAX ? NULL : build_zone(idx, cls, name, rng);
	if (!z)
		return NULL;
	z->pzone = pzone;
	atomic_store_explicit(&z->owner, BST_OWNER_PRIVATE, memory_order_relaxed);
	atomic_store_explicit(&z->active, 1, memory_order_release);
	return z;
}

uint32_t bst_zone_take(bst_zone_t *z, void **out, uint32_t want, bst_rng_t *rng)
{
	return take(z, out, want, rng);
}

bool bst_zone_has_room(bst_zone_t *z)
{
	return has_room(z);
}

void bst_zone_retire(bst_zone_t *z)
{
	bst_lock(&z->lock);
	atomic_store_explicit(&z->active, 0, memory_order_release);
	bst_os_decommit((void *)z->user, BST_ZONE_USER);
	bst_os_decommit((void *)((uintptr_t)z->state), BST_META_SLOT - BST_PAGE);
	z->pzone = 0;
	bst_unlock(&z->lock);
	bst_lock(&region_lock);
	z->size = SLOT_RETIRED;
	bst_unlock(&region_lock);
}

/* Makes owner the zone's only refilling thread cache, if nobody owns it and
 * it has room. */
static bool adopt(bst_zone_t *z, uint32_t owner)
{
	uint32_t none = 0;
	return has_room(z) &&
	       atomic_compare_exchange_strong_explicit(&z->owner, &none, owner,
	                                               memory_order_acquire, memory_order_relaxed);
}

void bst_zone_disown(uint32_t zone, uint32_t owner)
{
	if (zone)
		atomic_compare_exchange_strong_explicit(&bst_g.zones[zone - 1].owner, &owner, 0,
		                                        memory_order_release, memory_order_relaxed);
}

/* Takes from z if owner could adopt it; on success *mine becomes z. */
static uint32_t adopt_and_take(bst_zone_t *z, uint32_t owner, void **out, uint32_t want,
                               uint32_t *mine, bst_rng_t *rng)
{
	if (!adopt(z, owner))
		return 0;
	uint32_t got = take(z, out, want, rng);
	if (got)
		*mine = (uint32_t)(z - bst_g.zones) + 1;
	else
		atomic_store_explicit(&z->owner, 0, memory_order_release);
	return got;
}

uint32_t bst_zone_refill(unsigned cls, void **out, uint32_t want, uint32_t *mine, uint32_t owner,
                         bst_rng_t *rng)
{
	bst_class_rec_t *c = &bst_classes[cls];
	uint32_t got;
	if (*mine) {
		if ((got = take(&bst_g.zones[*mine - 1], out, want, rng)))
			return got;
		bst_zone_disown(*mine, owner); /* full: whoever finds it with room adopts it */
		*mine = 0;
	}
	uint32_t ch = atomic_load_explicit(&c->hint, memory_order_acquire);
	if (ch && (got = adopt_and_take(&bst_g.zones[ch - 1], owner, out, want, mine, rng)))
		return got;
	uint32_t head = atomic_load_explicit(&c->head, memory_order_acquire);
	for (uint32_t i = head; i; i = bst_g.zones[i - 1].next)
		if ((got = adopt_and_take(&bst_g.zones[i - 1], owner, out, want, mine, rng)))
			return got;
	bst_lock(&c->lock);
	/* Zones another thread created while we scanned come first. */
	uint32_t now = atomic_load_explicit(&c->head, memory_order_acquire);
	for (uint32_t i = now; i && i != head; i = bst_g.zones[i - 1].next) {
		if ((got = adopt_and_take(&bst_g.zones[i - 1], owner, out, want, mine, rng))) {
			bst_unlock(&c->lock);
			return got;
		}
	}
	/* Every zone with room has an owner. Ownership is a preference, not a
	 * lock-out: past a few zones per CPU, share one instead of creating
	 * zones per thread (which would run out of slots and mappings). */
	if (atomic_load_explicit(&c->nzones, memory_order_relaxed) >= bst_g.owned_zones_max) {
		for (uint32_t i = now; i; i = bst_g.zones[i - 1].next) {
			if (has_room(&bst_g.zones[i - 1]) &&
			    (got = take(&bst_g.zones[i - 1], out, want, rng))) {
				bst_unlock(&c->lock);
				return got;
			}
		}
	}
	bst_zone_t *z = create_zone(cls, owner, rng);
	bst_unlock(&c->lock);
	if (!z)
		return 0;
	*mine = (uint32_t)(z - bst_g.zones) + 1;
	return take(z, out, want, rng);
}

/* Chunks [a, b) are idle and their pages are about to be given back, which
 * would erase any write into a freed chunk or a canary chunk before its
 * hand-out (or bastion_verify) could see it: check each of those in full
 * first, and the never-used ones on tainted pages (freed chunks an earlier
 * purge moved to "never used") that may hold data: a page still given
 * back and not written since reads as zero, and reading it would only
 * fault it in. Other never-used chunks read as zero either way and are
 * not touched. Zone lock held. */
static void check_before_purge(const bst_zone_t *z, uint32_t a, uint32_t b)
{
	bst_presence_t pr = {.known = 0};
	for (uint32_t j = a; j < b; j++) {
		unsigned st = bst_state_get(z, j);
		if (st == BST_STATE_FREED || st == BST_STATE_CANARY ||
		    (st == BST_STATE_NEVER && bst_zone_chunk_tainted(z, j) &&
		     bst_chunk_may_hold_data(z, j, &pr)))
			bst_chunk_check_idle(z, j, true, &pr);
	}
}

/* Whether purging z, once empty, is worth a system call: its window is
 * wide (a small one stays warm, so a program that allocates and frees a
 * few chunks over and over makes no system call each time). */
static bool purge_worthwhile(const bst_zone_t *z)
{
	return z->cls != 0 &&
	       (size_t)atomic_load_explicit(&z->frontier, memory_order_relaxed) * z->size >=
	           PURGE_MIN_BYTES;
}

/* An empty zone gives its pages back and starts again with a small
 * window. Zone lock held. Nothing in the zone is live or claimed, so every
 * state goes back to "never used". The pages also become inaccessible
 * again, as past any window: a write through a dangling pointer into the
 * emptied zone faults instead of landing on a fresh page that a never-used
 * chunk's hand-out (which checks only its tail) would not read. Canary
 * chunks are placed afresh as the window grows again. */
static void purge_zone(bst_zone_t *z)
{
	uint32_t frontier = atomic_load_explicit(&z->frontier, memory_order_relaxed);
	check_before_purge(z, 0, frontier);
	bst_chunk_states_to_never(z, 0, frontier);
	bst_os_decommit((void *)z->user, bst_zone_committed_bytes(z->size, frontier));
	uint32_t nwords = (frontier + 63) >> 6;
	memset(z->avail, 0, (size_t)nwords * 8);
	memset(z->summary, 0, ((size_t)nwords + 63) / 64 * 8);
	*sum_top(z) = 0;
	atomic_store_explicit(&z->frontier, 0, memory_order_relaxed);
	atomic_store_explicit(&z->navail, 0, memory_order_relaxed);
	z->ncanary = 0;
	z->sweep_picks = 0;
	atomic_store_explicit(&z->probes, 0, memory_order_relaxed);
	clear_pagemaps(z);
}

/* Index of the first chunk at or after i whose avail bit equals want, or
 * end. */
static uint32_t next_avail(const bst_zone_t *z, uint32_t i, uint32_t end, bool want)
{
	return map_next(z->avail, i, end, want);
}

/* Runs of free pages shorter than this stay resident until the zone
 * empties. Every madvise ends in a TLB flush, which on a VM with the
 * process's other CPU to interrupt cost ~150 us: purging every run of a
 * zone whose chunks were freed at random took 7,320 calls and 85% of the
 * system time of bench/frag; with 64 KiB runs it runs 1.4-1.8x faster,
 * with the same peak RSS and a final RSS 20% higher. */
#define PURGE_RUN_MIN ((uintptr_t)16 * BST_PAGE)

/* Whether any of chunks [a, b) is freed: its pages are resident. Runs of
 * never-used chunks were purged already, or never touched. */
static bool any_freed(const bst_zone_t *z, uint32_t a, uint32_t b)
{
	for (uint32_t j = a; j < b; j++)
		if (bst_state_get(z, j) == BST_STATE_FREED)
			return true;
	return false;
}

/* When a freed chunk's body is not zero (a non-zero free_fill, or no wipe
 * at all), the chunks at the edges of purged pages [lo, hi) would read as
 * neither what their state says nor zero: chunk j0, now never used, keeps
 * its old bytes before lo (it must read as zero in full), and the chunk
 * that starts below hi but ends after it, still freed, reads zero in the
 * purged part (its wipe check expects the fill). Zone lock held. */
static void refill_edges(const bst_zone_t *z, uint32_t j0, uint32_t j1, uint32_t b, uintptr_t lo,
                         uintptr_t hi)
{
	uintptr_t s0 = z->user + (uintptr_t)j0 * z->size;
	if (j0 < j1 && s0 < lo)
		bst_wipe((void *)s0, 0, lo - s0);
	uintptr_t s1 = z->user + (uintptr_t)j1 * z->size;
	if (bst_g.opt.wipe && j1 < b && s1 < hi && bst_state_get(z, j1) == BST_STATE_FREED)
		bst_wipe((void *)(s1 > lo ? s1 : lo), (int)bst_g.opt.free_fill,
		         hi - (s1 > lo ? s1 : lo));
}

/* Gives back the whole pages covered by long runs of available chunks
 * holding freed ones, up to about budget bytes, so a zone that was busy
 * once does not keep its peak footprint for ever (a thread's bin keeps a
 * few chunks claimed, so the zone may never be empty again). Chunks whose
 * tails lie in a purged page read as zero now and go back to "never used".
 * Only runs of at least min_run bytes are given back. Zone lock held.
 * Returns the bytes given back. */
static size_t purge_free_pages(bst_zone_t *z, size_t budget, uintptr_t min_run)
{
	uint32_t frontier = atomic_load_explicit(&z->frontier, memory_order_relaxed);
	size_t purged = 0;
	for (uint32_t a = next_avail(z, 0, frontier, true); a < frontier && purged < budget;) {
		uint32_t b = next_avail(z, a, frontier, false);
		uintptr_t lo = (z->user + (uintptr_t)a * z->size + BST_PAGE - 1) & ~(BST_PAGE - 1);
		uintptr_t hi = (z->user + (uintptr_t)b * z->size) & ~(BST_PAGE - 1);
		if (hi >= lo + min_run && any_freed(z, a, b)) {
			purged += hi - lo;
			check_before_purge(z, a, b);
			/* Chunks j with lo <= tail(j) < hi, tail(j) = (j + 1) * size - 8
			 * from the zone start; states first, so a concurrent neighbour
			 * check never sees a freed chunk whose tail reads zero. */
			uintptr_t off_lo = lo - z->user + BST_CANARY_SIZE;
			uintptr_t off_hi = hi - z->user + BST_CANARY_SIZE;
			uint32_t j0 = (uint32_t)((off_lo + z->size - 1) / z->size) - 1;
			uint32_t j1 = (uint32_t)((off_hi + z->size - 1) / z->size) - 1;
			j0 = j0 < a ? a : j0;
			j1 = j1 > b ? b : j1;
			bst_chunk_states_to_never(z, j0, j1);
			/* Pages the kernel will not give back (locked ones) are
			 * cleared instead: the chunks now "never used" must read
			 * as zero either way. */
			if (!bst_os_purge((void *)lo, hi - lo))
				bst_wipe((void *)lo, 0, hi - lo);
			note_purged(z, (uint32_t)((lo - z->user) >> 12),
			            (uint32_t)((hi - z->user) >> 12));
			if (bst_g.opt.free_fill != 0 || !bst_g.opt.wipe)
				refill_edges(z, j0, j1, b, lo, hi);
		}
		a = next_avail(z, b, frontier, true);
	}
	return purged;
}

/* Idle zones are looked for (the sweep below) at most this often. Each
 * purged page that a pick lands in again costs a fault (11.6 us on a VM),
 * so the rate bounds what a wrong guess can cost. */
#define PURGE_INTERVAL_MS 250u

/* The sweep of one zone: if its picks since the last sweep would take
 * less than half of its available chunks, the pages of the rest are given
 * back. Zone lock held. */
static void sweep_zone(bst_zone_t *z)
{
	uint32_t na = atomic_load_explicit(&z->navail, memory_order_relaxed);
	uint32_t picks = z->sweep_picks;
	z->sweep_picks = 0;
	/* Idle since a sweep that gave back everything it could, and nothing
	 * released since: nothing new to find (and no need to read its states
	 * again). */
	if (picks == 0 && z->sweep_released == 0)
		return;
	if (picks < na / 2 && (size_t)(na - picks) * z->size >= PURGE_RUN_MIN)
		purge_free_pages(z, picks ? (size_t)(na - picks) * z->size : SIZE_MAX,
		                 PURGE_RUN_MIN);
	z->sweep_released = picks != 0;
}

/* Accounts for added chunks just made available in z, and purges it if
 * that emptied it. Zone lock held. */
static void released(bst_zone_t *z, uint32_t added)
{
	uint32_t old = atomic_load_explicit(&z->navail, memory_order_relaxed), na = old + added;
	atomic_store_explicit(&z->navail, na, memory_order_relaxed);
	z->sweep_released += added;
	if (old == 0 && z->pzone == 0)
		atomic_store_explicit(&bst_classes[z->cls].hint, (uint32_t)(z - bst_g.zones) + 1,
		                      memory_order_release);
	uint32_t frontier = atomic_load_explicit(&z->frontier, memory_order_relaxed);
	if (na == frontier - z->ncanary && purge_worthwhile(z)) {
		/* Empty. A zone that empties again within PURGE_INTERVAL_MS of
		 * the last time is in steady use, and one such zone per class
		 * stays as it is, the class's spare. Zones of big chunks (51 of
		 * 80 KiB) do that when a class's working set is about one zone:
		 * its owner moves to a second zone while the first fills up with
		 * chunks back from the quarantine, and the two take turns.
		 * Purging each time one emptied cost a fault on every page soon
		 * after: 5.4 faults a round of bench/growth. The spare stops
		 * being one when a pick lands in it; a sweep gives its pages
		 * back if it stays idle. */
		uint32_t none = 0, me = (uint32_t)(z - bst_g.zones) + 1, now = bst_os_now_ms();
		bool again = z->empty_ms != 0 && now - z->empty_ms < PURGE_INTERVAL_MS;
		z->empty_ms = now ? now : 1;
		if (z->pzone == 0 && again &&
		    (atomic_load_explicit(&bst_classes[z->cls].warm, memory_order_relaxed) == me ||
		     atomic_compare_exchange_strong_explicit(&bst_classes[z->cls].warm, &none, me,
		                                             memory_order_relaxed,
		                                             memory_order_relaxed)))
			return;
		purge_zone(z);
		return;
	}
	/* Private zones are on no class list, so the sweep does not reach
	 * them: each sweeps itself as its chunks come back. */
	if (z->pzone != 0) {
		uint32_t now = bst_os_now_ms();
		if (now - z->sweep_ms >= PURGE_INTERVAL_MS) {
			z->sweep_ms = now;
			sweep_zone(z);
		}
	}
}

#define for_each_zone(c, z)                                                                        \
	for (uint32_t _i = atomic_load_explicit(&bst_classes[c].head, memory_order_acquire);       \
	     _i && ((z) = &bst_g.zones[_i - 1]); _i = (z)->next)

/* When the last sweep is PURGE_INTERVAL_MS old, the next release of any
 * zone sweeps every heap zone (sweep_zone), so a zone that was busy once
 * does not keep its peak footprint for ever (a thread's bin keeps a few
 * chunks claimed, so it may never be empty again), even when the program
 * has moved on to other sizes and never frees into it again. While a zone
 * serves picks at the rate it gets chunks back, its pages stay: picks are
 * random over every available chunk, so a purged page would soon fault in
 * again (purging at each megabyte released, as before, made 6,135 madvise
 * calls in 10,000 rounds of bench/growth). No zone lock held: the sweep
 * takes one at a time. */
static _Atomic uint32_t last_sweep_ms;

static void sweep_idle_zones(void)
{
	uint32_t now = bst_os_now_ms();
	uint32_t last = atomic_load_explicit(&last_sweep_ms, memory_order_relaxed);
	if (now - last < PURGE_INTERVAL_MS ||
	    !atomic_compare_exchange_strong_explicit(&last_sweep_ms, &last, now,
	                                             memory_order_relaxed, memory_order_relaxed))
		return;
	bst_zone_t *z;
	for (unsigned c = 1; c < BST_NUM_CLASSES; c++) {
		for_each_zone (c, z) {
			bst_lock(&z->lock);
			sweep_zone(z);
			bst_unlock(&z->lock);
		}
	}
}

/* One zone of bst_zone_purge_all; returns the resident bytes it gave back
 * (counted with mincore: a window's pages need not all be resident). */
static size_t purge_all_one(bst_zone_t *z, unsigned cls)
{
	uint32_t frontier = atomic_load_explicit(&z->frontier, memory_order_relaxed);
	uint32_t na = atomic_load_explicit(&z->navail, memory_order_relaxed);
	size_t window = bst_zone_committed_bytes(z->size, frontier);
	if (frontier == 0)
		return 0;
	size_t before = bst_os_resident((void *)z->user, window);
	if (na == frontier - z->ncanary) {
		/* Empty, the class's spare included: all of it. */
		uint32_t me = (uint32_t)(z - bst_g.zones) + 1;
		atomic_compare_exchange_strong_explicit(&bst_classes[cls].warm, &me, 0,
		                                        memory_order_relaxed, memory_order_relaxed);
		purge_zone(z);
		return before;
	}
	if (purge_free_pages(z, SIZE_MAX, BST_PAGE) == 0)
		return 0;
	size_t after = bst_os_resident((void *)z->user, window);
	return before > after ? before - after : 0;
}

size_t bst_zone_purge_all(void)
{
	size_t bytes = 0;
	bst_zone_t *z;
	for (unsigned c = 1; c < BST_NUM_CLASSES; c++) {
		for_each_zone (c, z) {
			bst_lock(&z->lock);
			bytes += purge_all_one(z, c);
			bst_unlock(&z->lock);
		}
	}
	return bytes;
}

void bst_zone_release(void *const *ptrs, uint32_t n)
{
	bst_zone_t *held = NULL;
	uint32_t added = 0;
	for (uint32_t k = 0; k < n; k++) {
		bst_zone_t *z = bst_zone_of(ptrs[k]);
		if (z != held) {
			if (held) {
				released(held, added);
				bst_unlock(&held->lock);
			}
			bst_lock(&z->lock);
			held = z;
			added = 0;
		}
		uint32_t i = bst_chunk_index(z, (uintptr_t)ptrs[k] - z->user);
		z->avail[i >> 6] |= 1ull << (i & 63);
		summary_set(z, i >> 6);
		added++;
	}
	if (held) {
		released(held, added);
		bst_unlock(&held->lock);
	}
	sweep_idle_zones();
}

/* Fork handlers walk the class lists (for_each_zone), not all the zone
 * slots: touching every slot record would fault in hundreds of pages in
 * each child. The lists only grow, at their heads, under the class lock
 * that lock_all takes first; no path holds two zone locks, so any order
 * among them is safe. */

void bst_zone_lock_all(void)
{
	bst_zone_t *z;
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++)
		bst_lock(&bst_classes[c].lock);
	bst_lock(&region_lock);
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++)
		for_each_zone (c, z)
			bst_lock(&z->lock);
}

void bst_zone_unlock_all(void)
{
	bst_zone_t *z;
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++)
		for_each_zone (c, z)
			bst_unlock(&z->lock);
	bst_unlock(&region_lock);
	for (unsigned c = BST_NUM_CLASSES; c-- > 0;)
		bst_unlock(&bst_classes[c].lock);
}

void bst_zone_reset_locks(void)
{
	bst_zone_t *z;
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++)
		for_each_zone (c, z)
			bst_lock_reset(&z->lock);
	bst_lock_reset(&region_lock);
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++)
		bst_lock_reset(&bst_classes[c].lock);
}

size_t bst_zone_verify(bool never)
{
	size_t problems = 0;
	bst_zone_t *z;
	for (unsigned c = 1; c < BST_NUM_CLASSES; c++)
		for_each_zone (c, z)
			problems += bst_zone_verify_one(z, never);
	return problems;
}
