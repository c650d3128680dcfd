/*
 * Zone chunks, the out-of-line half (chunk.h has the state machine and the
 * inline fast paths): the reports, the checks of idle chunks, the
 * transitions made under the zone lock, and bastion_verify's walk of a
 * zone.
 */
#include "chunk.h"

/* ---- reports ---- */

void bst_state_claim_fail(const bst_zone_t *z, uintptr_t p, unsigned old)
{
	bst_fatal(BST_E_CORRUPTED_STATE,
	          old == BST_STATE_USED ? "chunk in a thread cache is already live"
	                                : "canary chunk in a thread cache",
	          (void *)p, z->size);
}

void bst_chunk_bad_state(const bst_zone_t *z, const void *p, unsigned st)
{
	if (st == BST_STATE_FREED)
		bst_fatal(BST_E_DOUBLE_FREE, "chunk is already free", p, z->size);
	bst_fatal(BST_E_INVALID_FREE,
	          st == BST_STATE_NEVER ? "chunk was never allocated" : "pointer to a canary chunk",
	          p, z->size);
}

void bst_chunk_bad_offset(const bst_zone_t *z, const void *p)
{
	/* Which byte of which chunk: an interior pointer's offset is the
	 * first clue to the bug (a member freed instead of its container). */
	char msg[120];
	size_t at = 0, cap = sizeof(msg) - 1;
	uintptr_t off = (uintptr_t)p - z->user;
	at = bst_append(msg, at, cap, "pointer is not the start of a chunk: it is byte ");
	at = bst_append_dec(msg, at, cap, off - (uintptr_t)bst_chunk_index(z, off) * z->size);
	at = bst_append(msg, at, cap, " of one");
	msg[at] = 0;
	bst_fatal(BST_E_INVALID_FREE, msg, p, z->size);
}

/* "<what> of <n> bytes: byte <k> changed", k the first byte of the slack
 * pattern (canary ck) of live chunk p that does not read as written, for
 * the report line. */
static const char *slack_detail(char *buf, size_t cap, const char *what, const bst_zone_t *z,
                                const void *p, size_t n, uint64_t ck)
{
	uint64_t mask, v = bst_slack_expect(n, ck, &mask), w;
	__builtin_memcpy(&w, (const char *)p + (n & ~(size_t)7), 8);
	uint64_t d = (w ^ v) & mask;
	size_t k = (n & ~(size_t)7) + (d ? (size_t)__builtin_ctzll(d) / 8 : (n & 7));
	size_t at = 0;
	(void)z;
	at = bst_append(buf, at, cap - 1, what);
	at = bst_append(buf, at, cap - 1, " of ");
	at = bst_append_dec(buf, at, cap - 1, n);
	at = bst_append(buf, at, cap - 1, " bytes: byte ");
	at = bst_append_dec(buf, at, cap - 1, k);
	at = bst_append(buf, at, cap - 1, " changed");
	buf[at] = 0;
	return buf;
}

/* "<what> (the canary at byte <S - 8> changed)". */
static const char *tail_detail(char *buf, size_t cap, const char *what, const bst_zone_t *z)
{
	size_t at = 0;
	at = bst_append(buf, at, cap - 1, what);
	at = bst_append(buf, at, cap - 1, ": the canary at byte ");
	at = bst_append_dec(buf, at, cap - 1, z->size - BST_CANARY_SIZE);
	at = bst_append(buf, at, cap - 1, " changed");
	buf[at] = 0;
	return buf;
}

void bst_chunk_bad_canary(const bst_zone_t *z, const void *p, unsigned kind, uint64_t c)
{
	char msg[160];
	/* Another thread freed the chunk between our state read and this
	 * canary read: a double free that lost the race by a hair. */
	if (c == bst_canary_kind(z, (uintptr_t)p, BST_KIND_FREED))
		bst_fatal(BST_E_DOUBLE_FREE, "chunk was freed by another thread meanwhile", p,
		          z->size);
	/* The tail of the kind it was released as, or of another live kind,
	 * with the slack pattern after the request overwritten: an overflow
	 * inside the chunk's rounding. */
	for (unsigned k = BST_KIND_MALLOC; k < BST_KIND_CANARY_CHUNK; k++) {
		uint32_t slack = bst_tail_slack(z, (uintptr_t)p, k, c);
		if (slack == UINT32_MAX)
			continue;
		size_t n = z->size - BST_CANARY_SIZE - slack;
		uint64_t ck = bst_canary_kind(z, (uintptr_t)p, k);
		if (!bst_slack_ok(z, p, n, ck))
			bst_fatal(BST_E_CANARY_CORRUPTED,
			          slack_detail(msg, sizeof(msg),
			                       "chunk overflowed past its request", z, p, n, ck),
			          p, z->size);
		if (c != bst_live_tail(z, (uintptr_t)p, kind, slack))
			bst_fatal(BST_E_ALLOC_DEALLOC_MISMATCH,
			          k == BST_KIND_MALLOC
			              ? "malloc'd block released with operator delete"
			              : "operator new block released by the wrong function",
			          p, z->size);
	}
	bst_fatal(BST_E_CANARY_CORRUPTED,
	          tail_detail(msg, sizeof(msg), "chunk overflowed past its usable size", z), p,
	          z->size);
}

