/*
 * Large allocations: requests above the biggest size class (or with an
 * alignment no class gives). Each one is its own mapping:
 *
 *     [guard page][data pages: head slack, usable bytes, tail slack][guard page]
 *
 * The usable bytes are exactly the requested ones, and a new block ends
 * against its trailing guard page, as near as its alignment (16 bytes or
 * more) allows: an overflow faults at once past the few bytes of tail
 * slack. Both slacks hold the block's pattern (byte-exact bounds), checked
 * at free, realloc and bastion_verify, so an overflow into the tail slack
 * or an underflow into the head slack is reported too. A realloc keeps the
 * block's offset in its first page, so after one the tail slack may be up
 * to a page: caught by the pattern, not at the write.
 *
 * Freed spans stay reserved and inaccessible for a while (the
 * virtual-memory quarantine below), so a stale pointer faults and a second
 * free is a double free rather than the free of someone else's block.
 *
 * The record (address, usable size, mapping) lives out of line in a hash
 * table split into shards, each with its own lock and its own guarded
 * mapping, so lookups from different threads rarely meet. realloc moves
 * pages with mremap instead of copying them.
 */
#include <errno.h>
#include <string.h>

#include "bastion.h"
#include "internal.h"

#define SHARDS    16
#define EMPTY     ((uintptr_t)0)
#define TOMBSTONE ((uintptr_t)1)

typedef struct {
	uintptr_t key; /* data address, or EMPTY / TOMBSTONE */
	size_t usable; /* bytes the program may use; the canary follows */
	uintptr_t map; /* whole mapping, guard pages included */
	size_t map_size;
	uint8_t kind;  /* BST_KIND_*, folded into the canary */
	uint8_t flags; /* BST_LARGE_* */
	uint8_t freed; /* in the virtual-memory quarantine: inaccessible */
} large_rec_t;

typedef struct {
	bst_lock_t lock;
	large_rec_t *tab;
	size_t cap;  /* power of two, or 0 before first use */
	size_t used; /* live records plus tombstones */
} __attribute__((aligned(64))) shard_t;

static shard_t shards[SHARDS];

static uint64_t hash(uintptr_t k)
{
	return (uint64_t)(k >> 12) * 0x9e3779b97f4a7c15ull;
}

/* The shard comes from the top 4 bits of the hash, the slot from the 32
 * below them: the low bits of a multiplicative hash repeat for aligned
 * addresses. */
static shard_t *shard_of(uintptr_t k)
{
	return &shards[hash(k) >> 60];
}

static size_t slot_of(uintptr_t k, size_t cap)
{
	return (size_t)(hash(k) >> 28) & (cap - 1);
}

static size_t page_round(size_t n)
{
	return (n + BST_PAGE - 1) & ~(BST_PAGE - 1);
}

/* The data pages of a record: a sampled block's mapping is its data page;
 * a large span has a guard page on each side. */
static void data_of(const large_rec_t *r, uintptr_t *addr, size_t *len)
{
	bool sampled = r->flags & BST_LARGE_SAMPLED;
	*addr = sampled ? r->map : r->map + BST_PAGE;
	*len = sampled ? r->map_size : r->map_size - 2 * BST_PAGE;
}

/* The slack pattern of the block at data: no zero byte, and only the
 * large secret gives it. */
static uint64_t pattern_of(uintptr_t data)
{
	return bst_canary_mix(bst_g.large_secret, data) | 0x0101010101010101ull;
}

__attribute__((always_inline)) static inline bool canary_ok(const large_rec_t *r)
{
	uintptr_t a;
	size_t len;
	data_of(r, &a, &len);
	uint64_t v = pattern_of(r->key);
	uintptr_t t = r->key + r->usable, end = a + len;
	/* The tail slack's second byte is zero (see write_canary). */
	if (t + 1 < end && *(const volatile char *)(t + 1) != 0)
		return false;
	if (t == end)
		return bst_pattern_ok(a, r->key, v);
	return bst_pattern_ok(a, r->key, v) && bst_pattern_ok(t, t + 1, v) &&
	       bst_pattern_ok(t + 2, end, v);
}

