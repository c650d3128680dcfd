/*
 * libFuzzer harness for the bastion_ prefixed API.
 *
 * The input is decoded into a sequence of operations (allocate with one of
 * the nine allocating functions, realloc, reallocarray, free in one of three
 * ways, malloc_usable_size, refill, check, bastion_verify; and on up to three
 * private zones, each created on first use with an object size from the
 * input: allocate, destroy, protect). A shadow model of up to 64 live
 * allocations (pointer, requested size, alignment, pattern seed, zeroed, the
 * zone if any) is checked after every step:
 *   - a returned pointer is aligned as asked, and to 16;
 *   - malloc_usable_size >= the requested size (heap blocks only: asking
 *     about a zone object is a misuse);
 *   - a new block overlaps no live one (a zone object spans its object
 *     size), and no zone object shares a 4 MiB zone slot with a heap block
 *     or with an object of another zone;
 *   - contents (a pattern from the seed over the requested size, or zeros
 *     for calloc and fresh zone objects) are intact before free, after
 *     realloc (the min(old, new) prefix), before a zone is destroyed and
 *     after it is unprotected;
 *   - invalid requests (zone sizes 0 and above 131064, unknown flags) return
 *     NULL / an error number with errno as the header documents, and change
 *     nothing; a protected zone's alloc fails with EACCES;
 *   - bastion_verify() returns 0, also while a zone is protected.
 * The harness only ever frees live pointers with the size and alignment they
 * were requested with, zone objects through bastion_zone_free with their
 * own zone, and destroys every zone at the end of each input, so any
 * "bastion: ..." abort is a finding. A shadow violation prints what failed
 * and calls abort().
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bastion.h"
#include "common.h"

#define SLOTS        64
#define VERIFY_EVERY 128
#define MAX_OPS      512
#define NZONES       3
#define ZONE_MAX_OBJ ((size_t)131064)       /* the largest valid object size */
#define ZSLOT(a)     ((uintptr_t)(a) >> 22) /* the 4 MiB zone slot of an address */

typedef struct {
	unsigned char *p;
	size_t size;  /* requested size (what free_sized gets) */
	size_t align; /* 0: plain (malloc family); else free_aligned_sized's */
	uint32_t seed;
	bool zeroed; /* contents are expected to be zero (calloc) */
	bool live;
	uint8_t zone; /* 0: a heap block; k + 1: an object of zones[k] */
	const char *how;
} slot_t;

typedef struct {
	bastion_zone_t *z; /* NULL before first use and after destroy */
	size_t size;       /* object size */
	unsigned flags;
} zone_t;

static slot_t slots[SLOTS];
static zone_t zones[NZONES];
static const char *const zone_how[NZONES] = {"zone_alloc(0)", "zone_alloc(1)", "zone_alloc(2)"};
static uint32_t seed_counter;
static unsigned long step_no;
static bool verified_protected; /* this input verified while a zone was protected */

/* ---- failure reporting ---- */

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...);

#include <stdarg.h>
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "fuzz_api: shadow violation at step %lu: ", step_no);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* ---- contents ---- */

static void fill(slot_t *s, size_t from, size_t to)
{
	pat_fill(s->p, s->seed, s->zeroed, from, to);
}

static void check_contents(const slot_t *s, size_t n, const char *when)
{
	size_t i = pat_find_bad(s->p, s->seed, s->zeroed, n);
	if (i != SIZE_MAX)
		fail("%s: block %p (%s, size %zu) byte %zu is 0x%02x, expected 0x%02x", when,
		     (void *)s->p, s->how, s->size, i, s->p[i], s->zeroed ? 0 : pat(s->seed, i));
}

static void check_all(const char *when)
{
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].live)
			check_contents(&slots[i], slots[i].size, when);
}

/* Checks the objects of zone k, or (others) every block that is not one. */
static void check_zone(int k, bool others, const char *when)
{
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].live && (slots[i].zone == k + 1) != others)
			check_contents(&slots[i], slots[i].size, when);
}

/* ---- checks on a new block ---- */

/* The bytes a block occupies for the overlap checks. A zone object's usable
 * size is not asked for (malloc_usable_size of one is a misuse): it spans
 * its object size. */
static size_t extent(unsigned char *p, size_t size, int zone)
{
	if (zone)
		return size ? size : 1;
	return block_extent(p, size);
}