/* "<what>: byte <k> of <n> changed", k the first of the n bytes at p that
 * is not c (a write into memory that must read as c: the wipe, or zero). */
BST_RACY_READS static const char *fill_detail(char *buf, size_t cap, const char *what,
                                              const void *p, size_t n, unsigned c)
{
	size_t k = 0;
	while (k < n && ((const volatile unsigned char *)p)[k] == (unsigned char)c)
		k++;
	size_t at = 0;
	at = bst_append(buf, at, cap - 1, what);
	at = bst_append(buf, at, cap - 1, ": byte ");
	at = bst_append_dec(buf, at, cap - 1, k);
	at = bst_append(buf, at, cap - 1, " of ");
	at = bst_append_dec(buf, at, cap - 1, n);
	at = bst_append(buf, at, cap - 1, " changed");
	buf[at] = 0;
	return buf;
}

void bst_chunk_bad_wipe(const bst_zone_t *z, const void *p)
{
	char msg[160];
	bst_fatal(BST_E_WRITE_AFTER_FREE,
	          fill_detail(msg, sizeof(msg), "freed chunk was written to before reuse", p,
	                      z->size - BST_CANARY_SIZE, (unsigned)bst_g.opt.free_fill),
	          p, z->size);
}

void bst_chunk_bad_size(const bst_zone_t *z, const void *p)
{
	bst_fatal(BST_E_SIZE_MISMATCH, "sized free does not match the allocation", p, z->size);
}

void bst_chunk_bad_never(const bst_zone_t *z, const void *p)
{
	bst_fatal(BST_E_CANARY_CORRUPTED, "never-used chunk was overwritten", p, z->size);
}

/* Without copy.c (the static and prefixed libraries, where memset is
 * glibc's own): a plain memset. libbastion.so's copy.c overrides it. */
__attribute__((weak)) void bst_wipe(void *p, int c, size_t n)
{
	memset(p, c, n);
}

/* ---- hand-out ---- */

/* A never-used chunk of a page or more is about to be written: its canary
 * now, its start almost surely by the program. Those two pages are
 * faulted in by the call (10.5 us a fault against 2.3 us for a call of one
 * page, 0.6 us a page in bulk, on a VM); the rest on demand, so that a
 * block used in part stays resident in part. Populating whole chunks made
 * 2000 malloc(100000), each touched at one byte, peak at 233 MB instead of
 * 25 MB; the first 16 KiB and the canary's page, at 49 MB. */
BST_NOINLINE void bst_chunk_populate_fresh(void *p, size_t size)
{
	uintptr_t head = (uintptr_t)p & ~(BST_PAGE - 1);
	uintptr_t tail = ((uintptr_t)p + size - BST_CANARY_SIZE) & ~(BST_PAGE - 1);
	if (tail <= head + BST_PAGE) {
		bst_os_populate((void *)head, tail + BST_PAGE - head);
		return;
	}
	bst_os_populate((void *)head, BST_PAGE);
	bst_os_populate((void *)tail, BST_PAGE);
}

/* ---- the wipe of big chunks ---- */

/* A probe (open, pread and close of /proc/self/pagemap: 6-9 us here)
 * pays when it spares a page a fault (11.5 us). A page no user of a chunk
 * touches is spared at each wipe and check after a probe, but without
 * probes it is faulted in once, by the first wipe, and stays: probes pay
 * in a chunk's first few uses (short-lived programs: cc1 and git status
 * fault 581 and 229 pages less), not in steady use (bench_growth made
 * 45,000 probes, each sparing the same three pages, and ran 20% slower).
 * So a zone stops probing after PROBE_ROUNDS probes per chunk of its
 * window, until it empties. Meanwhile each probe that spares nothing
 * doubles the number of wipes and checks that do without one, up to
 * 2^PROBE_MISSES_MAX - 1; one that spares a page ends the rest. */