/* Checks r against the kind it is released as: slack patterns first (an
 * overflow or underflow), then the kind the record keeps (a mismatched
 * deallocation). */
/* The report of a broken slack pattern: which side, and the first changed
 * byte counted from the block's start (after it) or back from it (before
 * it). Cold: reads byte by byte. */
BST_NORETURN BST_COLD static void report_slack(const large_rec_t *r)
{
	uintptr_t a;
	size_t len;
	data_of(r, &a, &len);
	uint64_t v = pattern_of(r->key);
	uintptr_t t = r->key + r->usable, end = a + len;
	char msg[160];
	size_t at = 0, cap = sizeof(msg) - 1;
	for (uintptr_t b = t; b < end; b++) {
		unsigned char want = b == t + 1 ? 0 : (unsigned char)(v >> 8 * (b & 7));
		if (*(const unsigned char *)b == want)
			continue;
		at = bst_append(msg, at, cap, "large allocation overflowed its request of ");
		at = bst_append_dec(msg, at, cap, r->usable);
		at = bst_append(msg, at, cap, " bytes: byte ");
		at = bst_append_dec(msg, at, cap, b - r->key);
		at = bst_append(msg, at, cap, " changed");
		msg[at] = 0;
		bst_fatal(BST_E_CANARY_CORRUPTED, msg, (void *)r->key, r->usable);
	}
	uintptr_t b = r->key;
	while (b > a && *(const unsigned char *)(b - 1) == (unsigned char)(v >> 8 * ((b - 1) & 7)))
		b--;
	at = bst_append(msg, at, cap, "large allocation underflowed its start: byte ");
	at = bst_append_dec(msg, at, cap, r->key - (b - 1));
	at = bst_append(msg, at, cap, " before it changed");
	msg[at] = 0;
	bst_fatal(BST_E_CANARY_CORRUPTED, msg, (void *)r->key, r->usable);
}

static void check_canary(const large_rec_t *r, unsigned kind)
{
	if (bst_unlikely(!canary_ok(r)))
		report_slack(r);
	if (r->kind != kind)
		bst_fatal(BST_E_ALLOC_DEALLOC_MISMATCH,
		          "large block released by the wrong function", (void *)r->key, 0);
}

static void write_canary(const large_rec_t *r)
{
	uintptr_t a;
	size_t len;
	data_of(r, &a, &len);
	uint64_t v = pattern_of(r->key);
	uintptr_t t = r->key + r->usable, end = a + len;
	bst_pattern_fill(a, r->key, v);
	bst_pattern_fill(t, end, v);
	/* Zero after the first byte past the block, as in a zone chunk's
	 * slack: a string read past the end stops there. */
	if (t + 1 < end)
		*(char *)(t + 1) = 0;
}

/* Option alloc_fill: the new block's bytes, so that reads of memory never
 * written show (at most the first BST_FILL_MAX). */
static void fill_new(const large_rec_t *r)
{
	if (bst_g.opt.alloc_fill != 0)
		bst_wipe((void *)r->key, (int)bst_g.opt.alloc_fill,
		         r->usable < BST_FILL_MAX ? r->usable : BST_FILL_MAX);
}

/* Where a block of size bytes aligned to align starts in data pages
 * [a, end): as late as the alignment allows. */
static uintptr_t block_start(uintptr_t end, size_t size, size_t align)
{
	size_t m = align > BST_MIN_ALIGN ? align : BST_MIN_ALIGN;
	return (end - size) & ~(uintptr_t)(m - 1);
}

static large_rec_t *find(shard_t *s, uintptr_t k)
{
	if (!s->cap)
		return NULL;
	for (size_t i = slot_of(k, s->cap);; i = (i + 1) & (s->cap - 1)) {
		if (s->tab[i].key == k)
			return &s->tab[i];
		if (s->tab[i].key == EMPTY)
			return NULL;
	}
}