/* zone: 0 for a heap block, k + 1 for an object of zones[k]. */
static void check_new(unsigned char *p, size_t size, size_t align, int zone, int self,
                      const char *how)
{
	if ((uintptr_t)p % 16)
		fail("%s(size %zu) returned %p, not 16-aligned", how, size, (void *)p);
	if (align > 1 && (uintptr_t)p % align)
		fail("%s(align %zu, size %zu) returned %p, not aligned", how, align, size,
		     (void *)p);
	if (!zone) {
		size_t us = bastion_malloc_usable_size(p);
		if (us < size)
			fail("%s(size %zu) returned %p with usable size %zu", how, size, (void *)p,
			     us);
	}
	uintptr_t a = (uintptr_t)p, b = a + extent(p, size, zone);
	for (int i = 0; i < SLOTS; i++) {
		const slot_t *s = &slots[i];
		if (!s->live || i == self)
			continue;
		uintptr_t c = (uintptr_t)s->p, d = c + extent(s->p, s->size, s->zone);
		if (a < d && c < b)
			fail("%s(size %zu) returned %p..%p overlapping live %p..%p (%s, size %zu)",
			     how, size, (void *)a, (void *)b, (void *)c, (void *)d, s->how,
			     s->size);
		/* Isolation: a private zone's 4 MiB slots hold nothing else. */
		if (zone != s->zone && ZSLOT(a) <= ZSLOT(d - 1) && ZSLOT(c) <= ZSLOT(b - 1))
			if (zone || s->zone)
				fail("%s(size %zu) returned %p, in a 4 MiB slot with live %p (%s, "
				     "size %zu)",
				     how, size, (void *)a, (void *)c, s->how, s->size);
	}
}

/* ---- frees ---- */

static void release(slot_t *s, unsigned how)
{
	check_contents(s, s->size, "before free");
	if (s->zone) {
		bastion_zone_t *z = zones[s->zone - 1].z;
		if (how % 3 == 2)
			bastion_zone_free(z, NULL); /* ignored */
		bastion_zone_free(z, s->p);
		s->live = false;
		return;
	}
	switch (how % 3) {
	case 0:
		bastion_free(s->p);
		break;
	case 1:
		if (s->align)
			bastion_free_aligned_sized(s->p, s->align, s->size);
		else
			bastion_free_sized(s->p, s->size);
		break;
	default:
		if (s->align)
			bastion_free_aligned_sized(s->p, s->align, s->size);
		else
			bastion_free(s->p);
		break;
	}
	s->live = false;
}

/* Expected outcome of a failing request: a null result with errno. */
static void expect_fail(void *p, int err, int want1, int want2, const char *what)
{
	if (p)
		fail("%s succeeded (%p) but must fail", what, p);
	if (err != want1 && err != want2)
		fail("%s failed with errno %d, expected %d%s", what, err, want1,
		     want2 != want1 ? " or the other documented error" : "");
}

static size_t live_count(void)
{
	size_t n = 0;
	for (int i = 0; i < SLOTS; i++)
		n += slots[i].live;
	return n;
}

/* Puts new block p in slot s once check_new passes; zone as for check_new. */
static void install_in(slot_t *s, void *p, size_t size, size_t align, int zone, bool zeroed,
                       const char *how)
{
	check_new(p, size, align, zone, -1, how);
	s->p = p;
	s->size = size;
	s->align = align;
	s->seed = ++seed_counter * 2654435761u;
	s->zeroed = zeroed;
	s->live = true;
	s->zone = (uint8_t)zone;
	s->how = how;
	if (zeroed)
		check_contents(s, size, zone ? "fresh zone object" : "fresh calloc");
	if (zone) /* zero-filled as promised; from now on, a pattern */
		s->zeroed = false;
	if (!s->zeroed)
		fill(s, 0, size);
}

static void install(slot_t *s, int idx, void *p, size_t size, size_t align, bool zeroed,
                    const char *how)
{
	(void)idx;
	install_in(s, p, size, align, 0, zeroed, how);
}

static void verify(const char *when)
{
	size_t problems = bastion_verify();
	if (problems)
		fail("bastion_verify() found %zu problems (%s)", problems, when);
}

/* ---- private zones ---- */

