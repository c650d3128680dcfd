/*
 * API conformance tests of bastion. One source, built twice:
 *   test_api      the prefixed entry points (bastion_malloc, ...) linked with
 *                 bastion_prefixed; runs in every flavour, sanitizers too;
 *   test_api_std  -DBST_TEST_STD: the standard names (malloc, free, ...)
 *                 linked with libbastion.so, after checking that the
 *                 dynamic linker really resolves them to bastion.
 *
 * Covered: every allocation function's success path, the edge cases of the
 * C/POSIX/glibc contracts (zero sizes, impossible sizes, bad alignments,
 * overflowing products), contents across realloc through every size class
 * and the large sizes, usable sizes, free_sized/free_aligned_sized, and
 * death tests (fork, stderr through a pipe, SIGABRT plus the exact
 * "bastion: <kind>:" line) for the corruption bastion promises to detect.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bastion.h"
#include "check.h"

#ifdef BST_TEST_STD
/* C23; glibc 2.36 does not declare them yet. */
void free_sized(void *ptr, size_t size);
void free_aligned_sized(void *ptr, size_t alignment, size_t size);
#define t_malloc             malloc
#define t_free               free
#define t_calloc             calloc
#define t_realloc            realloc
#define t_reallocarray       reallocarray
#define t_posix_memalign     posix_memalign
#define t_aligned_alloc      aligned_alloc
#define t_memalign           memalign
#define t_valloc             valloc
#define t_pvalloc            pvalloc
#define t_malloc_usable_size malloc_usable_size
#define t_free_sized         free_sized
#define t_free_aligned_sized free_aligned_sized
#define t_malloc_trim        malloc_trim
#define t_mallopt            mallopt
#define VARIANT              "standard names, libbastion.so"
#else
#define t_malloc             bastion_malloc
#define t_free               bastion_free
#define t_calloc             bastion_calloc
#define t_realloc            bastion_realloc
#define t_reallocarray       bastion_reallocarray
#define t_posix_memalign     bastion_posix_memalign
#define t_aligned_alloc      bastion_aligned_alloc
#define t_memalign           bastion_memalign
#define t_valloc             bastion_valloc
#define t_pvalloc            bastion_pvalloc
#define t_malloc_usable_size bastion_malloc_usable_size
#define t_free_sized         bastion_free_sized
#define t_free_aligned_sized bastion_free_aligned_sized
#define t_malloc_trim        bastion_malloc_trim
#define t_mallopt            bastion_mallopt
#define VARIANT              "prefixed API, bastion_prefixed"
#endif

#define NOINLINE __attribute__((noinline))

/* CHECK with a printf-style context line when it fails. */

/* The largest request bastion serves from a size class (65536-byte chunk
 * minus its 8-byte canary); one more byte is a large allocation. */
#define MAX_SMALL_REQ ((size_t)131064)
#define KiB           ((size_t)1024)
#define MiB           ((size_t)1024 * 1024)

static size_t page_size;

/* Values the compiler cannot see through, so it cannot fold, warn about or
 * elide what the tests do with them. */
static void *volatile ptr_sink;
static volatile size_t size_sink;

static NOINLINE void *launder(void *p)
{
	ptr_sink = p;
	return ptr_sink;
}

static NOINLINE size_t launder_size(size_t n)
{
	size_sink = n;
	return size_sink;
}

static bool aligned_to(const void *p, size_t a)
{
	return ((uintptr_t)p & (a - 1)) == 0;
}

static size_t round_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

/* A position-dependent byte pattern: carried bytes keep their value when a
 * block moves, so a misplaced copy shows. Precomputed, so filling and
 * checking are memcpy/memcmp (fast under sanitizers too). */
#define PATTERN_BYTES (8 * MiB)
static unsigned char pattern[PATTERN_BYTES];

static void init_pattern(void)
{
	for (size_t i = 0; i < PATTERN_BYTES; i++)
		pattern[i] = (unsigned char)((i * 131u) ^ (i >> 9) ^ 0x5a);
}

static void fill_pat(void *p, size_t from, size_t to)
{
	if (to > PATTERN_BYTES) {
		fprintf(stderr, "test bug: pattern of %zu bytes\n", to);
		abort();
	}
	if (to > from)
		memcpy((unsigned char *)p + from, pattern + from, to - from);
}

/* Index of the first byte in [0, n) that breaks the pattern, or n. */
static size_t check_pat(const void *p, size_t n)
{
	const unsigned char *b = p;
	if (n > PATTERN_BYTES) {
		fprintf(stderr, "test bug: pattern of %zu bytes\n", n);
		abort();
	}
	if (memcmp(b, pattern, n) == 0)
		return n;
	for (size_t i = 0;; i++)
		if (b[i] != pattern[i])
			return i;
}