static void put(large_rec_t *tab, size_t cap, const large_rec_t *r)
{
	size_t i = slot_of(r->key, cap);
	while (tab[i].key > TOMBSTONE)
		i = (i + 1) & (cap - 1);
	tab[i] = *r;
}

/* Inserts r; false when the table cannot grow. Shard lock held. */
static bool insert(shard_t *s, const large_rec_t *r)
{
	if ((s->used + 1) * 4 > s->cap * 3) {
		size_t live = 0;
		for (size_t i = 0; i < s->cap; i++)
			live += s->tab[i].key > TOMBSTONE;
		size_t ncap = 256;
		while (ncap < (live + 1) * 4)
			ncap *= 2;
		large_rec_t *nt = bst_os_map_guarded(ncap * sizeof(large_rec_t));
		if (!nt)
			return false;
		bst_os_name(nt, ncap * sizeof(large_rec_t), "bastion large records");
		for (size_t i = 0; i < s->cap; i++)
			if (s->tab[i].key > TOMBSTONE)
				put(nt, ncap, &s->tab[i]);
		if (s->cap)
			bst_os_unmap_guarded(s->tab, s->cap * sizeof(large_rec_t));
		s->tab = nt;
		s->cap = ncap;
		s->used = live;
	}
	put(s->tab, s->cap, r);
	s->used++;
	return true;
}

/* Inserts r under its shard's lock; false when the table cannot grow. */
static bool record(const large_rec_t *r)
{
	shard_t *s = shard_of(r->key);
	bst_lock(&s->lock);
	bool ok = insert(s, r);
	bst_unlock(&s->lock);
	return ok;
}

/* A random page-aligned address between 1 TiB and 64 TiB: large spans are
 * placed at random per allocation when the range is free. */
static uintptr_t random_hint(void)
{
	bst_rng_t *rng = bst_thread_rng();
	uint64_t r;
	if (rng)
		r = bst_rng_u64(rng);
	else
		bst_random_bytes(&r, sizeof(r));
	return ((uintptr_t)1 << 40) + ((r % (63ull << 28)) << 12);
}

static void quarantine_flush(void);

/* Reserves a span at a random place. When the address space is exhausted
 * (RLIMIT_AS), spans held only by the virtual-memory quarantine are given
 * back first: running out is worse than reusing addresses sooner. */
static char *reserve(size_t span)
{
	char *base = bst_os_reserve(span, BST_PAGE, random_hint(), true);
	if (!base) {
		quarantine_flush();
		base = bst_os_reserve(span, BST_PAGE, random_hint(), true);
	}
	return base;
}

/* Spans of at least HUGE_MIN data bytes start their data on a 2 MiB
 * boundary and ask for transparent huge pages: on a 4 KiB page each first
 * touch is a fault (13 us apiece measured on a VM), so touching 32 MiB cost
 * 108 ms in small pages against 2 ms in huge ones. The alignment takes 9
 * bits of the placement's page-granular randomness (about 36 remain). */
#define HUGE_MIN ((size_t)2 << 20)

/* New data pages of a large block below HUGE_MIN are faulted in with one
 * call (10.5 us a fault against 0.6 us a page populated, and 4.9 us at
 * its first touch, on a VM): the first POPULATE_HEAD bytes, which a
 * program writes first, and the whole block while the program has been
 * seen to use its large blocks whole. Populating every block whole made
 * git status peak at 10.0 MB instead of 8.4 MB (glibc 5.2): programs
 * often leave the end of a big buffer untouched. Populating only the head
 * made a 200 KiB block that is written whole cost 685 us a malloc, fill
 * and free, against 469 us populated whole (1 MiB: 2.9 ms against 1.6). */
#define POPULATE_HEAD ((size_t)64 * 1024)

/* How much of its large blocks the program uses: a moving average, in
 * 256ths, of the share of a freed block's data pages that are resident at
 * its free (mincore), over blocks above POPULATE_HEAD and below HUGE_MIN.
 * It starts at 0 (populate the head only) and reaches USE_WHOLE after
 * five blocks used whole. Updated without a lock: a lost update only
 * delays the average. */