/* Object sizes 1..ZONE_MAX_OBJ, biased towards small ones and the usable
 * sizes of the classes (a zone's objects are chunks of the smallest class
 * that holds them). */
static size_t pick_zone_size(reader_t *r, uint8_t sel)
{
	size_t n;
	switch (sel & 7) {
	case 0:
	case 1:
	case 2:
		n = (size_t)u8(r) + 1; /* 1..256 */
		break;
	case 3: { /* a class's usable size, one less, one more */
		uint8_t b = u8(r);
		static const int delta[] = {0, -1, 1};
		n = (size_t)((ptrdiff_t)class_sizes[b % NCLASS] - 8 + delta[b / NCLASS % 3]);
		break;
	}
	case 4:
		n = (size_t)uN(r, 2) % 4096 + 1;
		break;
	case 5:
		n = (size_t)uN(r, 3) % ZONE_MAX_OBJ + 1;
		break;
	default: {
		static const size_t s[] = {1,  2,  7,    8,    9,     15,    16,    17,
		                           24, 25, 4088, 4089, 32760, 65528, 65529, 131064};
		n = s[u8(r) % 16];
		break;
	}
	}
	return n < 1 ? 1 : n > ZONE_MAX_OBJ ? ZONE_MAX_OBJ : n;
}

/* Zone k, created on first use: a selector byte picks the object size, the
 * flags and one invalid request to try first. */
static zone_t *zone_get(reader_t *r, int k)
{
	zone_t *zn = &zones[k];
	if (zn->z)
		return zn;
	uint8_t sel = u8(r);
	size_t n = pick_zone_size(r, sel);
	unsigned flags = sel & 8 ? BASTION_ZONE_NODUMP : 0;
	static const unsigned bad_flags[] = {2, 4, 0x80000000u, ~0u};
	size_t bad_size = n;
	unsigned bad_flag = flags;
	switch ((sel >> 4) & 7) {
	case 0:
		bad_size = 0;
		break;
	case 1:
		bad_size = sel & 0x80 ? 131072 : ZONE_MAX_OBJ + 1;
		break;
	case 2:
		bad_size = sel & 0x80 ? SIZE_MAX : IMPOSSIBLE;
		break;
	case 3:
		bad_flag = bad_flags[sel >> 7 | (n & 2)] | flags;
		break;
	default:
		break;
	}
	if (bad_size != n || bad_flag != flags) {
		errno = 0;
		bastion_zone_t *bad = bastion_zone_create(bad_size, bad_flag);
		int err = errno;
		if (bad)
			fail("zone_create(%zu, %#x) succeeded (%p) but must fail", bad_size,
			     bad_flag, (void *)bad);
		if (err != EINVAL)
			fail("zone_create(%zu, %#x) failed with errno %d, expected EINVAL",
			     bad_size, bad_flag, err);
	}
	errno = 0;
	zn->z = bastion_zone_create(n, flags);
	if (!zn->z)
		fail("zone_create(%zu, %#x) failed, errno %d", n, flags, errno);
	zn->size = n;
	zn->flags = flags;
	return zn;
}

/* Destroys zone k: its objects die with it, without a free. */
static void zone_destroy(int k)
{
	check_zone(k, false, "before zone destroy");
	bastion_zone_destroy(zones[k].z);
	zones[k].z = NULL;
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].live && slots[i].zone == k + 1)
			slots[i].live = false;
}

/* ---- one operation ---- */

enum {
	OP_MALLOC,
	OP_CALLOC,
	OP_REALLOC,
	OP_REALLOCARRAY,
	OP_POSIX_MEMALIGN,
	OP_ALIGNED_ALLOC,
	OP_MEMALIGN,
	OP_VALLOC,
	OP_PVALLOC,
	OP_FREE,
	OP_USABLE,
	OP_REFILL,
	OP_TOUCH_USABLE,
	OP_VERIFY,
	OP_ZONE_ALLOC, /* from here on, op bytes >= HEAP_OP_BYTES */
	OP_ZONE_DESTROY,
	OP_ZONE_PROTECT,
	OP_NUM
};

/* Op bytes below HEAP_OP_BYTES pick the heap ops as before the zone ops
 * existed (opb % OP_ZONE_ALLOC); the 18 above pick the zone ops, mostly
 * allocations. */