#define PROBE_ROUNDS     4
#define PROBE_MISSES_MAX 10
#define BIG_MAX_PAGES    (BST_MAX_SMALL / BST_PAGE)

/* Whether to ask which pages of a chunk of z are in use. */
static bool probe_wanted(bst_zone_t *z)
{
	uint32_t probes = atomic_load_explicit(&z->probes, memory_order_relaxed);
	if ((uint64_t)probes >=
	    (uint64_t)PROBE_ROUNDS * atomic_load_explicit(&z->frontier, memory_order_relaxed))
		return false;
	uint16_t rest = atomic_load_explicit(&z->probe_rest, memory_order_relaxed);
	if (rest != 0) {
		atomic_store_explicit(&z->probe_rest, (uint16_t)(rest - 1), memory_order_relaxed);
		return false;
	}
	atomic_store_explicit(&z->probes, probes + 1, memory_order_relaxed);
	return true;
}

/* Accounts for a probe that spared spared pages. */
static void probe_done(bst_zone_t *z, size_t spared)
{
	uint8_t misses = atomic_load_explicit(&z->probe_misses, memory_order_relaxed);
	if (spared != 0)
		misses = 0;
	else if (misses < PROBE_MISSES_MAX)
		misses++;
	atomic_store_explicit(&z->probe_misses, misses, memory_order_relaxed);
	atomic_store_explicit(&z->probe_rest, (uint16_t)((1u << misses) - 1), memory_order_relaxed);
}

/* Pages of big chunk p of z that may hold data, in map; false if that is
 * not known (every page must then be taken as holding data). */
static bool big_pages_in_use(bst_zone_t *z, const void *p, uint64_t *map)
{
	return probe_wanted(z) && bst_os_pages_in_use(p, z->size / BST_PAGE, map);
}

void bst_chunk_wipe_big(bst_zone_t *z, void *p)
{
	size_t n = z->size - BST_CANARY_SIZE, pages = z->size / BST_PAGE, used = 0;
	uint64_t map[(BIG_MAX_PAGES + 63) / 64];
	if (!big_pages_in_use(z, p, map)) {
		bst_wipe(p, 0, n);
		return;
	}
	for (size_t k = 0; k < pages; k++) {
		if (!(map[k / 64] >> (k % 64) & 1))
			continue;
		size_t lo = k * BST_PAGE, hi = lo + BST_PAGE < n ? lo + BST_PAGE : n;
		bst_wipe((char *)p + lo, 0, hi - lo);
		used++;
	}
	probe_done(z, pages - used);
}

bool bst_chunk_wiped_big(bst_zone_t *z, const void *p)
{
	size_t n = z->size - BST_CANARY_SIZE, pages = z->size / BST_PAGE, used = 0;
	uint64_t map[(BIG_MAX_PAGES + 63) / 64];
	if (!big_pages_in_use(z, p, map))
		return bst_words_are(p, n, 0);
	for (size_t k = 0; k < pages; k++) {
		if (!(map[k / 64] >> (k % 64) & 1))
			continue;
		size_t lo = k * BST_PAGE, hi = lo + BST_PAGE < n ? lo + BST_PAGE : n;
		if (!bst_words_are((const char *)p + lo, hi - lo, 0))
			return false;
		used++;
	}
	probe_done(z, pages - used);
	return true;
}

/* ---- hand-out and free for private zones (private.c) ---- */

void *bst_chunk_hand_out(void *p, size_t n, bool *zeroed)
{
	bst_zone_t *z = &bst_g.zones[((uintptr_t)p - bst_g.region) >> BST_ZONE_SHIFT];
	return bst_chunk_hand_out_kind(p, n, z->cls, BST_KIND_MALLOC, zeroed);
}

void bst_chunk_free(bst_zone_t *z, void *p)
{
	bst_chunk_free_kind(z, p, BST_KIND_MALLOC, SIZE_MAX);
}

/* ---- transitions under the zone lock ---- */

/* Value every word of canary chunk q is filled with. */
static uint64_t canary_chunk_word(const bst_zone_t *z, uintptr_t q)
{
	return bst_canary_kind(z, q, BST_KIND_CANARY_CHUNK);
}