#define USE_SHIFT 2 /* each free moves the average a quarter of the way */
#define USE_WHOLE 192u
static _Atomic uint32_t large_use;

static void populate_new(void *p, size_t n)
{
	bool whole = atomic_load_explicit(&large_use, memory_order_relaxed) >= USE_WHOLE;
	bst_os_populate(p, whole || n < POPULATE_HEAD ? n : POPULATE_HEAD);
}

/* Adds the data pages [p, p + n) of a block being freed to large_use. */
static void note_use(const void *p, size_t n)
{
	if (n <= POPULATE_HEAD || n >= HUGE_MIN)
		return;
	uint32_t share = (uint32_t)(bst_os_resident(p, n) * 256 / n);
	uint32_t old = atomic_load_explicit(&large_use, memory_order_relaxed);
	uint32_t avg = old - (old >> USE_SHIFT) + (share >> USE_SHIFT);
	atomic_store_explicit(&large_use, avg, memory_order_relaxed);
}

static size_t data_align(size_t data, size_t align)
{
	return data >= HUGE_MIN && align < HUGE_MIN ? HUGE_MIN : align;
}

/* Reserves, at a random place, a span holding data bytes aligned to align
 * with a guard page on each side, and trims what the alignment did not
 * need. Returns the data address (0 on failure) and the mapping. flush:
 * may empty the virtual-memory quarantine to find address space. */
static uintptr_t place(size_t data, size_t align, bool flush, uintptr_t *map, size_t *map_size)
{
	size_t slack = align > BST_PAGE ? align - BST_PAGE : 0;
	size_t span = data + 2 * BST_PAGE + slack;
	char *base = flush ? reserve(span) : bst_os_reserve(span, BST_PAGE, random_hint(), true);
	if (!base)
		return 0;
	uintptr_t d = (uintptr_t)base + BST_PAGE;
	if (slack)
		d = (d + align - 1) & ~(uintptr_t)(align - 1);
	uintptr_t m = d - BST_PAGE, m_end = d + data + BST_PAGE;
	if (m > (uintptr_t)base)
		bst_os_release(base, m - (uintptr_t)base);
	if ((uintptr_t)base + span > m_end)
		bst_os_release((void *)m_end, (uintptr_t)base + span - m_end);
	*map = m;
	*map_size = m_end - m;
	return d;
}

/* Sampled blocks live in one 1 GiB region reserved at start-up, in
 * two-page slots (data page, guard page) picked at random. Pages are made
 * accessible and inaccessible in place, so the page tables stay: a fresh
 * random mapping per sample cost ~170 us in page-table set-up and TLB
 * shootdowns. */
#define SAMPLE_SLOTS ((size_t)1 << 17)
/* Each live sampled page splits the region into two more kernel mappings;
 * past this many the process would run into vm.max_map_count (65530) and
 * unrelated mmaps would fail, so further samples fall back to zones. */
#define SAMPLE_LIVE_MAX ((size_t)8192)
/* Sampled blocks above a page (sample_max_bytes beyond 4096, as in the
 * fuzzing profile) get a span of their own: three kernel mappings each,
 * live or in the quarantine. Past this many, further such samples come
 * from zones: profile=fuzz with 22,600 live blocks of 5,000 bytes reached
 * vm.max_map_count, and malloc and unrelated calls (fopen) failed. */
#define SAMPLE_SPANS_MAX ((size_t)4096)
static _Atomic size_t sample_spans;

static bst_lock_t sample_lock;
static uintptr_t sample_base; /* set once at init; 0 if unavailable */
static uint64_t sample_used[SAMPLE_SLOTS / 64];
static size_t sample_count;

void bst_large_init(void)
{
	if (!bst_g.opt.sample_rate)
		return;
	void *b = bst_os_reserve(SAMPLE_SLOTS * 2 * BST_PAGE, BST_PAGE, random_hint(), false);
	sample_base = (uintptr_t)b;
}

