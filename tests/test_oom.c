/*
 * Out of memory: with the address space limited (RLIMIT_AS = current
 * VmSize + 256 MiB), allocations must fail cleanly.
 *
 *   - 16 MiB allocations until one fails: NULL with errno ENOMEM, no crash;
 *     likewise calloc, posix_memalign (returns ENOMEM) and aligned_alloc;
 *   - small allocations still succeed (zones live in address space
 *     reserved at start-up);
 *   - a realloc that cannot grow returns NULL with errno ENOMEM and leaves
 *     the old block intact and usable (small to large, large to larger);
 *   - after everything is freed, the same number of 16 MiB allocations
 *     succeeds again.
 *
 * Not registered in the sanitizer flavours: their shadow memory makes the
 * address-space limit meaningless.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bastion.h"
#include "check.h"

#define BIG      ((size_t)16 << 20)
#define HEADROOM ((size_t)256 << 20)
#define MAXBIG   64
#define NSMALL   2000

static long vm_size_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long v = -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmSize:", 7) == 0) {
			v = atol(line + 7);
			break;
		}
	fclose(f);
	return v;
}

/* Marks one byte per 64 KiB and the last byte: enough to see damage
 * without touching every page. */
static void stamp(void *p, size_t n, unsigned char seed)
{
	unsigned char *c = p;
	for (size_t off = 0; off < n; off += 65536)
		c[off] = (unsigned char)(seed + (off >> 16));
	c[n - 1] = seed;
}

/* Checks the marks of stamp(p, n, seed) below limit. */
static int stamped(const void *p, size_t n, size_t limit, unsigned char seed)
{
	const unsigned char *c = p;
	for (size_t off = 0; off < n && off < limit; off += 65536)
		if (c[off] != (unsigned char)(seed + (off >> 16)))
			return 0;
	return n > limit || c[n - 1] == seed;
}

/* Allocates 16 MiB blocks until one fails; returns how many succeeded. */
static int fill_up(void **big)
{
	int n = 0;
	for (; n < MAXBIG; n++) {
		errno = 0;
		big[n] = bastion_malloc(BIG);
		if (!big[n])
			break;
		stamp(big[n], BIG, (unsigned char)n);
	}
	CHECK(n < MAXBIG); /* the limit must have been reached */
	CHECK(big[n < MAXBIG ? n : 0] == NULL || n == MAXBIG);
	CHECK(errno == ENOMEM);
	return n;
}

int main(void)
{
	/* Initialise bastion (its reservations count in VmSize) and make the
	 * classes used below warm before measuring. */
	bastion_free(bastion_malloc(100));
	long vm = vm_size_kb();
	CHECK(vm > 0);
	struct rlimit rl = {(rlim_t)vm * 1024 + HEADROOM, (rlim_t)vm * 1024 + HEADROOM};
	struct rlimit old;
	CHECK(getrlimit(RLIMIT_AS, &old) == 0);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < rl.rlim_max)
		rl.rlim_max = rl.rlim_cur = old.rlim_max;
	CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
	printf("VmSize %ld kB, RLIMIT_AS %llu kB\n", vm, (unsigned long long)rl.rlim_cur / 1024);

	static void *big[MAXBIG + 1];
	int nbig = fill_up(big);
	printf("%d blocks of 16 MiB before ENOMEM\n", nbig);
	CHECK(nbig >= 8 && nbig <= 16);

	/* Other large entry points fail the same way. */
	errno = 0;
	CHECK(bastion_calloc(1, BIG) == NULL && errno == ENOMEM);
	errno = 0;
	CHECK(bastion_calloc(BIG / 8, 8) == NULL && errno == ENOMEM);
	void *out = &out;
	CHECK(bastion_posix_memalign(&out, 1 << 20, BIG) == ENOMEM);
	CHECK(out == &out); /* untouched on failure */
	errno = 0;
	CHECK(bastion_aligned_alloc(1 << 20, BIG) == NULL && errno == ENOMEM);
	errno = 0;
	CHECK(bastion_malloc(HEADROOM) == NULL && errno == ENOMEM);

	/* Small allocations still work, in several classes, new zones
	 * included. */
	static void *small[NSMALL];
	for (int i = 0; i < NSMALL; i++) {
		size_t n = (size_t)1 << (i % 16);
		small[i] = bastion_malloc(n);
		CHECK(small[i] != NULL);
		if (!small[i])
			break;
		memset(small[i], i & 0xff, n);
	}

	/* realloc that cannot grow: NULL, ENOMEM, old block intact. */
	void *s = bastion_malloc(1000);
	CHECK(s != NULL);
	if (s) {
		memset(s, 0x5a, 1000);
		errno = 0;
		CHECK(bastion_realloc(s, BIG) == NULL && errno == ENOMEM);
		const unsigned char *c = s;
		int intact = 1;
		for (int i = 0; i < 1000; i++)
			intact &= c[i] == 0x5a;
		CHECK(intact);
		CHECK(bastion_malloc_usable_size(s) >= 1000);
		errno = 0;
		CHECK(bastion_reallocarray(s, BIG / 8, 8) == NULL && errno == ENOMEM);
		s = bastion_realloc(s, 2000); /* small growth still works */
		CHECK(s != NULL);
		if (s) {
			c = s;
			intact = 1;
			for (int i = 0; i < 1000; i++)
				intact &= c[i] == 0x5a;
			CHECK(intact);
		}
	}
	if (nbig > 0) {
		void *b = big[0];
		errno = 0;
		CHECK(bastion_realloc(b, HEADROOM) == NULL && errno == ENOMEM);
		CHECK(stamped(b, BIG, BIG, 0));
		CHECK(bastion_malloc_usable_size(b) >= BIG);
		/* Shrinking in place always works. */
		b = bastion_realloc(b, BIG / 2);
		CHECK(b != NULL);
		if (b) {
			CHECK(stamped(b, BIG, BIG / 2, 0));
			big[0] = b;
			stamp(b, BIG / 2, 0);
		}
	}

	/* Free everything; the address space comes back. */
	for (int i = 0; i < nbig; i++) {
		CHECK(stamped(big[i], i == 0 ? BIG / 2 : BIG, BIG, (unsigned char)i));
		bastion_free(big[i]);
		big[i] = NULL;
	}
	for (int i = 0; i < NSMALL; i++) {
		if (!small[i])
			break;
		size_t n = (size_t)1 << (i % 16);
		CHECK(((unsigned char *)small[i])[n - 1] == (i & 0xff));
		bastion_free(small[i]);
	}
	bastion_free(s);

	int again = fill_up(big);
	printf("%d blocks of 16 MiB after freeing everything\n", again);
	CHECK(again >= nbig - 1);
	/* Growth with realloc works once there is room for the new size
	 * (the old mapping stays until the pages have moved). */
	if (again > 2) {
		for (int i = again - 2; i < again; i++) {
			bastion_free(big[i]);
			big[i] = NULL;
		}
		again -= 2;
		errno = 0;
		void *g = bastion_realloc(big[0], BIG + BIG / 2);
		CHECK(g != NULL);
		if (g) {
			CHECK(stamped(g, BIG, BIG, 0));
			big[0] = g;
		}
	}
	for (int i = 0; i < again; i++)
		bastion_free(big[i]);
	CHECK_DONE();
}