/* Every byte of p[0, n) is v. */
static bool all_bytes(const void *p, size_t n, unsigned char v)
{
	const unsigned char *b = p;
	return n == 0 || (b[0] == v && memcmp(b, b + 1, n - 1) == 0);
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- interposition (standard names only) ---- */

#ifdef BST_TEST_STD
static const char *const api_names[] = {
    "malloc",
    "free",
    "calloc",
    "realloc",
    "reallocarray",
    "posix_memalign",
    "aligned_alloc",
    "memalign",
    "valloc",
    "pvalloc",
    "malloc_usable_size",
    "free_sized",
    "free_aligned_sized",
    "malloc_trim",
    "mallopt",
};

/* Every standard name must resolve to bastion's definition: otherwise
 * glibc's malloc answers and nothing below tests bastion. */
static bool test_interposition(void)
{
	bool ok = true;
	for (size_t i = 0; i < sizeof(api_names) / sizeof(api_names[0]); i++) {
		char prefixed[64];
		snprintf(prefixed, sizeof(prefixed), "bastion_%s", api_names[i]);
		void *std = dlsym(RTLD_DEFAULT, api_names[i]);
		void *own = dlsym(RTLD_DEFAULT, prefixed);
		CHECK_MSG(std != NULL && std == own, "dlsym(%s)=%p dlsym(%s)=%p", api_names[i], std,
		          prefixed, own);
		ok = ok && std != NULL && std == own;
	}
	return ok;
}
#endif

/* ---- malloc / free ---- */

#define NZERO 1000
static void *zero_ptrs[NZERO];

static void test_malloc_zero(void)
{
	for (int i = 0; i < NZERO; i++) {
		void *p = t_malloc(launder_size(0));
		zero_ptrs[i] = p;
		CHECK_MSG(p != NULL, "malloc(0) #%d", i);
		if (!p)
			return;
		CHECK(aligned_to(p, 16));
		CHECK(t_malloc_usable_size(p) == 0);
	}
	uintptr_t sorted[NZERO];
	memcpy(sorted, zero_ptrs, sizeof(sorted));
	qsort(sorted, NZERO, sizeof(sorted[0]), cmp_ptr);
	for (int i = 1; i < NZERO; i++)
		CHECK_MSG(sorted[i] != sorted[i - 1], "malloc(0) returned %p twice",
		          (void *)sorted[i]);
	for (int i = 0; i < NZERO; i++)
		t_free(zero_ptrs[i]);
	/* Zero-size blocks from the other entry points. */
	void *p[6] = {t_calloc(0, 0),     t_calloc(0, 5), t_calloc(5, 0),
	              t_realloc(NULL, 0), t_malloc(0),    t_reallocarray(NULL, 0, 9)};
	for (int i = 0; i < 6; i++) {
		CHECK_MSG(p[i] != NULL, "zero-size block #%d", i);
		if (p[i])
			CHECK(t_malloc_usable_size(p[i]) == 0);
		t_free(p[i]);
	}
	/* Many malloc(0)/free rounds keep working. */
	for (int i = 0; i < 5000; i++) {
		void *q = t_malloc(0);
		CHECK(q != NULL);
		t_free(q);
	}
}

static void test_free_null(void)
{
	t_free(NULL);
	t_free_sized(NULL, 0);
	t_free_sized(NULL, 100);
	t_free_aligned_sized(NULL, 64, 100);
	CHECK(t_malloc_usable_size(NULL) == 0);
	void *p = t_realloc(NULL, 0);
	CHECK(p != NULL);
	t_free(p);
}

/* Sizes 0..1100 one by one, then a geometric walk to 200000 plus the
 * small/large boundary. Every block is 16-byte aligned, usable >= request
 * (and exactly the class's usable size for small requests), writable over
 * its whole usable size, and distinct from every other live block. */
#define NSIZES 1400
static void *blocks[NSIZES];
static size_t block_size[NSIZES];

static void test_sizes_alignment_usable(void)
{
	size_t n = 0;
	for (size_t s = 0; s <= 1100; s++)
		block_size[n++] = s;
	for (size_t s = 1101; s <= 200000; s += s / 16 + 1)
		block_size[n++] = s;
	block_size[n++] = MAX_SMALL_REQ - 1;
	block_size[n++] = MAX_SMALL_REQ;
	block_size[n++] = MAX_SMALL_REQ + 1;
	block_size[n++] = 200000;
	for (size_t i = 0; i < n; i++) {
		size_t s = block_size[i];
		void *p = t_malloc(s);
		blocks[i] = p;
		CHECK_MSG(p != NULL, "malloc(%zu)", s);
		if (!p)
			continue;
		CHECK_MSG(aligned_to(p, 16), "malloc(%zu)=%p not 16-aligned", s, p);
		size_t u = t_malloc_usable_size(p);
		CHECK_MSG(u >= s, "malloc_usable_size(malloc(%zu))=%zu", s, u);
		if (s == 0)
			CHECK(u == 0);
		else if (s <= MAX_SMALL_REQ)
			CHECK_MSG(u == s, "usable %zu for %zu (byte-exact bounds), chunk %zu", u, s,
			          bastion_chunk_size(s));
		else
			CHECK(bastion_chunk_size(s) == 0);
		memset(p, (int)(i & 0xff), u); /* exactly the usable size */
	}
	/* No two live blocks overlap: each still holds its own byte. */
	for (size_t i = 0; i < n; i++) {
		if (!blocks[i])
			continue;
		size_t u = t_malloc_usable_size(blocks[i]);
		CHECK_MSG(all_bytes(blocks[i], u, (unsigned char)(i & 0xff)),
		          "block of %zu bytes was overwritten", block_size[i]);
	}
	for (size_t i = 0; i < n; i++)
		t_free(blocks[i]);
}

/* Impossible requests: NULL and ENOMEM, for every entry point. */
static void test_enomem(void)
{
	const size_t huge[] = {SIZE_MAX, SIZE_MAX - 4095, (size_t)PTRDIFF_MAX + 1,
	                       (size_t)PTRDIFF_MAX, (size_t)1 << 62};
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		size_t n = launder_size(huge[i]);
		errno = 0;
		void *p = t_malloc(n);
		CHECK_MSG(p == NULL && errno == ENOMEM, "malloc(%zu)=%p errno=%d", n, p, errno);
		errno = 0;
		p = t_calloc(1, n);
		CHECK_MSG(p == NULL && errno == ENOMEM, "calloc(1,%zu)=%p errno=%d", n, p, errno);
		errno = 0;
		p = t_aligned_alloc(64, n);
		CHECK_MSG(p == NULL && errno == ENOMEM, "aligned_alloc(64,%zu)=%p errno=%d", n, p,
		          errno);
		errno = 0;
		p = t_memalign(4096, n);
		CHECK_MSG(p == NULL && errno == ENOMEM, "memalign(4096,%zu)=%p errno=%d", n, p,
		          errno);
		errno = 0;
		p = t_valloc(n);
		CHECK_MSG(p == NULL && errno == ENOMEM, "valloc(%zu)=%p errno=%d", n, p, errno);
		errno = 0;
		p = t_pvalloc(n);
		CHECK_MSG(p == NULL && errno == ENOMEM, "pvalloc(%zu)=%p errno=%d", n, p, errno);
		void *out = &out;
		int rc = t_posix_memalign(&out, 64, n);
		CHECK_MSG(rc == ENOMEM && out == &out, "posix_memalign(64,%zu)=%d", n, rc);
	}
	/* calloc products that overflow size_t. */
	const size_t ov[][2] = {
	    {SIZE_MAX / 2 + 1, 2}, {2, SIZE_MAX / 2 + 1},
	    {SIZE_MAX, SIZE_MAX},  {(size_t)1 << 32, (size_t)1 << 32},
	    {SIZE_MAX, 2},         {(SIZE_MAX / 3) + 1, 3},
	};
	for (size_t i = 0; i < sizeof(ov) / sizeof(ov[0]); i++) {
		errno = 0;
		void *p = t_calloc(launder_size(ov[i][0]), launder_size(ov[i][1]));
		CHECK_MSG(p == NULL && errno == ENOMEM, "calloc(%zu,%zu)=%p errno=%d", ov[i][0],
		          ov[i][1], p, errno);
	}
	/* The heap still works afterwards. */
	void *p = t_malloc(100);
	CHECK(p != NULL);
	t_free(p);
}