static uintptr_t sample_slot_take(void)
{
	uintptr_t page = 0;
	uint32_t r;
	bst_rng_t *rng = bst_thread_rng();
	if (rng)
		r = bst_rng_u32(rng);
	else
		bst_random_bytes(&r, sizeof(r));
	bst_lock(&sample_lock);
	if (sample_base && sample_count < SAMPLE_LIVE_MAX) {
		size_t w = (r % SAMPLE_SLOTS) / 64;
		while (sample_used[w] == ~0ull)
			w = (w + 1) % (SAMPLE_SLOTS / 64);
		size_t slot = w * 64 + (size_t)__builtin_ctzll(~sample_used[w]);
		sample_used[w] |= 1ull << (slot & 63);
		sample_count++;
		page = sample_base + slot * 2 * BST_PAGE;
	}
	bst_unlock(&sample_lock);
	return page;
}

static void sample_slot_give(uintptr_t page)
{
	size_t slot = (page - sample_base) / (2 * BST_PAGE);
	bst_lock(&sample_lock);
	sample_used[slot / 64] &= ~(1ull << (slot & 63));
	sample_count--;
	bst_unlock(&sample_lock);
}

/* A sampled block: its bytes end at the slot's guard page (or as near as
 * the alignment, at most a page, allows); the slack around them holds the
 * pattern, as a large block's does. */
static void *sample_alloc(size_t size, size_t align, unsigned kind)
{
	uintptr_t page = sample_slot_take();
	if (!page)
		return NULL;
	if (!bst_os_commit((void *)page, BST_PAGE)) {
		sample_slot_give(page);
		return NULL;
	}
	bst_os_populate((void *)page, BST_PAGE); /* cheaper than the first-touch fault */
	uintptr_t key = block_start(page + BST_PAGE, size, align);
	large_rec_t r = {key, size, page, BST_PAGE, (uint8_t)kind, BST_LARGE_SAMPLED, 0};
	write_canary(&r);
	fill_new(&r);
	if (record(&r))
		return (void *)key;
	bst_os_decommit((void *)page, BST_PAGE);
	sample_slot_give(page);
	return NULL;
}

void *bst_large_alloc(size_t size, size_t align, unsigned kind, unsigned flags)
{
	/* Bounds size + align, so no sum below can wrap. */
	if (align > BST_MAX_REQUEST || size > BST_MAX_REQUEST - align) {
		errno = ENOMEM;
		return NULL;
	}
	if (flags & BST_LARGE_SAMPLED)
		return sample_alloc(size, align, kind);
	bool span_sample = flags & BST_LARGE_SAMPLE_SPAN;
	if (span_sample &&
	    atomic_fetch_add_explicit(&sample_spans, 1, memory_order_relaxed) >= SAMPLE_SPANS_MAX) {
		atomic_fetch_sub_explicit(&sample_spans, 1, memory_order_relaxed);
		return NULL; /* the caller takes a zone chunk; errno untouched */
	}
	size_t data = page_round(size);
	uintptr_t map;
	size_t map_size;
	uintptr_t d = place(data, data_align(data, align), true, &map, &map_size);
	if (!d) {
		if (span_sample)
			atomic_fetch_sub_explicit(&sample_spans, 1, memory_order_relaxed);
		errno = ENOMEM;
		return NULL;
	}
	large_rec_t r = {
	    block_start(d + data, size, align),       size, map, map_size, (uint8_t)kind,
	    (uint8_t)(flags & BST_LARGE_SAMPLE_SPAN), 0};
	if (!bst_os_commit((void *)d, data))
		goto fail;
	if (data >= HUGE_MIN)
		bst_os_hugepages((void *)d, data);
	else
		populate_new((void *)d, data);
	bst_os_name((void *)d, data, "bastion large");
	write_canary(&r);
	fill_new(&r);
	if (record(&r))
		return (void *)r.key;
fail:
	bst_os_release((void *)map, map_size);
	if (span_sample)
		atomic_fetch_sub_explicit(&sample_spans, 1, memory_order_relaxed);
	errno = ENOMEM;
	return NULL;
}

/* The virtual-memory quarantine: freed spans stay mapped PROT_NONE, their
 * records marked freed, for the last opt.large_quarantine frees. A second
 * free of one is a double free; any access faults; the address is not
 * handed out again until the span leaves the FIFO and is unmapped. */