/* Fills [a, b) of canary chunk q with its word. */
static void fill_canary_words(const bst_zone_t *z, uintptr_t q, uintptr_t a, uintptr_t b)
{
	uint64_t v = canary_chunk_word(z, q);
	for (; a < b; a += 8)
		bst_tail_store((void *)a, v);
}

/* Turns available chunk i into a canary chunk: state 11, filled with
 * canary words or, from two pages up, its inner pages made inaccessible
 * and its edges filled. Zone lock held; the caller took it out of
 * avail. */
void bst_chunk_make_canary(bst_zone_t *z, uint32_t i)
{
	/* Fill (or guard) first, then publish the state (release): whoever
	 * sees state 11 sees the canary words. A guard costs one mprotect;
	 * filling an 80 KiB canary chunk faulted in 20 pages (about 130 us
	 * here) and kept them resident. A filled canary chunk of a page or
	 * more is faulted in with one call rather than a fault per page. */
	uintptr_t q = z->user + (uintptr_t)i * z->size, lo, hi;
	if (bst_canary_guard(z, q, &lo, &hi) &&
	    bst_os_protect((void *)lo, hi - lo, BST_ACCESS_NONE)) {
		fill_canary_words(z, q, q, lo);
		fill_canary_words(z, q, hi, q + z->size);
	} else {
		if (z->size >= BST_PAGE) {
			lo = q & ~(BST_PAGE - 1);
			hi = (q + z->size + BST_PAGE - 1) & ~(BST_PAGE - 1);
			bst_os_populate((void *)lo, hi - lo);
		}
		fill_canary_words(z, q, q, q + z->size);
	}
	atomic_fetch_add_explicit(&z->state[i >> 5], (uint64_t)BST_STATE_CANARY << ((i & 31) * 2),
	                          memory_order_release);
}

/* A purge moves a freed chunk whose pages it gave back to "never used",
 * whose hand-out checks only the tail (reading a truly new chunk would
 * fault its pages in). Here the pages were just populated again, so the
 * whole chunk is read: a write after the purge landed on a fresh page. */
void bst_chunk_check_purged(const bst_zone_t *z, uint32_t i)
{
	if (z->cls == 0 || bst_state_get(z, i) != BST_STATE_NEVER)
		return;
	const void *q = (const void *)(z->user + (uintptr_t)i * z->size);
	char msg[160];
	if (bst_unlikely(!bst_words_are(q, z->size, 0)))
		bst_fatal(BST_E_WRITE_AFTER_FREE,
		          fill_detail(msg, sizeof(msg),
		                      "chunk was written to after its pages were given back", q,
		                      z->size, 0),
		          q, z->size);
}

/* One atomic AND per state word: frees and hand-outs of other chunks of
 * the word may run meanwhile. */
void bst_chunk_states_to_never(bst_zone_t *z, uint32_t a, uint32_t b)
{
	while (a < b) {
		uint32_t w = a >> 5, lo = a & 31, n = b - a < 32 - lo ? b - a : 32 - lo;
		uint64_t mask = (n == 32 ? ~0ull : ((1ull << (2 * n)) - 1)) << (2 * lo);
		atomic_fetch_and_explicit(&z->state[w], ~mask, memory_order_relaxed);
		a += n;
	}
}

/* ---- checks of chunks that are not live ---- */

/* Whether page k of z's window may hold data. */
static bool page_may_hold_data(const bst_zone_t *z, size_t k, bst_presence_t *pr)
{
	if (pr->known == 0) {
		uint32_t frontier = atomic_load_explicit(&z->frontier, memory_order_relaxed);
		size_t pages = bst_zone_committed_bytes(z->size, frontier) / BST_PAGE;
		pr->known = bst_os_pages_in_use((const void *)z->user, pages, pr->map) ? 1 : -1;
	}
	return pr->known < 0 || (pr->map[k / 64] >> (k % 64) & 1);
}

bool bst_chunk_may_hold_data(const bst_zone_t *z, uint32_t j, bst_presence_t *pr)
{
	size_t p0 = (size_t)j * z->size / BST_PAGE;
	size_t p1 = ((size_t)j * z->size + z->size - 1) / BST_PAGE;
	for (size_t k = p0; k <= p1; k++)
		if (page_may_hold_data(z, k, pr))
			return true;
	return false;
}

