/*
 * calloc after dirty frees: blocks of many sizes are filled with 0xA5 and
 * freed, then calloc'ed blocks of the same sizes (and a few count*size
 * splits of them) must read as zero in every byte. An allocator that skips
 * the clearing for memory it believes fresh, or a reuse path that forgets
 * it, leaks old data through calloc.
 *
 * EXPECT: defend
 *
 * Deterministic: calloc must return zeros however the blocks are placed.
 * Freed blocks are pushed through any quarantine with FLUSH frees of
 * 60000-byte blocks (over 8 MiB, bastion's shared FIFO) in the later
 * rounds, so calloc does meet reused memory.
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>

#define ROUND_BYTES ((size_t)1 << 20)
#define ROUNDS      3
#define MAXN        4096
#define FLUSH       140

static void *blocks[MAXN];
static const unsigned char zeros[4096];

static int all_zero(const void *p, size_t n)
{
	const unsigned char *c = escape((void *)p);
	for (size_t k = 0; k < n; k += sizeof(zeros)) {
		size_t len = n - k < sizeof(zeros) ? n - k : sizeof(zeros);
		if (memcmp(c + k, zeros, len) != 0)
			return 0;
	}
	return 1;
}

int main(void)
{
	static const size_t sizes[] = {300000, 131072, 70000, 65528, 65000, 30000,
	                               10000,  4000,   1024,  1000,  200,   128,
	                               100,    64,     24,    16,    8,     1};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t size = sizes[s];
		size_t n = ROUND_BYTES / size;
		if (n > MAXN)
			n = MAXN;
		if (n < 4)
			n = 4;
		for (int r = 0; r < ROUNDS; r++) {
			for (size_t i = 0; i < n; i++) {
				blocks[i] = escape(malloc(size));
				if (!blocks[i])
					return 2;
				memset(blocks[i], 0xA5, malloc_usable_size(blocks[i]));
			}
			for (size_t i = 0; i < n; i++)
				free(blocks[i]);
			if (r > 0)
				for (int k = 0; k < FLUSH; k++)
					free(escape(malloc(60000)));
			for (size_t i = 0; i < n; i++) {
				/* calloc(1, size), calloc(size, 1) or calloc(8, size / 8) */
				size_t cnt = 1;
				if (i % 3 == 1)
					cnt = size;
				else if (i % 3 == 2 && size % 8 == 0)
					cnt = 8;
				blocks[i] = escape(calloc(cnt, size / cnt));
				if (!blocks[i])
					return 2;
				if (!all_zero(blocks[i], size))
					attack_won("calloc returned a block that is not all zero");
			}
			for (size_t i = 0; i < n; i++)
				free(blocks[i]);
		}
	}
	defended("every calloc'ed block was zero");
}