#define VMQ_MAX 4096
static bst_lock_t vmq_lock;
static uintptr_t vmq[VMQ_MAX]; /* keys, oldest at vmq_head */
static uint32_t vmq_head, vmq_count;

/* Removes the record of key (freed) and unmaps its span. */
static void forget(uintptr_t key)
{
	shard_t *s = shard_of(key);
	bst_lock(&s->lock);
	large_rec_t *rp = find(s, key);
	large_rec_t r = rp ? *rp : (large_rec_t){0};
	if (rp)
		rp->key = TOMBSTONE;
	bst_unlock(&s->lock);
	if (!rp)
		return;
	if (r.flags & BST_LARGE_SAMPLED)
		sample_slot_give(r.map); /* already inaccessible */
	else
		bst_os_release((void *)r.map, r.map_size);
	if (r.flags & BST_LARGE_SAMPLE_SPAN)
		atomic_fetch_sub_explicit(&sample_spans, 1, memory_order_relaxed);
}

static void quarantine(const large_rec_t *r)
{
	uint32_t max = (uint32_t)bst_g.opt.large_quarantine;
	uintptr_t out = 0;
	bst_lock(&vmq_lock);
	if (max && vmq_count >= max) {
		out = vmq[vmq_head];
		vmq_head = (vmq_head + 1) % VMQ_MAX;
		vmq_count--;
	}
	if (max)
		vmq[(vmq_head + vmq_count++) % VMQ_MAX] = r->key;
	bst_unlock(&vmq_lock);
	if (out)
		forget(out);
	if (!max)
		forget(r->key);
}

static void quarantine_flush(void)
{
	for (;;) {
		uintptr_t out = 0;
		bst_lock(&vmq_lock);
		if (vmq_count) {
			out = vmq[vmq_head];
			vmq_head = (vmq_head + 1) % VMQ_MAX;
			vmq_count--;
		}
		bst_unlock(&vmq_lock);
		if (!out)
			return;
		forget(out);
	}
}

bool bst_large_free(void *p, unsigned kind)
{
	shard_t *s = shard_of((uintptr_t)p);
	bst_lock(&s->lock);
	large_rec_t *rp = find(s, (uintptr_t)p);
	if (!rp) {
		bst_unlock(&s->lock);
		return false;
	}
	if (rp->freed) {
		bst_unlock(&s->lock);
		bst_fatal(BST_E_DOUBLE_FREE, "large allocation is already free", p, 0);
	}
	check_canary(rp, kind);
	rp->freed = 1;
	large_rec_t r = *rp;
	bst_unlock(&s->lock);
	/* Give the memory back, keep the addresses: PROT_NONE until it leaves
	 * the quarantine. */
	uintptr_t data;
	size_t len;
	data_of(&r, &data, &len);
	if (!(r.flags & BST_LARGE_SAMPLED))
		note_use((void *)data, len);
	bst_os_decommit((void *)data, len);
	quarantine(&r);
	return true;
}

bool bst_large_info(const void *p, bst_large_info_t *info, const char *freed_use)
{
	shard_t *s = shard_of((uintptr_t)p);
	bst_lock(&s->lock);
	large_rec_t *r = find(s, (uintptr_t)p);
	bool freed = r && r->freed;
	if (r) {
		info->usable = r->usable;
		info->kind = r->kind;
		info->flags = r->flags;
	}
	bst_unlock(&s->lock);
	/* realloc frees the block it is given: of a freed one, that is a
	 * double free, as for a zone chunk. */
	if (freed && freed_use)
		bst_fatal(strcmp(freed_use, "realloc") == 0 ? BST_E_DOUBLE_FREE
		                                            : BST_E_USE_AFTER_FREE,
		          strcmp(freed_use, "realloc") == 0 ? "realloc of a freed large allocation"
		                                            : "large allocation was freed",
		          p, 0);
	return r != NULL && !freed;
}

