/*
 * Read after free, small chunks: the program writes a secret into chunks
 * of several sizes, frees them, and reads them back through the dangling
 * pointers (reading freed memory is the attack). Freed memory that keeps
 * its contents leaks keys, passwords and pointers to whoever still holds a
 * pointer. None of the secret's words may be visible after free.
 *
 * EXPECT: defend
 *
 * Deterministic under bastion: every small chunk is wiped with zeros when
 * it is freed. A sampled guarded allocation (one in 4096) becomes
 * inaccessible instead, so the read faults; the program catches that fault
 * and counts it as defended for that chunk (nothing was read).
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>

#define SECRET 0x5ec2e75ec2e75ec2ull
#define PER    50

struct scan {
	const volatile uint64_t *p;
	size_t words;
	size_t n;
};

static void count_secret(void *arg)
{
	struct scan *s = arg;
	for (size_t k = 0; k < s->words; k++)
		if (s->p[k] == SECRET)
			s->n++;
}

/* How many words of [p, p + words) still hold the secret; 0 if the read
 * faults. */
static size_t secret_words(const volatile uint64_t *p, size_t words)
{
	struct scan s = {p, words, 0};
	if (!without_fault(count_secret, &s))
		return 0;
	return s.n;
}

int main(void)
{
	static const size_t sizes[] = {16, 24, 64, 100, 256, 1000, 4000, 20000, 65000};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (int t = 0; t < PER; t++) {
			uint64_t *p = escape(malloc(sizes[s]));
			if (!p)
				return 2;
			size_t words = malloc_usable_size(p) / 8;
			for (size_t k = 0; k < words; k++)
				p[k] = SECRET;
			const volatile uint64_t *dangling = escape(p);
			free(p);
			size_t n = secret_words(dangling, words);
			if (n) {
				fprintf(stderr,
				        "size %zu: %zu of %zu words still hold the secret\n",
				        sizes[s], n, words);
				attack_won("a freed chunk's secret was readable after free");
			}
		}
	}
	defended("no freed chunk showed its secret");
}
