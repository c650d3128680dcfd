/*
 * Huge requests: sizes near SIZE_MAX overflow the header and rounding
 * arithmetic of a careless allocator (size + overhead wraps to a small
 * number), which then returns a tiny block. malloc(SIZE_MAX - 16),
 * malloc(SIZE_MAX) and malloc(PTRDIFF_MAX) (and PTRDIFF_MAX + 1) must
 * return NULL, and realloc(p, SIZE_MAX) (and realloc(p, SIZE_MAX - 16))
 * must return NULL and leave p intact: same contents, still usable and
 * freeable.
 *
 * EXPECT: defend
 */
#include "attack.h"

#include <stdint.h>

/* volatile: the compiler must not see (and warn about) the sizes. */
static volatile size_t huge[] = {
    SIZE_MAX - 16, SIZE_MAX, SIZE_MAX - 4095, (size_t)PTRDIFF_MAX, (size_t)PTRDIFF_MAX + 1,
};

int main(void)
{
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		void *p = escape(malloc(huge[i]));
		if (p) {
			fprintf(stderr, "malloc(%zu) = %p\n", huge[i], p);
			attack_won("a huge malloc returned a block");
		}
	}
	static const size_t sizes[] = {100, 5000, 100000};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned char *p = escape(malloc(sizes[s]));
		if (!p)
			return 2;
		for (size_t k = 0; k < sizes[s]; k++)
			p[k] = (unsigned char)(k * 7 + 1);
		for (int h = 0; h < 2; h++) {
			void *q = escape(realloc(escape(p), h ? huge[0] : huge[1]));
			if (q) {
				fprintf(stderr, "realloc(%p, huge) = %p\n", (void *)p, q);
				attack_won("realloc to a huge size returned a block");
			}
		}
		for (size_t k = 0; k < sizes[s]; k++)
			if (p[k] != (unsigned char)(k * 7 + 1))
				attack_won("a failed realloc changed the block");
		memset(p, 0x5a, sizes[s]); /* still writable */
		free(p);
	}
	defended("huge requests failed and left existing blocks intact");
}