/* ---- calloc ---- */

#define NDIRTY 600
static void *dirty[NDIRTY];
static uintptr_t dirty_sorted[NDIRTY];

/* Dirties block p of n bytes: in full, or (every other block of four
 * pages or more) only 100 bytes of every third page, so that bastion's
 * wipe and check, which leave alone the pages of a big chunk that hold no
 * data, see chunks used in part. */
static void dirty_chunk(unsigned char *p, size_t n, size_t i)
{
	if (n < 4 * 4096 || (i & 1) == 0) {
		memset(p, 0xff, n);
		return;
	}
	for (size_t off = 0; off < n; off += 3 * 4096)
		memset(p + off, 0xff, n - off < 100 ? n - off : 100);
}

static void test_calloc(void)
{
	const size_t shapes[][2] = {{1, 1},      {1, 7},     {7, 13},      {100, 1},
	                            {1, 100},    {3, 333},   {8, 8191},    {1, 131064},
	                            {1, 131065}, {4, 50000}, {1000, 1000}, {1, 2 * MiB + 3}};
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		size_t total = shapes[i][0] * shapes[i][1];
		unsigned char *p = t_calloc(shapes[i][0], shapes[i][1]);
		CHECK_MSG(p != NULL, "calloc(%zu,%zu)", shapes[i][0], shapes[i][1]);
		if (!p)
			continue;
		CHECK(aligned_to(p, 16));
		CHECK(t_malloc_usable_size(p) >= total);
		CHECK_MSG(all_bytes(p, total, 0), "calloc(%zu,%zu) not zeroed", shapes[i][0],
		          shapes[i][1]);
		memset(p, 0xff, total);
		t_free(p);
	}

	/* Chunks dirtied (in full or in part) and freed, then reused by
	 * calloc, read as zero. For the bigger classes these are more frees
	 * than the quarantines hold (thread ring 1 MiB, shared FIFO 8 MiB),
	 * so chunks come back. */
	const size_t sizes[] = {1,     8,     24,    100,    1000,   5000,
	                        30000, 65528, 70000, 131064, 140000, 300000};
	size_t reused = 0;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t s = sizes[k];
		size_t count = s > MAX_SMALL_REQ ? 20 : NDIRTY;
		for (int round = 0; round < 2; round++) {
			for (size_t i = 0; i < count; i++) {
				dirty[i] = t_malloc(s);
				CHECK(dirty[i] != NULL);
				if (dirty[i])
					dirty_chunk(dirty[i], t_malloc_usable_size(dirty[i]), i);
				dirty_sorted[i] = (uintptr_t)dirty[i];
			}
			for (size_t i = 0; i < count; i++)
				t_free(dirty[i]);
		}
		qsort(dirty_sorted, count, sizeof(dirty_sorted[0]), cmp_ptr);
		for (size_t i = 0; i < count; i++) {
			size_t a = s / 4 + 1, b = s / a + (s % a != 0); /* a * b >= s */
			unsigned char *p = (i & 1) ? t_calloc(1, s) : t_calloc(b, a);
			size_t total = (i & 1) ? s : a * b;
			dirty[i] = p;
			CHECK_MSG(p != NULL, "calloc for %zu", s);
			if (!p)
				continue;
			CHECK_MSG(all_bytes(p, total, 0), "calloc of %zu bytes not zeroed (%s)",
			          total,
			          bsearch(&p, dirty_sorted, count, sizeof(uintptr_t), cmp_ptr)
			              ? "reused dirty chunk"
			              : "fresh chunk");
			if (bsearch(&p, dirty_sorted, count, sizeof(uintptr_t), cmp_ptr))
				reused++;
		}
		for (size_t i = 0; i < count; i++)
			t_free(dirty[i]);
	}
	/* Otherwise the loop above proved nothing about reuse. */
	CHECK_MSG(reused > 0, "no calloc reused a dirtied chunk");
}

/* ---- aligned allocation ---- */

static const size_t align_sizes[] = {0, 1, 100, 5000, 70000, 300000};
#define NALIGN_SIZES (sizeof(align_sizes) / sizeof(align_sizes[0]))

static void check_aligned_block(const char *fn, void *p, size_t a, size_t n)
{
	CHECK_MSG(p != NULL, "%s(%zu, %zu) failed", fn, a, n);
	if (!p)
		return;
	CHECK_MSG(aligned_to(p, a) && aligned_to(p, 16), "%s(%zu, %zu)=%p misaligned", fn, a, n, p);
	size_t u = t_malloc_usable_size(p);
	CHECK_MSG(u >= n, "%s(%zu, %zu): usable %zu", fn, a, n, u);
	memset(p, 0xa5, u);
}