#define HEAP_OP_BYTES (OP_ZONE_ALLOC * 17)

static unsigned decode_op(uint8_t opb)
{
	if (opb < HEAP_OP_BYTES)
		return opb % OP_ZONE_ALLOC;
	unsigned k = opb - HEAP_OP_BYTES;
	return k < 12 ? OP_ZONE_ALLOC : k < 15 ? OP_ZONE_DESTROY : OP_ZONE_PROTECT;
}

static void do_op(reader_t *r)
{
	uint8_t opb = u8(r);
	unsigned op = decode_op(opb);
	uint8_t ib = u8(r);
	int idx = ib % SLOTS;
	slot_t *s = &slots[idx];
	void *p = NULL;
	int err;
	size_t before = live_count();

	/* Allocating ops replace the slot's block. */
	if (op <= OP_PVALLOC && op != OP_REALLOC && op != OP_REALLOCARRAY && s->live)
		release(s, opb >> 4);

	switch (op) {
	case OP_MALLOC: {
		size_t n = pick_size(r);
		errno = 0;
		p = bastion_malloc(n);
		err = errno;
		if (n >= IMPOSSIBLE) {
			expect_fail(p, err, ENOMEM, ENOMEM, "malloc(huge)");
			break;
		}
		if (!p)
			fail("malloc(%zu) failed, errno %d", n, err);
		install(s, idx, p, n, 0, false, "malloc");
		break;
	}
	case OP_CALLOC: {
		size_t c, n, total;
		uint8_t k = u8(r);
		if (k < 128) {
			c = k & 15;
			n = pick_size(r);
		} else if (k < 224) {
			c = pick_size(r);
			n = k & 15;
		} else {
			c = pick_size(r);
			n = pick_size(r);
		}
		bool ovf = __builtin_mul_overflow(c, n, &total);
		if (!ovf && total > OK_LIMIT && total < IMPOSSIBLE)
			break; /* not generated */
		errno = 0;
		p = bastion_calloc(c, n);
		err = errno;
		if (ovf || total >= IMPOSSIBLE) {
			expect_fail(p, err, ENOMEM, ENOMEM, "calloc(overflow/huge)");
			break;
		}
		if (!p)
			fail("calloc(%zu, %zu) failed, errno %d", c, n, err);
		install(s, idx, p, total, 0, true, "calloc");
		break;
	}
	case OP_REALLOC:
	case OP_REALLOCARRAY: {
		size_t c = 1, n, total;
		bool arr = op == OP_REALLOCARRAY;
		if (arr) {
			uint8_t k = u8(r);
			if (k < 160) {
				c = k & 15;
				n = pick_size(r);
			} else {
				c = pick_size(r);
				n = pick_size(r);
			}
		} else {
			n = pick_size(r);
		}
		bool ovf = __builtin_mul_overflow(c, n, &total);
		if (!ovf && total > OK_LIMIT && total < IMPOSSIBLE)
			break;
		bool bad = ovf || total >= IMPOSSIBLE;
		const char *how = arr ? "reallocarray" : "realloc";
		if (s->live && s->zone)
			release(s, opb >> 4); /* not a heap block: realloc from NULL */
		if (s->live)
			check_contents(s, s->size, "before realloc");
		unsigned char *old = s->live ? s->p : NULL;
		errno = 0;
		p = arr ? bastion_reallocarray(old, c, n) : bastion_realloc(old, n);
		err = errno;
		if (bad) {
			expect_fail(p, err, ENOMEM, ENOMEM,
			            arr ? "reallocarray(overflow/huge)" : "realloc(huge)");
			if (s->live)
				check_contents(s, s->size, "after failed realloc");
			break;
		}
		if (old && total == 0) {
			/* glibc semantics, as bastion documents: frees, returns NULL */
			if (p)
				fail("%s(%p, 0) returned %p, expected NULL", how, (void *)old, p);
			s->live = false;
			break;
		}
		if (!p)
			fail("%s(%p, %zu) failed, errno %d", how, (void *)old, total, err);
		if (!old) {
			install(s, idx, p, total, 0, false, how);
			break;
		}
		check_new(p, total, 0, 0, idx, how);
		slot_t ns = *s;
		ns.p = p;
		check_contents(&ns, s->size < total ? s->size : total, "after realloc");
		if (total > s->size)
			fill(&ns, s->size, total);
		ns.size = total;
		ns.align = 0; /* realloc keeps only the 16-byte alignment */
		ns.how = how;
		*s = ns;
		break;
	}
	case OP_POSIX_MEMALIGN: {
		size_t a = pick_align(r), n = pick_size(r);
		bool bad_align = !is_pow2(a) || a % sizeof(void *) != 0;
		void *out = (void *)&slots; /* sentinel: must not change on failure */
		errno = 0;
		int rc = bastion_posix_memalign(&out, a, n);
		if (bad_align) {
			if (rc != EINVAL || out != (void *)&slots)
				fail("posix_memalign(align %zu, size %zu) returned %d, out %p; "
				     "expected EINVAL, out unchanged",
				     a, n, rc, out);
			break;
		}
		if (n >= IMPOSSIBLE || a >= IMPOSSIBLE) {
			if (rc != ENOMEM && rc != EINVAL)
				fail("posix_memalign(align %zu, size %zu) returned %d, expected "
				     "ENOMEM",
				     a, n, rc);
			if (out != (void *)&slots)
				fail("failed posix_memalign changed *out to %p", out);
			break;
		}
		if (rc != 0)
			fail("posix_memalign(align %zu, size %zu) returned %d", a, n, rc);
		install(s, idx, out, n, a, false, "posix_memalign");
		break;
	}
	case OP_ALIGNED_ALLOC:
	case OP_MEMALIGN: {
		size_t a = pick_align(r), n = pick_size(r);
		bool mem = op == OP_MEMALIGN;
		const char *how = mem ? "memalign" : "aligned_alloc";
		size_t eff = a;
		bool bad_align;
		if (mem) {
			/* glibc: non-powers of two are rounded up; beyond the
			 * largest power of two, EINVAL */
			bad_align = a > (size_t)PTRDIFF_MAX + 1;
			if (!bad_align && !is_pow2(a)) {
				eff = 16;
				while (eff < a)
					eff <<= 1;
			}
		} else {
			bad_align = !is_pow2(a);
		}
		errno = 0;
		p = mem ? bastion_memalign(a, n) : bastion_aligned_alloc(a, n);
		err = errno;
		if (bad_align) {
			expect_fail(p, err, EINVAL, EINVAL,
			            mem ? "memalign(bad align)" : "aligned_alloc(bad align)");
			break;
		}
		if (n >= IMPOSSIBLE || eff >= IMPOSSIBLE) {
			expect_fail(p, err, ENOMEM, eff >= IMPOSSIBLE ? EINVAL : ENOMEM, how);
			break;
		}
		if (!p)
			fail("%s(align %zu, size %zu) failed, errno %d", how, a, n, err);
		install(s, idx, p, n, eff < 16 ? 16 : eff, false, how);
		break;
	}
	case OP_VALLOC: {
		size_t n = pick_size(r);
		errno = 0;
		p = bastion_valloc(n);
		err = errno;
		if (n >= IMPOSSIBLE) {
			expect_fail(p, err, ENOMEM, ENOMEM, "valloc(huge)");
			break;
		}
		if (!p)
			fail("valloc(%zu) failed, errno %d", n, err);
		install(s, idx, p, n, 4096, false, "valloc");
		break;
	}
	case OP_PVALLOC: {
		size_t n = pick_size(r);
		errno = 0;
		p = bastion_pvalloc(n);
		err = errno;
		if (n >= IMPOSSIBLE - 4096) {
			expect_fail(p, err, ENOMEM, ENOMEM, "pvalloc(huge)");
			break;
		}
		if (!p)
			fail("pvalloc(%zu) failed, errno %d", n, err);
		size_t rounded = (n + 4095) & ~(size_t)4095;
		/* pvalloc's block is its rounded size (at least a page) */
		install(s, idx, p, rounded ? rounded : 4096, 4096, false, "pvalloc");
		break;
	}
	case OP_FREE:
		if (s->live)
			release(s, opb >> 4);
		else
			bastion_free(NULL); /* a no-op */
		break;
	case OP_USABLE:
		if (s->live && s->zone) {
			check_contents(s, s->size, "usable op on a zone object");
		} else if (s->live) {
			size_t us = bastion_malloc_usable_size(s->p);
			if (us < s->size)
				fail("usable size %zu < requested %zu for %p (%s)", us, s->size,
				     (void *)s->p, s->how);
		} else if (bastion_malloc_usable_size(NULL) != 0) {
			fail("malloc_usable_size(NULL) != 0");
		}
		break;
	case OP_REFILL:
		if (s->live) {
			check_contents(s, s->size, "before refill");
			s->zeroed = false;
			s->seed = ++seed_counter * 2654435761u;
			fill(s, 0, s->size);
		}
		break;
	case OP_TOUCH_USABLE:
		/* Every usable byte may be written: it must not hit the canary. */
		if (s->live && s->zone) {
			fill(s, 0, s->size); /* a zone object: its object size */
		} else if (s->live) {
			size_t us = bastion_malloc_usable_size(s->p);
			if (us > OK_LIMIT + 65536)
				fail("usable size %zu of %p (size %zu) is absurd", us, (void *)s->p,
				     s->size);
			fill(s, s->size, us);
		}
		break;
	case OP_VERIFY:
		check_all("verify op");
		break;
	case OP_ZONE_ALLOC: {
		uint8_t zb = u8(r);
		int k = zb % NZONES;
		if (s->live)
			release(s, zb >> 2);
		zone_t *zn = zone_get(r, k);
		errno = 0;
		p = bastion_zone_alloc(zn->z);
		err = errno;
		if (!p)
			fail("zone_alloc(zone %d, object size %zu, flags %#x) failed, errno %d", k,
			     zn->size, zn->flags, err);
		install_in(s, p, zn->size, 0, k + 1, true, zone_how[k]);
		break;
	}
	case OP_ZONE_DESTROY:
		zone_get(r, ib % NZONES); /* an unused zone is destroyed empty */
		zone_destroy(ib % NZONES);
		check_all("after zone destroy");
		break;
	case OP_ZONE_PROTECT: {
		int k = ib % NZONES;
		unsigned v = ib >> 2;
		zone_t *zn = zone_get(r, k);
		if (bastion_zone_protect(zn->z) != 0)
			fail("zone_protect(zone %d) failed, errno %d", k, errno);
		if ((v & 1) && bastion_zone_protect(zn->z) != 0)
			fail("zone_protect(zone %d) again failed, errno %d", k, errno);
		/* A verify walks the whole heap, most of this harness's time:
		 * once per input is enough to see it skip a protected zone. */
		if (!verified_protected) {
			verify("zone protected");
			verified_protected = true;
		}
		errno = 0;
		p = bastion_zone_alloc(zn->z);
		expect_fail(p, errno, EACCES, EACCES, "zone_alloc(protected zone)");
		if (v & 2)
			bastion_zone_free(zn->z, NULL); /* ignored, even now */
		if (v & 4)
			check_zone(k, true, "while another zone is protected");
		if (bastion_zone_unprotect(zn->z) != 0)
			fail("zone_unprotect(zone %d) failed, errno %d", k, errno);
		if ((v & 8) && bastion_zone_unprotect(zn->z) != 0)
			fail("zone_unprotect(zone %d) again failed, errno %d", k, errno);
		check_zone(k, false, "after unprotect");
		break;
	}
	}

	/* A failed request changes nothing: the other blocks are intact. */
	if (op <= OP_PVALLOC && (op == OP_POSIX_MEMALIGN ? !s->live : p == NULL)) {
		if (live_count() > before)
			fail("live count grew on a failed request");
		check_all("after a failed request");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reader_t r = {data, size};
	memset(slots, 0, sizeof(slots));
	memset(zones, 0, sizeof(zones));
	verified_protected = false;
	step_no = 0;
	for (unsigned ops = 0; r.n > 0 && ops < MAX_OPS; ops++) {
		step_no++;
		do_op(&r);
		if (step_no % VERIFY_EVERY == 0) {
			check_all("periodic");
			verify("periodic");
		}
	}
	check_all("end of input");
	/* The frees below check every live block, and the verify after them
	 * walks the whole heap: one walk per input is enough. Zone objects go
	 * with their zone. */
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].live && !slots[i].zone)
			release(&slots[i], (unsigned)i);
	for (int k = 0; k < NZONES; k++)
		if (zones[k].z)
			zone_destroy(k);
	verify("after freeing everything");
	return 0;
}