/* True if the n bytes of idle chunk q of z all read as the wipe's word v:
 * a big chunk's pages that hold no data read as zero without a look. */
BST_RACY_READS static bool wiped(const bst_zone_t *z, uintptr_t q, size_t n, uint64_t v,
                                 bst_presence_t *pr)
{
	if (!pr || !bst_chunk_wipe_by_page(z))
		return bst_words_are((const void *)q, n, v);
	size_t first = (q - z->user) / BST_PAGE;
	for (size_t lo = 0; lo < n; lo += BST_PAGE) {
		size_t hi = lo + BST_PAGE < n ? lo + BST_PAGE : n;
		if (page_may_hold_data(z, first + lo / BST_PAGE, pr) &&
		    !bst_words_are((const void *)(q + lo), hi - lo, v))
			return false;
	}
	return true;
}

static uint64_t tail_of(const bst_zone_t *z, uintptr_t q)
{
	return bst_tail_load((const void *)(q + z->size - BST_CANARY_SIZE));
}

/* The slack of live tail t of chunk q, of any live kind (its canary in
 * *ck), or UINT32_MAX if t is none. */
static uint32_t live_slack(const bst_zone_t *z, uintptr_t q, uint64_t t, uint64_t *ck)
{
	for (unsigned kind = BST_KIND_MALLOC; kind < BST_KIND_CANARY_CHUNK; kind++) {
		*ck = bst_canary_kind(z, q, kind);
		uint32_t slack = bst_slack_of(z, *ck, t);
		if (slack != UINT32_MAX)
			return slack;
	}
	return UINT32_MAX;
}

/* True if t is the tail of a live chunk of one of the live kinds. */
static bool is_kind_canary(const bst_zone_t *z, uintptr_t q, uint64_t t)
{
	uint64_t ck;
	return live_slack(z, q, t, &ck) != UINT32_MAX;
}

static uint64_t freed_canary(const bst_zone_t *z, uintptr_t q)
{
	return bst_canary_kind(z, q, BST_KIND_FREED);
}

/* Checks non-live chunk j: a freed chunk keeps its canary, a canary chunk
 * its canary words, a never-used chunk inside the window reads as zero.
 * Returns problems found (0 or 1; fatal unless recoverable reporting). */
/* Other threads may hand chunk j out and write it while we read it; that
 * race is settled by re-reading its state before reporting, and the reads
 * are left out of ThreadSanitizer's instrumentation (BST_RACY_READS). */
BST_RACY_READS size_t bst_chunk_check_idle(const bst_zone_t *z, uint32_t j, bool full,
                                           bst_presence_t *pr)
{
	unsigned st = bst_state_get(z, j);
	if (st == BST_STATE_USED)
		return 0; /* its owner's business: not even its tail is read */
	uintptr_t q = z->user + (uintptr_t)j * z->size;
	/* A guarded canary chunk's inner pages cannot be read, its tail
	 * among them when it ends on a page boundary: only its edges are. */
	uintptr_t glo = 0, ghi = 0;
	bool guard = st == BST_STATE_CANARY && bst_canary_guard(z, q, &glo, &ghi);
	bool tail_hidden = guard && ghi == q + z->size;
	uint64_t t = tail_hidden ? canary_chunk_word(z, q) : tail_of(z, q);
	bool ok = true, purged = false;
	if (st == BST_STATE_FREED) {
		/* Wiped and tagged freed: then its contents must read as zero. A
		 * live kind's canary means a free still wiping it or a hand-out
		 * writing its new canary (the state is re-read below): its
		 * contents are not ours to judge yet. None of these values can be
		 * forged without the zone secret. */
		if (t == freed_canary(z, q))
			ok = !full || !bst_g.opt.wipe ||
			     wiped(z, q, z->size - BST_CANARY_SIZE,
			           bst_fill_word(bst_g.opt.free_fill), pr);
		else
			ok = is_kind_canary(z, q, t);
	} else if (st == BST_STATE_CANARY) {
		uint64_t v = canary_chunk_word(z, q);
		ok = t == v;
		if (ok && full && guard)
			ok = bst_words_are((const void *)q, glo - q, v) &&
			     bst_words_are((const void *)ghi, q + z->size - ghi, v);
		else if (ok && full)
			ok = bst_words_are((const void *)q, z->size, v);
	} else if (j < atomic_load_explicit(&z->frontier, memory_order_relaxed)) {
		/* Zero; or, while another thread hands it out or purges it, the
		 * canary it is getting or the one it held: values only the zone
		 * secret gives. */
		ok = t == 0 || is_kind_canary(z, q, t) || t == freed_canary(z, q) ||
		     t == canary_chunk_word(z, q);
		/* On a page given back since the zone last emptied, it may be a
		 * freed chunk a purge moved here: its body must read as zero
		 * too. (Only callers that hold the zone lock ask for full.) */
		if (ok && t == 0 && full && bst_zone_chunk_tainted(z, j)) {
			purged = true;
			ok = bst_words_are((const void *)q, z->size - BST_CANARY_SIZE, 0);
		}
	}
	/* The state may have changed while we looked (a chunk handed out or
	 * freed by another thread): only a stable state is a finding. A
	 * hand-out writes the new tail before anything in the body, so a body
	 * that changed under us shows as a changed tail. */
	atomic_thread_fence(memory_order_acquire);
	if (ok || bst_state_get(z, j) != st || (!tail_hidden && tail_of(z, q) != t))
		return 0;
	char msg[160];
	bool wiped = st == BST_STATE_FREED && t == freed_canary(z, q);
	const char *what = st == BST_STATE_FREED    ? "freed chunk was overwritten"
	                   : st == BST_STATE_CANARY ? "canary chunk was overwritten"
	                   : purged ? "chunk was written to after its pages were given back"
	                            : "never-used chunk was overwritten";
	if (wiped || purged)
		what =
		    fill_detail(msg, sizeof(msg), what, (const void *)q, z->size - BST_CANARY_SIZE,
		                purged ? 0 : (unsigned)bst_g.opt.free_fill);
	return bst_problem(true, wiped || purged ? BST_E_WRITE_AFTER_FREE : BST_E_CANARY_CORRUPTED,
	                   what, (void *)q, z->size);
}