/* The slack's partial words hold bytes of live blocks that their owners
 * may be writing: racy reads on purpose, masked out of the check. */
BST_RACY_READS size_t bst_large_verify(void)
{
	size_t problems = 0;
	for (int i = 0; i < SHARDS; i++) {
		shard_t *s = &shards[i];
		bst_lock(&s->lock);
		for (size_t k = 0; k < s->cap; k++) {
			large_rec_t *r = &s->tab[k];
			if (r->key > TOMBSTONE && !r->freed && !canary_ok(r)) {
				bst_unlock(&s->lock);
				problems +=
				    bst_problem(true, BST_E_CANARY_CORRUPTED,
				                "large allocation overflowed its requested size",
				                (void *)r->key, 0);
				bst_lock(&s->lock);
			}
		}
		bst_unlock(&s->lock);
	}
	return problems;
}

/* The records are read under shard locks taken with one attempt each: a
 * thread stopped while holding one must not hang the crash report. */
bool bst_large_describe(uintptr_t a, bst_large_fault_t *out)
{
	for (int i = 0; i < SHARDS; i++) {
		shard_t *s = &shards[i];
		if (!bst_trylock(&s->lock))
			continue;
		for (size_t k = 0; k < s->cap; k++) {
			const large_rec_t *r = &s->tab[k];
			bool sampled = r->flags & BST_LARGE_SAMPLED;
			/* A sampled block's mapping is its page; its guard follows. */
			uintptr_t end = r->map + r->map_size + (sampled ? BST_PAGE : 0);
			if (r->key <= TOMBSTONE || a < r->map || a >= end)
				continue;
			*out = (bst_large_fault_t){r->key, r->usable, r->freed, sampled};
			bst_unlock(&s->lock);
			return true;
		}
		bst_unlock(&s->lock);
	}
	return false;
}

/* Grows live span r to data bytes where it lies, if the pages after its
 * trailing guard page are free: they are reserved, the old guard and all
 * but the last new page become data, and the last is the new guard. Three
 * system calls and no page moves, against seven for a move to a new
 * place. The block keeps its address, which was random when it was
 * placed. Shard lock held. */
static bool grow_in_place(large_rec_t *r, size_t data)
{
	size_t old_data = r->map_size - 2 * BST_PAGE, delta = data - old_data;
	uintptr_t start = r->map + BST_PAGE, end = r->map + r->map_size, guard = start + old_data;
	if (!bst_os_reserve_at((void *)end, delta))
		return false;
	if (!bst_os_commit((void *)guard, delta)) {
		bst_os_release((void *)end, delta);
		return false;
	}
	if (data >= HUGE_MIN)
		bst_os_hugepages((void *)start, data);
	else
		populate_new((void *)guard, delta);
	bst_os_name((void *)start, data, "bastion large");
	r->map_size += delta;
	return true;
}