static void test_aligned(void)
{
	for (size_t a = 1; a <= MiB; a <<= 1) {
		for (size_t k = 0; k < NALIGN_SIZES; k++) {
			size_t n = align_sizes[k];
			void *p = t_aligned_alloc(a, n);
			check_aligned_block("aligned_alloc", p, a, n);
			if (k & 1)
				t_free_aligned_sized(p, a, n);
			else
				t_free(p);

			p = t_memalign(a, n);
			check_aligned_block("memalign", p, a, n);
			t_free(p);

			if (a < sizeof(void *))
				continue;
			p = &p;
			int rc = t_posix_memalign(&p, a, n);
			CHECK_MSG(rc == 0, "posix_memalign(%zu, %zu)=%d", a, n, rc);
			if (rc == 0) {
				check_aligned_block("posix_memalign", p, a, n);
				if (k & 1)
					t_free(p);
				else
					t_free_aligned_sized(p, a, n);
			}
		}
	}
	/* Several aligned blocks live at once do not overlap. */
	void *live[16];
	for (int i = 0; i < 16; i++) {
		live[i] = t_aligned_alloc((size_t)64 << (i % 8), 200);
		check_aligned_block("aligned_alloc", live[i], (size_t)64 << (i % 8), 200);
		if (live[i])
			memset(live[i], i, 200);
	}
	for (int i = 0; i < 16; i++) {
		if (live[i])
			CHECK(all_bytes(live[i], 200, (unsigned char)i));
		t_free(live[i]);
	}
}

static void test_bad_alignment(void)
{
	/* posix_memalign: a power of two multiple of sizeof(void *), else
	 * EINVAL and *out unchanged. */
	const size_t bad_pm[] = {0,  1,  2,   3,    sizeof(void *) / 2, sizeof(void *) + 1,
	                         24, 48, 100, 4097, SIZE_MAX,           SIZE_MAX / 2 + 2};
	for (size_t i = 0; i < sizeof(bad_pm) / sizeof(bad_pm[0]); i++) {
		void *out = &out;
		int rc = t_posix_memalign(&out, launder_size(bad_pm[i]), 64);
		CHECK_MSG(rc == EINVAL && out == &out, "posix_memalign(align %zu)=%d", bad_pm[i],
		          rc);
	}
	/* aligned_alloc: a non-power-of-two alignment is an error. */
	const size_t bad_aa[] = {0, 3, 24, 48, 100, 4097, 3 * MiB, SIZE_MAX};
	for (size_t i = 0; i < sizeof(bad_aa) / sizeof(bad_aa[0]); i++) {
		errno = 0;
		void *p = t_aligned_alloc(launder_size(bad_aa[i]), 64);
		CHECK_MSG(p == NULL && errno == EINVAL, "aligned_alloc(%zu)=%p errno=%d", bad_aa[i],
		          p, errno);
		t_free(p);
	}
	/* memalign (glibc): a non-power-of-two alignment is rounded up to the
	 * next power of two; only alignments above SIZE_MAX/2+1 fail. */
	const size_t mem[][2] = {{0, 10},   {3, 10},       {24, 100},     {48, 1000},  {100, 10},
	                         {3000, 5}, {5000, 70000}, {MiB - 1, 10}, {MiB + 1, 0}};
	for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
		size_t a = mem[i][0], want = 16;
		while (want < a)
			want <<= 1;
		void *p = t_memalign(launder_size(a), mem[i][1]);
		check_aligned_block("memalign", p, want, mem[i][1]);
		t_free(p);
	}
	const size_t bad_mem[] = {SIZE_MAX, SIZE_MAX / 2 + 2};
	for (size_t i = 0; i < 2; i++) {
		errno = 0;
		void *p = t_memalign(launder_size(bad_mem[i]), 1);
		CHECK_MSG(p == NULL && errno == EINVAL, "memalign(%zu)=%p errno=%d", bad_mem[i], p,
		          errno);
	}
}

static void test_valloc_pvalloc(void)
{
	const size_t sizes[] = {0,    1,     100,   4095,   4096,   4097,
	                        5000, 65528, 70000, 131064, 140000, 300000};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		void *p = t_valloc(n);
		check_aligned_block("valloc", p, page_size, n);
		t_free(p);

		p = t_pvalloc(n);
		/* pvalloc rounds the size up to a whole page; pvalloc(0) is one
		 * page in bastion (glibc gives a minimal block). */
		size_t want = n ? round_up(n, page_size) : 1;
		check_aligned_block("pvalloc", p, page_size, want);
		t_free(p);
	}
}

/* ---- realloc / reallocarray ---- */

static void test_realloc_basic(void)
{
	/* realloc(NULL, n) is malloc(n). */
	unsigned char *p = t_realloc(NULL, 100);
	CHECK(p != NULL && aligned_to(p, 16));
	if (!p)
		return;
	CHECK(t_malloc_usable_size(p) >= 100);
	fill_pat(p, 0, 100);
	/* Same size and same class: contents kept. */
	p = t_realloc(p, 100);
	CHECK(p != NULL && check_pat(p, 100) == 100);
	p = t_realloc(p, 101);
	CHECK(p != NULL && check_pat(p, 100) == 100);
	fill_pat(p, 0, 101);

	/* Impossible sizes: NULL, ENOMEM, the block untouched and still live. */
	const size_t huge[] = {SIZE_MAX, (size_t)PTRDIFF_MAX + 1, (size_t)1 << 62};
	unsigned char *large = t_malloc(200000);
	CHECK(large != NULL);
	if (!large)
		return;
	fill_pat(large, 0, 200000);
	void *zero = t_malloc(0);
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		size_t n = launder_size(huge[i]);
		errno = 0;
		CHECK_MSG(t_realloc(launder(p), n) == NULL && errno == ENOMEM,
		          "realloc(small, %zu)", n);
		errno = 0;
		CHECK_MSG(t_realloc(launder(large), n) == NULL && errno == ENOMEM,
		          "realloc(large, %zu)", n);
		errno = 0;
		CHECK_MSG(t_realloc(launder(zero), n) == NULL && errno == ENOMEM,
		          "realloc(zero, %zu)", n);
	}
	CHECK(check_pat(p, 101) == 101);
	CHECK(check_pat(large, 200000) == 200000);
	CHECK(t_malloc_usable_size(large) >= 200000);
	CHECK(t_malloc_usable_size(zero) == 0);

	/* reallocarray: checked product. */
	errno = 0;
	CHECK(t_reallocarray(launder(p), launder_size(SIZE_MAX / 2 + 1), 2) == NULL &&
	      errno == ENOMEM);
	errno = 0;
	CHECK(t_reallocarray(launder(p), launder_size((size_t)1 << 32), (size_t)1 << 32) == NULL &&
	      errno == ENOMEM);
	errno = 0;
	CHECK(t_reallocarray(launder(large), 3, launder_size(SIZE_MAX / 3 + 1)) == NULL &&
	      errno == ENOMEM);
	CHECK(check_pat(p, 101) == 101);
	CHECK(check_pat(large, 200000) == 200000);
	p = t_reallocarray(p, 30, 10);
	CHECK(p != NULL && t_malloc_usable_size(p) >= 300 && check_pat(p, 101) == 101);
	large = t_reallocarray(large, 1000, 1000);
	CHECK(large != NULL && t_malloc_usable_size(large) >= 1000000 &&
	      check_pat(large, 200000) == 200000);
	unsigned char *arr = t_reallocarray(NULL, 10, 10);
	CHECK(arr != NULL && t_malloc_usable_size(arr) >= 100);

	/* realloc(p, 0) frees p and returns NULL, as glibc does (that p is
	 * really freed is a death test). reallocarray(p, 0, n) likewise. */
	CHECK(t_realloc(p, 0) == NULL);
	CHECK(t_realloc(large, 0) == NULL);
	CHECK(t_reallocarray(arr, 0, 10) == NULL);
	CHECK(t_realloc(zero, 0) == NULL);
}