/* Live chunks' slack patterns are read while their owners may resize or
 * free them: racy reads on purpose, settled by the re-reads. The zone lock
 * is held throughout, so the zone cannot empty and become inaccessible
 * under the walk; hand-outs and frees go on meanwhile. Without never,
 * never-used chunks are skipped (reading them would fault in pages nobody
 * used) unless they lie on a page given back since the zone last emptied:
 * those may be freed chunks a purge moved to "never used". */
BST_RACY_READS size_t bst_zone_verify_one(bst_zone_t *z, bool never)
{
	size_t problems = 0;
	bst_presence_t pr = {.known = 0};
	bst_lock(&z->lock);
	uint32_t frontier = atomic_load_explicit(&z->frontier, memory_order_relaxed);
	for (uint32_t j = 0; j < frontier; j++) {
		uintptr_t q = z->user + (uintptr_t)j * z->size;
		unsigned st = bst_state_get(z, j);
		if (st != BST_STATE_USED) {
			/* A never-used chunk none of whose pages holds data
			 * reads as zero, as it must: not read. */
			if (st == BST_STATE_NEVER && ((!never && !bst_zone_chunk_tainted(z, j)) ||
			                              !bst_chunk_may_hold_data(z, j, &pr)))
				continue;
			problems += bst_chunk_check_idle(z, j, true, &pr);
			continue;
		}
		/* A freed tail: freed, and perhaps handed out again, between our
		 * reads; an overflow cannot write it. A tail or slack pattern that
		 * changed while we read it: a realloc or free under way, so only
		 * a stable finding counts. */
		uint64_t t = tail_of(z, q);
		if (t == freed_canary(z, q))
			continue;
		uint64_t ck;
		uint32_t slack = live_slack(z, q, t, &ck);
		bool ok = slack != UINT32_MAX &&
		          bst_slack_ok(z, (const void *)q, z->size - BST_CANARY_SIZE - slack, ck);
		atomic_thread_fence(memory_order_acquire);
		char msg[160];
		if (!ok && bst_state_get(z, j) == BST_STATE_USED && tail_of(z, q) == t)
			problems += bst_problem(
			    true, BST_E_CANARY_CORRUPTED,
			    slack == UINT32_MAX
			        ? tail_detail(msg, sizeof(msg),
			                      "live chunk overflowed past its usable size", z)
			        : slack_detail(
			              msg, sizeof(msg), "live chunk overflowed past its request", z,
			              (const void *)q, z->size - BST_CANARY_SIZE - slack, ck),
			    (void *)q, z->size);
	}
	bst_unlock(&z->lock);
	return problems;
}