void *bst_large_realloc(void *p, size_t size)
{
	if (size > BST_MAX_REQUEST) {
		errno = ENOMEM;
		return NULL;
	}
	uintptr_t k = (uintptr_t)p;
	shard_t *s = shard_of(k);
	bst_lock(&s->lock);
	large_rec_t *rp = find(s, k);
	if (!rp || rp->freed) {
		bst_unlock(&s->lock);
		if (rp)
			bst_fatal(BST_E_DOUBLE_FREE, "realloc of a freed large allocation", p, 0);
		bst_fatal(BST_E_INVALID_FREE, "realloc of a pointer bastion did not allocate", p,
		          0);
	}
	check_canary(rp, BST_KIND_MALLOC);
	/* The block keeps its offset in its first page: the pages move, the
	 * bytes in them do not. */
	uintptr_t start = rp->map + BST_PAGE;
	size_t old_data = rp->map_size - 2 * BST_PAGE, data = page_round(k - start + size);
	/* Bytes the block grows into held the tail slack's pattern: they read
	 * as zero instead (new pages do already). */
	if (size > rp->usable) {
		uintptr_t from = k + rp->usable, to = start + old_data;
		if (k + size < to)
			to = k + size;
		memset((void *)from, 0, to - from);
	}
	if (data <= old_data) {
		if (data < old_data) {
			/* The first page past the new end becomes the guard; the rest,
			 * old guard included, goes back to the OS. */
			uintptr_t guard = start + data, end = rp->map + rp->map_size;
			bst_os_decommit((void *)guard, BST_PAGE);
			bst_os_release((void *)(guard + BST_PAGE), end - guard - BST_PAGE);
			rp->map_size = data + 2 * BST_PAGE;
		}
		rp->usable = size;
		write_canary(rp);
		bst_unlock(&s->lock);
		return p;
	}
	if (grow_in_place(rp, data)) {
		rp->usable = size;
		write_canary(rp);
		bst_unlock(&s->lock);
		return p;
	}
	/* Grow elsewhere: reserve the new mapping, then move the pages into
	 * it. No quarantine flush here: it takes shard locks and we hold one.
	 * On failure the caller falls back to allocate, copy and free, whose
	 * reservation may flush. */
	uintptr_t map;
	size_t span;
	uintptr_t d = place(data, data_align(data, BST_PAGE), false, &map, &span);
	if (!d || !bst_os_move((void *)start, old_data, (void *)d, data)) {
		if (d)
			bst_os_release((void *)map, span);
		write_canary(rp); /* the tail slack cleared above, as it was */
		bst_unlock(&s->lock);
		errno = ENOMEM;
		return NULL;
	}
	void *moved = (void *)(d + (k - start));
	if (data >= HUGE_MIN)
		bst_os_hugepages((void *)d, data);
	else
		populate_new((void *)(d + old_data), data - old_data);
	large_rec_t r = *rp;
	rp->key = TOMBSTONE;
	bst_unlock(&s->lock);
	/* The old data pages moved; only the old guard pages remain. */
	bst_os_release((void *)r.map, BST_PAGE);
	bst_os_release((void *)(start + old_data), BST_PAGE);
	r.key = (uintptr_t)moved;
	r.usable = size;
	r.map = map;
	r.map_size = span;
	write_canary(&r);
	if (!record(&r))
		bst_fatal(BST_E_OUT_OF_METADATA, "cannot record a moved large allocation", moved,
		          0);
	return moved;
}

/* mincore runs under the shard lock: the spans cannot be unmapped under
 * it, and it neither allocates nor takes a lock of ours. */
void bst_large_stats(struct bastion_stats *out)
{
	for (int i = 0; i < SHARDS; i++) {
		shard_t *s = &shards[i];
		bst_lock(&s->lock);
		for (size_t k = 0; k < s->cap; k++) {
			const large_rec_t *r = &s->tab[k];
			if (r->key <= TOMBSTONE)
				continue;
			if (r->freed) {
				out->large.quarantined++;
				continue;
			}
			uintptr_t data;
			size_t len;
			data_of(r, &data, &len);
			size_t resident = bst_os_resident((const void *)data, len);
			if (r->flags & BST_LARGE_SAMPLED) {
				out->sampled.count++;
				out->sampled.bytes_in_use += r->usable;
				out->sampled.bytes_mapped += len;
				out->sampled.bytes_resident += resident;
			} else {
				out->large.count++;
				out->large.bytes_in_use += r->usable;
				out->large.bytes_mapped += len;
				out->large.bytes_resident += resident;
			}
		}
		bst_unlock(&s->lock);
	}
}

void bst_large_lock_all(void)
{
	bst_lock(&sample_lock);
	bst_lock(&vmq_lock);
	for (int i = 0; i < SHARDS; i++)
		bst_lock(&shards[i].lock);
}

void bst_large_unlock_all(void)
{
	for (int i = SHARDS; i-- > 0;)
		bst_unlock(&shards[i].lock);
	bst_unlock(&vmq_lock);
	bst_unlock(&sample_lock);
}

void bst_large_reset_locks(void)
{
	for (int i = 0; i < SHARDS; i++)
		bst_lock_reset(&shards[i].lock);
	bst_lock_reset(&vmq_lock);
	bst_lock_reset(&sample_lock);
}