#define NWALK 400
static size_t walk[NWALK];

/* One realloc chain through every size class boundary (the largest request
 * of each class and the first of the next), into the large sizes, shrinking
 * and growing there, and back down to 10 bytes; the pattern must survive
 * every step. */
static size_t build_walk(void)
{
	size_t n = 0;
	walk[n++] = 1;
	for (size_t s = 2; s <= MAX_SMALL_REQ + 1; s++)
		if (bastion_chunk_size(s) != bastion_chunk_size(s - 1)) {
			walk[n++] = s - 1;
			walk[n++] = s;
		}
	const size_t large[] = {70000,     100 * KiB, MiB,       8 * MiB,   MiB + 17,
	                        100 * KiB, 3 * MiB,   200 * KiB, 150 * KiB, 150 * KiB + 1};
	for (size_t i = 0; i < sizeof(large) / sizeof(large[0]); i++)
		walk[n++] = large[i];
	for (size_t i = n - sizeof(large) / sizeof(large[0]); i-- > 1;)
		walk[n++] = walk[i];
	walk[n++] = 10;
	return n;
}

static void realloc_chain(void *start, size_t start_size, const char *what)
{
	size_t steps = build_walk();
	unsigned char *p = start;
	size_t cur = start_size;
	fill_pat(p, 0, cur);
	for (size_t i = 0; i < steps; i++) {
		size_t n = walk[i];
		unsigned char *q = t_realloc(p, n);
		CHECK_MSG(q != NULL, "%s: realloc(%zu -> %zu)", what, cur, n);
		if (!q)
			break;
		CHECK_MSG(aligned_to(q, 16), "%s: realloc to %zu misaligned", what, n);
		CHECK_MSG(t_malloc_usable_size(q) >= n, "%s: realloc to %zu: usable %zu", what, n,
		          t_malloc_usable_size(q));
		size_t keep = cur < n ? cur : n, bad = check_pat(q, keep);
		CHECK_MSG(bad == keep, "%s: realloc %zu -> %zu lost byte %zu", what, cur, n, bad);
		fill_pat(q, keep, n);
		p = q;
		cur = n;
		if (check_failures)
			break;
	}
	t_free(p);
}

static void test_realloc_walk(void)
{
	CHECK(build_walk() > 150);
	void *p = t_malloc(1);
	CHECK(p != NULL);
	if (p)
		realloc_chain(p, 1, "from malloc(1)");
	p = t_aligned_alloc(4096, 3000);
	CHECK(p != NULL);
	if (p)
		realloc_chain(p, 3000, "from aligned_alloc(4096, 3000)");
	p = t_malloc(0);
	CHECK(p != NULL);
	if (p)
		realloc_chain(p, 0, "from malloc(0)");
	p = t_malloc(5 * MiB);
	CHECK(p != NULL);
	if (p)
		realloc_chain(p, 5 * MiB, "from malloc(5 MiB)");

	/* Random reallocs over a few live blocks. */
	unsigned char *b[8] = {0};
	size_t sz[8] = {0};
	for (int i = 0; i < 1500 && !check_failures; i++) {
		int k = (int)(rng() % 8);
		size_t n = rng() % 16 == 0 ? rng() % (400 * KiB) : rng() % 2000;
		unsigned char *q = t_realloc(b[k], n);
		if (n == 0 && b[k]) {
			CHECK(q == NULL);
			b[k] = NULL;
			sz[k] = 0;
			continue;
		}
		CHECK_MSG(q != NULL, "realloc(%zu -> %zu)", sz[k], n);
		if (!q)
			continue;
		size_t keep = sz[k] < n ? sz[k] : n;
		CHECK_MSG(check_pat(q, keep) == keep, "random realloc %zu -> %zu", sz[k], n);
		fill_pat(q, keep, n);
		b[k] = q;
		sz[k] = n;
	}
	for (int k = 0; k < 8; k++)
		t_free(b[k]);
}

/* ---- free_sized / free_aligned_sized ---- */

