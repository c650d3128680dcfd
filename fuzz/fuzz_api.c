/*
 * libFuzzer harness for the bastion_ prefixed API.
 *
 * The input is decoded into a sequence of operations (allocate with one of
 * the nine allocating functions, realloc, reallocarray, free in one of three
 * ways, malloc_usable_size, refill, check, bastion_verify). A shadow model of
 * up to 64 live allocations (pointer, requested size, alignment, pattern
 * seed, zeroed) is checked after every step:
 *   - a returned pointer is aligned as asked, and to 16;
 *   - malloc_usable_size >= the requested size;
 *   - a new block overlaps no live one;
 *   - contents (a pattern from the seed over the requested size, or zeros
 *     for calloc) are intact before free and after realloc (the
 *     min(old, new) prefix);
 *   - invalid requests return NULL / an error number with errno as the
 *     header documents, and change nothing;
 *   - bastion_verify() returns 0.
 * The harness only ever frees live pointers with the size and alignment they
 * were requested with, so any "bastion: ..." abort is a finding. A shadow
 * violation prints what failed and calls abort().
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

typedef struct {
	unsigned char *p;
	size_t size;  /* requested size (what free_sized gets) */
	size_t align; /* 0: plain (malloc family); else free_aligned_sized's */
	uint32_t seed;
	bool zeroed; /* contents are expected to be zero (calloc) */
	bool live;
	const char *how;
} slot_t;

static slot_t slots[SLOTS];
static uint32_t seed_counter;
static unsigned long step_no;

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

/* ---- checks on a new block ---- */

static void check_new(unsigned char *p, size_t size, size_t align, int self, const char *how)
{
	if ((uintptr_t)p % 16)
		fail("%s(size %zu) returned %p, not 16-aligned", how, size, (void *)p);
	if (align > 1 && (uintptr_t)p % align)
		fail("%s(align %zu, size %zu) returned %p, not aligned", how, align, size,
		     (void *)p);
	size_t us = bastion_malloc_usable_size(p);
	if (us < size)
		fail("%s(size %zu) returned %p with usable size %zu", how, size, (void *)p, us);
	uintptr_t a = (uintptr_t)p, b = a + block_extent(p, size);
	for (int i = 0; i < SLOTS; i++) {
		const slot_t *s = &slots[i];
		if (!s->live || i == self)
			continue;
		uintptr_t c = (uintptr_t)s->p, d = c + block_extent(s->p, s->size);
		if (a < d && c < b)
			fail("%s(size %zu) returned %p..%p overlapping live %p..%p (%s, size %zu)",
			     how, size, (void *)a, (void *)b, (void *)c, (void *)d, s->how,
			     s->size);
	}
}

/* ---- frees ---- */

static void release(slot_t *s, unsigned how)
{
	check_contents(s, s->size, "before free");
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

static void install(slot_t *s, int idx, void *p, size_t size, size_t align, bool zeroed,
                    const char *how)
{
	check_new(p, size, align, -1, how);
	(void)idx;
	s->p = p;
	s->size = size;
	s->align = align;
	s->seed = ++seed_counter * 2654435761u;
	s->zeroed = zeroed;
	s->live = true;
	s->how = how;
	if (zeroed)
		check_contents(s, size, "fresh calloc");
	else
		fill(s, 0, size);
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
	OP_NUM
};

static void do_op(reader_t *r)
{
	uint8_t opb = u8(r);
	unsigned op = opb % OP_NUM;
	int idx = u8(r) % SLOTS;
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
		check_new(p, total, 0, idx, how);
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
		if (s->live) {
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
		if (s->live) {
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
	}

	/* A failed request changes nothing: the other blocks are intact. */
	if (op <= OP_PVALLOC && (op == OP_POSIX_MEMALIGN ? !s->live : p == NULL)) {
		if (live_count() > before)
			fail("live count grew on a failed request");
		check_all("after a failed request");
	}
}

static void verify(const char *when)
{
	size_t problems = bastion_verify();
	if (problems)
		fail("bastion_verify() found %zu problems (%s)", problems, when);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reader_t r = {data, size};
	memset(slots, 0, sizeof(slots));
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
	 * walks the whole heap: one walk per input is enough. */
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].live)
			release(&slots[i], (unsigned)i);
	verify("after freeing everything");
	return 0;
}
