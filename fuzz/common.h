/*
 * Shared by the fuzz harnesses: a byte reader over the input, size and
 * alignment pickers biased towards the values allocators get wrong, and the
 * byte pattern blocks are filled with.
 */
#ifndef BASTION_FUZZ_COMMON_H
#define BASTION_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bastion.h"

/* Requests up to OK_LIMIT bytes (and alignments up to OK_ALIGN) must
 * succeed; sizes from IMPOSSIBLE up must fail. Nothing in between is
 * generated. */
#define OK_LIMIT   ((size_t)4 << 20)
#define OK_ALIGN   ((size_t)1 << 20)
#define IMPOSSIBLE ((size_t)1 << 48)

/* ---- input reader ---- */

typedef struct {
	const uint8_t *d;
	size_t n;
} reader_t;

static inline uint8_t u8(reader_t *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->d++;
}

static inline uint64_t uN(reader_t *r, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v = (v << 8) | u8(r);
	return v;
}

/* ---- sizes and alignments ---- */

static const size_t class_sizes[] = {
    16,    32,    48,    64,    80,    96,    112,   128,   160,   192,   224,
    256,   320,   384,   448,   512,   640,   768,   896,   1024,  1280,  1536,
    1792,  2048,  2560,  3072,  3584,  4096,  5120,  6144,  7168,  8192,  10240,
    12288, 14336, 16384, 20480, 24576, 28672, 32768, 40960, 49152, 57344, 65536,
};
#define NCLASS (sizeof(class_sizes) / sizeof(class_sizes[0]))

static const size_t huge_sizes[] = {
    SIZE_MAX,
    SIZE_MAX - 1,
    SIZE_MAX - 7,
    SIZE_MAX - 15,
    SIZE_MAX - 4094,
    SIZE_MAX - 4095,
    SIZE_MAX - 4096,
    SIZE_MAX - 65535,
    SIZE_MAX - 65536,
    (size_t)PTRDIFF_MAX,
    (size_t)PTRDIFF_MAX + 1,
    (size_t)PTRDIFF_MAX - 15,
    (size_t)PTRDIFF_MAX - 4095,
    (size_t)PTRDIFF_MAX - 65536,
    (size_t)1 << 48,
    (size_t)1 << 56,
    (size_t)1 << 62,
};
#define NHUGE (sizeof(huge_sizes) / sizeof(huge_sizes[0]))

/* Sizes biased towards small ones and class boundaries; the result is
 * either <= OK_LIMIT or >= IMPOSSIBLE. */
static inline size_t pick_size(reader_t *r)
{
	uint8_t sel = u8(r);
	switch (sel >> 4) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
		return sel & 0x0f ? u8(r) : 0; /* 0..255, 0 often */
	case 5:
	case 6:
	case 7:
	case 8: { /* class boundaries */
		size_t c = class_sizes[u8(r) % NCLASS];
		static const int delta[] = {-8, -9, -7, 0, 1, -16, -1, 8};
		return (size_t)((ptrdiff_t)c + delta[sel & 7]);
	}
	case 9:
	case 10:
		return (size_t)uN(r, 2); /* up to 64 KiB */
	case 11: {                       /* around the large threshold, pages */
		static const size_t s[] = {65527,  65528,   65529,         65536,    65537, 4095,
		                           4096,   4097,    8191,          8192,     8193,  131072,
		                           131073, 1 << 20, (1 << 20) + 1, 12288 - 8};
		return s[sel & 15];
	}
	case 12:
	case 13:
		return (size_t)uN(r, 3) & 0x3fffff; /* up to 4 MiB */
	default:
		return huge_sizes[u8(r) % NHUGE];
	}
}