static void test_free_sized(void)
{
	const size_t sizes[] = {0,
	                        1,
	                        8,
	                        9,
	                        16,
	                        100,
	                        128,
	                        1000,
	                        4096,
	                        MAX_SMALL_REQ - 1,
	                        MAX_SMALL_REQ,
	                        MAX_SMALL_REQ + 1,
	                        100000,
	                        MiB,
	                        3 * MiB + 5};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		void *p = t_malloc(n);
		CHECK_MSG(p != NULL, "malloc(%zu)", n);
		if (p)
			memset(p, 1, t_malloc_usable_size(p));
		t_free_sized(p, n);
		/* Same, for blocks from calloc and after realloc. */
		p = t_calloc(1, n);
		CHECK(p != NULL);
		t_free_sized(p, n);
		p = t_malloc(n / 2 + 3);
		p = t_realloc(p, n + 1);
		CHECK(p != NULL);
		t_free_sized(p, n + 1);
	}
	void *p = t_calloc(7, 13);
	CHECK(p != NULL);
	t_free_sized(p, 91);
	/* Large blocks shrunk in place keep free_sized consistent. */
	p = t_malloc(3 * MiB);
	p = t_realloc(p, 150000);
	CHECK(p != NULL);
	t_free_sized(p, 150000);

	/* free_aligned_sized for every allocation function that takes an
	 * alignment; test_aligned covers every alignment and size too. */
	const size_t al[] = {16, 32, 64, 4096, 65536, 2 * MiB};
	for (size_t i = 0; i < sizeof(al) / sizeof(al[0]); i++)
		for (size_t k = 0; k < NALIGN_SIZES; k++) {
			size_t n = align_sizes[k];
			p = t_aligned_alloc(al[i], n);
			check_aligned_block("aligned_alloc", p, al[i], n);
			t_free_aligned_sized(p, al[i], n);
			p = t_memalign(al[i], n);
			check_aligned_block("memalign", p, al[i], n);
			t_free_aligned_sized(p, al[i], n);
		}
}

/* ---- death tests ---- */

/* Runs fn in a child with stderr on a pipe. The child must die of SIGABRT
 * and have written the line "bastion: <kind>: ..." (want is
 * "bastion: <kind>: "), or with want NULL die of SIGSEGV (a guard page).
 * Any other end, exit status included, is a failure. */
