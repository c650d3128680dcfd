/*
 * Aligned allocation overflow: posix_memalign, aligned_alloc, memalign,
 * valloc and pvalloc with sizes near SIZE_MAX. A careless allocator adds
 * the alignment slack (or rounds up to a page) and wraps to a small size,
 * returning a block far smaller than requested. Every such call must fail.
 *
 * EXPECT: defend
 */
#define _GNU_SOURCE
#include "attack.h"

#include <malloc.h>
#include <stdint.h>

/* volatile: the compiler must not see (and warn about) the sizes. */
static volatile size_t cases[][2] = {
    /* alignment, size */
    {16, SIZE_MAX},
    {64, SIZE_MAX - 32},
    {4096, SIZE_MAX - 4000},
    {4096, SIZE_MAX - 8192},
    {(size_t)1 << 20, SIZE_MAX - ((size_t)1 << 19)},
    {(size_t)1 << 30, SIZE_MAX - ((size_t)1 << 29)},
    {64, (size_t)PTRDIFF_MAX},
    {4096, (size_t)PTRDIFF_MAX - 100},
};

static void fail_if(void *p, const char *fn, size_t align, size_t size)
{
	if (p) {
		fprintf(stderr, "%s(%zu, %zu) = %p\n", fn, align, size, p);
		attack_won("an aligned allocation near SIZE_MAX returned a block");
	}
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t align = cases[i][0], size = cases[i][1];
		void *p = NULL;
		int rc = posix_memalign(&p, align, size);
		if (rc == 0)
			fail_if(p ? p : (void *)1, "posix_memalign", align, size);
		/* C11 wants size to be a multiple of the alignment; also try
		 * the rounded-down multiple. */
		fail_if(escape(aligned_alloc(align, size)), "aligned_alloc", align, size);
		fail_if(escape(aligned_alloc(align, size & ~(align - 1))), "aligned_alloc", align,
		        size & ~(align - 1));
		fail_if(escape(memalign(align, size)), "memalign", align, size);
		fail_if(escape(valloc(size)), "valloc", 4096, size);
		fail_if(escape(pvalloc(size)), "pvalloc", 4096, size);
	}
	defended("every aligned allocation near SIZE_MAX failed");
}