static const size_t align_table[] = {
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    12,
    16,
    24,
    32,
    48,
    64,
    96,
    100,
    128,
    256,
    512,
    1000,
    1024,
    2048,
    4096,
    4097,
    8192,
    16384,
    32768,
    65536,
    65537,
    131072,
    1 << 20,
    (1 << 20) + 1,
    (size_t)1 << 48,
    (size_t)1 << 62,
    (size_t)1 << 63,
    ((size_t)1 << 63) + 1,
    (size_t)PTRDIFF_MAX,
    SIZE_MAX,
    SIZE_MAX - 15,
    ((size_t)1 << 62) + 1,
};
#define NALIGN (sizeof(align_table) / sizeof(align_table[0]))

static inline size_t pick_align(reader_t *r)
{
	uint8_t b = u8(r);
	if (b < 192) /* bias towards valid powers of two 16..4096 */
		return (size_t)16 << (b % 9);
	return align_table[b % NALIGN];
}

static inline bool is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

/* ---- blocks ---- */

/* The bytes a block occupies for overlap checks: its usable size, or its
 * requested size if that is larger (a broken usable size must not hide an
 * overlap), and at least one byte (malloc(0) blocks are distinct too). */
static inline size_t block_extent(void *p, size_t size)
{
	size_t us = bastion_malloc_usable_size(p);
	size_t n = us > size ? us : size;
	return n ? n : 1;
}

/* ---- contents ---- */

static inline uint8_t pat(uint32_t seed, size_t i)
{
	uint32_t x = seed ^ (uint32_t)(i >> 6) * 0x9e3779b1u;
	return (uint8_t)(x + (uint32_t)i * 13u + (x >> 16));
}

/* The bytes of a block that carry its pattern: all of the first 64 KiB
 * (every small chunk whole), then the first 64 bytes of each 4 KiB page.
 * Filling and checking 4 MiB blocks byte by byte would make them the
 * fuzzers' bottleneck; one sample per page still catches a page that moved,
 * vanished or belongs to another block. */
#define PAT_FULL ((size_t)65536)
static inline size_t pat_next_covered(size_t i)
{
	if (i < PAT_FULL || (i & 4095) < 64)
		return i;
	return (i | 4095) + 1;
}

/* pat_fill and pat_find_bad are kept out of line and out of the coverage
 * instrumentation (fuzz/coverage-ignore.txt): comparison tracing on their
 * byte loops would cost more than everything else a harness does. They are
 * also outside ASan: they only touch blocks bastion mapped itself, which
 * ASan never poisons, and its shadow checks there filled in shadow pages
 * for every random large-block address and never gave them back (RSS grew
 * about 100 KB per 1 MiB block, to libFuzzer's 2 GB limit in 30 minutes). */
#define PAT_NO_ASAN __attribute__((no_sanitize("address")))

/* End of the covered run that starts at covered byte i. */
static inline size_t pat_run_end(size_t i)
{
	return i < PAT_FULL ? PAT_FULL : (i & ~(size_t)4095) + 64;
}

/* Writes the pattern of seed (or zeros) over the covered bytes of
 * [from, to). */
__attribute__((noinline)) PAT_NO_ASAN static void pat_fill(unsigned char *p, uint32_t seed,
                                                           bool zero, size_t from, size_t to)
{
	for (size_t i = pat_next_covered(from); i < to;) {
		size_t end = pat_run_end(i) < to ? pat_run_end(i) : to;
		if (zero)
			memset(p + i, 0, end - i);
		else
			for (; i < end; i++)
				p[i] = pat(seed, i);
		i = pat_next_covered(end);
	}
}

/* Index of the first covered byte of [0, n) that does not hold the
 * pattern (or zero), or SIZE_MAX if all do. */
__attribute__((noinline)) PAT_NO_ASAN static size_t pat_find_bad(const unsigned char *p,
                                                                 uint32_t seed, bool zero, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t end = pat_run_end(i) < n ? pat_run_end(i) : n;
		unsigned char diff = 0;
		for (size_t k = i; k < end; k++)
			diff |= (unsigned char)(p[k] ^ (zero ? 0 : pat(seed, k)));
		if (diff)
			for (; i < end; i++)
				if (p[i] != (zero ? 0 : pat(seed, i)))
					return i;
		i = pat_next_covered(end);
	}
	return SIZE_MAX;
}

#endif