static void expect_death(const char *name, void (*fn)(void), const char *want)
{
	fflush(stdout);
	fflush(stderr);
	int fds[2];
	if (pipe(fds) != 0) {
		CHECK_MSG(0, "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		CHECK_MSG(0, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core); /* SIGABRT should not dump */
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		alarm(20); /* a hang is a failure too */
		if (!want) {
			/* The sanitizers' own SIGSEGV reports would turn the
			 * fault into an exit. */
			struct sigaction dfl;
			memset(&dfl, 0, sizeof(dfl));
			dfl.sa_handler = SIG_DFL;
			sigaction(SIGSEGV, &dfl, NULL);
		}
		fn();
		_exit(0); /* the bug went unnoticed */
	}
	close(fds[1]);
	char out[4096];
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fds[0], out + len, sizeof(out) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == sizeof(out) - 1)
			break;
	}
	out[len] = 0;
	close(fds[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	int sig = want ? SIGABRT : SIGSEGV;
	bool aborted = WIFSIGNALED(st) && WTERMSIG(st) == sig;
	bool reported = !want || strstr(out, want) != NULL;
	if (!aborted || !reported) {
		if (WIFSIGNALED(st))
			fprintf(stderr, "death test %s: child killed by signal %d (%s)\n", name,
			        WTERMSIG(st), strsignal(WTERMSIG(st)));
		else
			fprintf(stderr, "death test %s: child exited with status %d\n", name,
			        WEXITSTATUS(st));
		fprintf(stderr, "  expected %s and \"%s\"; child stderr: \"%s\"\n",
		        want ? "SIGABRT" : "SIGSEGV", want ? want : "", out);
	}
	CHECK_MSG(aborted, "death test %s", name);
	CHECK_MSG(reported, "death test %s", name);
}

static NOINLINE void d_double_free_small(void)
{
	void *p = launder(t_malloc(32));
	t_free(p);
	t_free(launder(p));
}

static NOINLINE void d_double_free_between(void)
{
	void *keep[200];
	for (int i = 0; i < 50; i++)
		keep[i] = t_malloc((size_t)(i * 37) % 3000);
	void *p = launder(t_malloc(48));
	t_free(p);
	/* Same class and others, a few frees: p is still in quarantine. */
	for (int i = 50; i < 200; i++)
		keep[i] = t_malloc(i & 1 ? 48 : (size_t)i * 11);
	for (int i = 0; i < 200; i += 3)
		t_free(keep[i]);
	t_free(launder(p));
}

static NOINLINE void d_double_free_zero(void)
{
	void *p = launder(t_malloc(0));
	t_free(p);
	t_free(launder(p));
}

static NOINLINE void d_double_free_large(void)
{
	void *p = launder(t_malloc(200000));
	t_free(p);
	t_free(launder(p));
}

static NOINLINE void d_double_free_sized(void)
{
	void *p = launder(t_malloc(100));
	t_free_sized(p, 100);
	t_free(launder(p)); /* free_sized really freed it */
}

static NOINLINE void d_realloc_zero_frees(void)
{
	void *p = launder(t_malloc(64));
	CHECK(t_realloc(p, 0) == NULL);
	t_free(launder(p)); /* realloc(p, 0) really freed it */
}

static NOINLINE void d_realloc_freed(void)
{
	void *p = launder(t_malloc(64));
	t_free(p);
	ptr_sink = t_realloc(launder(p), 200);
}

static NOINLINE void d_interior_small(void)
{
	char *p = launder(t_malloc(64));
	t_free(launder(p + 16));
}

static NOINLINE void d_interior_large(void)
{
	char *p = launder(t_malloc(200000));
	t_free(launder(p + 4096));
}

static NOINLINE void d_stack_free(void)
{
	char buf[64];
	memset(buf, 0, sizeof(buf));
	t_free(launder(buf + 16));
}

static char global_buf[256] __attribute__((aligned(64)));

static NOINLINE void d_global_free(void)
{
	t_free(launder(global_buf));
}

#ifndef BST_TEST_STD
/* A block of the process's own malloc is not bastion's. */
static NOINLINE void d_foreign_free(void)
{
	t_free(launder(malloc(32)));
}
#endif

/* Writes one byte just past the usable size, then frees. Bastion's canary
 * bytes always have the top bit of their first byte set, so 0 differs. */
static NOINLINE void overflow_then_free(size_t n)
{
	unsigned char *p = launder(t_malloc(n));
	size_t u = t_malloc_usable_size(p);
	p[launder_size(u)] = 0;
	t_free(launder(p));
}

static NOINLINE void d_canary_1(void)
{
	overflow_then_free(1);
}

static NOINLINE void d_canary_100(void)
{
	overflow_then_free(100);
}

static NOINLINE void d_canary_max_small(void)
{
	overflow_then_free(MAX_SMALL_REQ);
}

/* 200001 bytes: the 16-byte alignment leaves 15 bytes of tail slack
 * before the guard page, where the overflow lands. */
static NOINLINE void d_canary_large(void)
{
	overflow_then_free(200001);
}

/* 200000 bytes end right at the guard page: the write faults. */
static NOINLINE void d_guard_large(void)
{
	overflow_then_free(200000);
}

/* The head slack between the leading guard page and the block. */
static NOINLINE void d_underflow_large(void)
{
	unsigned char *p = launder(t_malloc(200001));
	*(unsigned char *)launder(p - 1) = 0;
	t_free(launder(p));
}

/* A NUL one past a small request, inside its class's rounding. */
static NOINLINE void d_canary_rounding(void)
{
	unsigned char *p = launder(t_malloc(4096));
	p[launder_size(4096)] = 0;
	t_free(launder(p));
}

static NOINLINE void d_canary_large_aligned(void)
{
	unsigned char *p = launder(t_aligned_alloc(2 * MiB, 5000));
	p[launder_size(t_malloc_usable_size(p))] = 0;
	t_free(launder(p));
}

static NOINLINE void d_canary_realloc_small(void)
{
	unsigned char *p = launder(t_malloc(100));
	p[launder_size(t_malloc_usable_size(p))] = 0;
	ptr_sink = t_realloc(launder(p), 5000);
}

static NOINLINE void d_canary_realloc_large(void)
{
	unsigned char *p = launder(t_malloc(200001));
	p[launder_size(t_malloc_usable_size(p))] = 0;
	ptr_sink = t_realloc(launder(p), 400000);
}

/* 100 and 101 bytes share a class: only the exact size tells them apart. */
static NOINLINE void d_size_mismatch_same_class(void)
{
	t_free_sized(launder(t_malloc(100)), launder_size(101));
}

static NOINLINE void d_size_mismatch_small(void)
{
	t_free_sized(launder(t_malloc(100)), launder_size(1000));
}

static NOINLINE void d_size_mismatch_large(void)
{
	t_free_sized(launder(t_malloc(200000)), launder_size(100000));
}

static NOINLINE void d_size_mismatch_small_large(void)
{
	t_free_sized(launder(t_malloc(100)), launder_size(200000));
}

static NOINLINE void d_size_mismatch_aligned(void)
{
	/* A 4096-aligned block of 100 bytes lives in a 4096-multiple class;
	 * claiming alignment 16 names a different one. */
	t_free_aligned_sized(launder(t_aligned_alloc(4096, 100)), 16, launder_size(100));
}

/* ---- run-time control ---- */

/* Resident bytes of the heap's zones, from bastion_stats. */
static size_t zone_resident(void)
{
	struct bastion_stats s;
	s.version = BASTION_STATS_VERSION;
	CHECK(bastion_stats(&s) == 0);
	size_t r = 0;
	for (unsigned c = 0; c < BASTION_STATS_CLASSES; c++)
		r += s.classes[c].bytes_resident;
	return r;
}

static void test_purge_trim_mallopt(void)
{
	/* 8 MiB of 4 KiB blocks freed, then enough frees of another size to
	 * push them through the quarantines back to their zones: their pages
	 * can go back. */
	enum { N = 2048 };
	static void *blocks[N];
	for (int i = 0; i < N; i++) {
		blocks[i] = t_malloc(4000);
		CHECK(blocks[i] != NULL);
		memset(blocks[i], 1, 4000);
	}
	for (int i = 0; i < N; i++)
		t_free(blocks[i]);
	for (int i = 0; i < 3000; i++) {
		void *p = t_malloc(100000);
		CHECK(p != NULL);
		t_free(p);
	}
	size_t before = zone_resident();
	size_t given = bastion_purge();
	size_t after = zone_resident();
	CHECK_MSG(given >= 2 * 1024 * 1024 && after + given / 2 <= before,
	          "bastion_purge gave back %zu bytes; resident %zu -> %zu", given, before, after);
	/* Nothing left to give back at once, and the heap still works. */
	CHECK(t_malloc_trim(0) == 0 || bastion_purge() < given);
	for (int i = 0; i < N; i++) {
		blocks[i] = t_malloc(4000);
		CHECK(blocks[i] != NULL && ((char *)blocks[i])[100] == 0);
	}
	for (int i = 0; i < N; i++)
		t_free(blocks[i]);
	CHECK(bastion_verify() == 0);

	/* glibc's parameters: accepted and ignored; M_PERTURB and unknown
	 * ones refused. */
	CHECK(t_mallopt(M_ARENA_MAX, 2) == 1);
	CHECK(t_mallopt(M_MMAP_THRESHOLD, 1 << 20) == 1);
	CHECK(t_mallopt(M_TRIM_THRESHOLD, 0) == 1);
	CHECK(t_mallopt(M_TOP_PAD, 0) == 1);
	CHECK(t_mallopt(M_MMAP_MAX, 0) == 1);
	CHECK(t_mallopt(M_CHECK_ACTION, 3) == 1);
	CHECK(t_mallopt(M_ARENA_TEST, 8) == 1);
	CHECK(t_mallopt(M_MXFAST, 64) == 1);
	CHECK(t_mallopt(M_MXFAST, 1000) == 0);
	CHECK(t_mallopt(M_PERTURB, 0x55) == 0);
	CHECK(t_mallopt(12345, 1) == 0);
}

static void test_death(void)
{
	static const char *const df = "bastion: double-free: ";
	static const char *const inv = "bastion: invalid-free: ";
	static const char *const can = "bastion: canary-corrupted: ";
	static const char *const mis = "bastion: size-mismatch: ";
	expect_death("double free", d_double_free_small, df);
	expect_death("double free, allocations between", d_double_free_between, df);
	expect_death("double free of malloc(0)", d_double_free_zero, df);
	/* A freed large block stays in the virtual-memory quarantine, so the
	 * second free is a double free. */
	expect_death("double free, large", d_double_free_large, df);
	expect_death("free after free_sized", d_double_free_sized, df);
	expect_death("free after realloc(p, 0)", d_realloc_zero_frees, df);
	expect_death("realloc of a freed block", d_realloc_freed, df);
	expect_death("free of an interior pointer", d_interior_small, inv);
	expect_death("free of an interior pointer, large", d_interior_large, inv);
	expect_death("free of a stack address", d_stack_free, inv);
	expect_death("free of a global", d_global_free, inv);
#ifndef BST_TEST_STD
	expect_death("free of a libc block", d_foreign_free, inv);
#endif
	expect_death("overflow of malloc(1)", d_canary_1, can);
	expect_death("overflow of malloc(100)", d_canary_100, can);
	expect_death("overflow of the largest small block", d_canary_max_small, can);
	expect_death("overflow of a large block", d_canary_large, can);
	expect_death("overflow at the end of a large block", d_guard_large, NULL);
	expect_death("underflow of a large block", d_underflow_large, can);
	expect_death("NUL past a request inside its rounding", d_canary_rounding, can);
	expect_death("overflow of an aligned large block", d_canary_large_aligned, can);
	expect_death("overflow then realloc", d_canary_realloc_small, can);
	expect_death("overflow then realloc, large", d_canary_realloc_large, can);
	expect_death("free_sized, wrong small size", d_size_mismatch_small, mis);
	expect_death("free_sized, wrong size in the same class", d_size_mismatch_same_class, mis);
	expect_death("free_sized, wrong large size", d_size_mismatch_large, mis);
	expect_death("free_sized, large size for a small block", d_size_mismatch_small_large, mis);
	expect_death("free_aligned_sized, wrong alignment", d_size_mismatch_aligned, mis);
}

/* ---- requests that must fail cleanly, checked in a child ---- */

/* Alignment 2^63 with a size near PTRDIFF_MAX: both valid arguments, so
 * the answer must be NULL/ENOMEM; the process must survive. Run in a child
 * because a wrapped span computation would unmap the process's memory. */
static NOINLINE void s_huge_alignment(void)
{
	const size_t top = (size_t)1 << 63;
	const size_t sizes[] = {1, 4096, (size_t)PTRDIFF_MAX - 8192, (size_t)PTRDIFF_MAX};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = launder_size(sizes[i]);
		errno = 0;
		void *p = t_aligned_alloc(launder_size(top), n);
		if (p != NULL || errno != ENOMEM)
			_exit(10 + (int)i);
		errno = 0;
		p = t_memalign(launder_size(top), n);
		if (p != NULL || errno != ENOMEM)
			_exit(20 + (int)i);
		void *out = &out;
		if (t_posix_memalign(&out, launder_size(top), n) != ENOMEM || out != &out)
			_exit(30 + (int)i);
		errno = 0;
		p = t_aligned_alloc(launder_size(top >> 1), n);
		if (p != NULL || errno != ENOMEM)
			_exit(40 + (int)i);
	}
	void *p = t_malloc(100);
	memset(p, 1, 100);
	t_free(p);
}

/* A zero-size request with an alignment no size class gives (above 128 KiB)
 * becomes a large allocation of usable size 0; the block must work like
 * any other: malloc_usable_size, realloc, free_aligned_sized. */
static NOINLINE void s_zero_size_large_alignment(void)
{
	const size_t al[] = {256 * KiB, MiB};
	for (size_t i = 0; i < 2; i++) {
		void *p = t_aligned_alloc(al[i], launder_size(0));
		if (p == NULL || !aligned_to(p, al[i]))
			_exit(10);
		if (t_malloc_usable_size(launder(p)) != 0)
			_exit(11);
		unsigned char *q = t_realloc(launder(p), 100);
		if (q == NULL)
			_exit(12);
		memset(q, 1, 100);
		t_free(q);
		p = t_memalign(al[i], launder_size(0));
		if (p == NULL || !aligned_to(p, al[i]))
			_exit(13);
		t_free_aligned_sized(p, al[i], 0);
		void *out = NULL;
		if (t_posix_memalign(&out, al[i], launder_size(0)) != 0 || !aligned_to(out, al[i]))
			_exit(14);
		q = t_realloc(launder(out), 200000);
		if (q == NULL)
			_exit(15);
		t_free(q);
	}
}

/* Runs fn in a child, which must exit normally with status 0. */
static void expect_survival(const char *name, void (*fn)(void))
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		CHECK_MSG(0, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		alarm(20);
		fn();
		_exit(0);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (!ok && WIFSIGNALED(st))
		fprintf(stderr,
		        "survival test %s: child killed by signal %d (%s), expected exit 0\n", name,
		        WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (!ok)
		fprintf(stderr,
		        "survival test %s: child exited with %d (the _exit code names the "
		        "failed check), expected 0\n",
		        name, WEXITSTATUS(st));
	CHECK_MSG(ok, "survival test %s", name);
}

int main(void)
{
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	init_pattern();
	printf("test_api: %s\n", VARIANT);
#ifdef BST_TEST_STD
	if (!test_interposition()) {
		fprintf(stderr,
		        "malloc is not bastion's: the standard-name tests would test libc\n");
		return 1;
	}
#endif
	test_malloc_zero();
	test_free_null();
	test_sizes_alignment_usable();
	test_enomem();
	test_calloc();
	test_aligned();
	test_bad_alignment();
	test_valloc_pvalloc();
	test_realloc_basic();
	test_realloc_walk();
	test_free_sized();
	test_purge_trim_mallopt();
	test_death();
	expect_survival("aligned allocation with alignment 2^63", s_huge_alignment);
	expect_survival("zero-size block with alignment > 128 KiB", s_zero_size_large_alignment);
	CHECK_DONE();
}
