/*
 * The fill options and profile=fuzz (options.def), through libbastion.so
 * as a fuzzing campaign preloads it. Each case runs as a fresh process
 * with its BASTION_OPTIONS (tests/child.h):
 *   - alloc_fill: new blocks of every kind read as the fill byte, calloc
 *     still reads as zero, realloc's new bytes are filled too;
 *   - free_fill: freed chunks are wiped with the byte and the wipe is
 *     checked (a write after free is reported at exit), and a long run of
 *     frees, purges and reuse reports nothing;
 *   - profile=fuzz: a read after free and an overflow past a page fault
 *     at once with the bastion: line, and one of its settings can be
 *     changed on its own;
 *   - sampled blocks above a page are capped, so that a program with many
 *     live ones does not run out of kernel mappings.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "check.h"
#include "child.h"

static void *volatile keep;

static volatile unsigned char *hide(void *p)
{
	keep = p;
	return (volatile unsigned char *)keep;
}

static bool all(const volatile unsigned char *p, size_t n, unsigned char c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* Exits 0 if every kind of block reads as 0xbe (alloc_fill=190). */
static void c_alloc_fill(void)
{
	bool ok = true;
	size_t sizes[] = {1, 24, 100, 4000, 5000, 70000, 300000};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		volatile unsigned char *p = hide(malloc(sizes[i]));
		ok = ok && p && all(p, sizes[i], 0xbe);
		volatile unsigned char *z = hide(calloc(1, sizes[i]));
		ok = ok && z && all(z, sizes[i], 0);
		/* realloc: the old bytes kept, the new ones filled */
		p[0] = 1;
		p = hide(realloc((void *)p, sizes[i] * 2 + 10));
		ok = ok && p && p[0] == 1 && all(p + sizes[i], sizes[i] + 10, 0xbe);
		free((void *)p);
		free((void *)z);
	}
	/* A freed chunk taken again gets the fill, not the wipe. */
	for (int i = 0; i < 2000; i++)
		free((void *)hide(malloc(48)));
	volatile unsigned char *q = hide(malloc(48));
	ok = ok && all(q, 48, 0xbe);
	exit(ok ? 0 : 1);
}

/* A write into a freed chunk wiped with 0xd5: the exit check reports it. */
static void c_free_fill_uaf(void)
{
	volatile unsigned char *p = hide(malloc(64));
	p[5] = 7;
	free((void *)p);
	p[3] = 'x';
}

/* Frees, purges (the sweeps every 250 ms give back the pages of idle
 * chunks), reuse and exit with free_fill=213: no report. */
static void c_free_fill_churn(void)
{
	enum { N = 400, ANCHORS = 4 };
	static void *blocks[N];
	/* A few blocks of each size stay live, so the zones never empty (an
	 * emptied zone is purged whole) and the sweeps purge runs of chunks
	 * between them, whose edges cut chunks of these sizes. */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < N; i++) {
			blocks[i] = malloc(i % 2 ? 5000 : 3000);
			if (blocks[i])
				memset(blocks[i], 'x', i % 2 ? 5000 : 3000);
		}
		for (int i = round ? 0 : ANCHORS; i < N; i++)
			free(blocks[i]);
		/* Through the quarantines to the zones, then sweeps that find
		 * the zones idle (one sweep every 250 ms at most). */
		for (int pass = 0; pass < 3; pass++) {
			for (int i = 0; i < 500; i++)
				free((void *)hide(malloc(100000)));
			struct timespec pause = {0, 300 * 1000 * 1000};
			nanosleep(&pause, NULL);
		}
	}
	free((void *)hide(malloc(3000)));
}

/* calloc of a large block with alloc_fill: zero, and only the filled
 * first part written (the rest of a fresh mapping is zero already). */
static void c_calloc_large(void)
{
	size_t n = (size_t)256 << 20;
	struct rusage a, b;
	getrusage(RUSAGE_SELF, &a);
	volatile unsigned char *p = hide(calloc(1, n));
	bool ok = p && p[0] == 0 && p[(1 << 20) - 1] == 0 && p[1 << 20] == 0 && p[n / 2] == 0 &&
	          p[n - 1] == 0;
	getrusage(RUSAGE_SELF, &b);
	free((void *)p);
	/* ru_maxrss is in KiB: a cleared block would add 256 MiB. */
	exit(ok && b.ru_maxrss - a.ru_maxrss < 64 * 1024 ? 0 : 1);
}

/* The churn with the pages locked: the purges' madvise fails, and the
 * chunks they move to "never used" must still read as zero. */
static void c_locked_churn(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
		exit(0); /* not allowed here: nothing to test */
	c_free_fill_churn();
}

static void c_uaf_read(void)
{
	volatile unsigned char *p = hide(malloc(40));
	free((void *)p);
	(void)p[8];
}

static void c_overflow(void)
{
	hide(malloc(20000))[20000] = 1;
}

/* Kernel mappings of the process: lines of /proc/self/maps. */
static long count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	long n = 0;
	for (int c; (c = getc(f)) != EOF;)
		n += c == '\n';
	fclose(f);
	return n;
}

/* 30,000 live blocks of 5,000 bytes, each sampled: one in 8 KiB-page
 * samples would take a guarded span (three mappings) each and reach
 * vm.max_map_count (65,530) at about 22,600, where malloc and fopen
 * failed. Past bastion's cap further samples come from zones. */
static void c_many_spans(void)
{
	enum { N = 30000 };
	static void *p[N];
	for (int i = 0; i < N; i++) {
		p[i] = malloc(5000);
		if (!p[i]) {
			fprintf(stderr, "malloc %d failed\n", i);
			exit(3);
		}
		memset(p[i], 1, 8);
	}
	long maps = count_maps();
	if (maps < 0 || maps > 20000) {
		fprintf(stderr, "%ld mappings for %d blocks\n", maps, N);
		exit(4);
	}
	for (int i = 0; i < N; i++)
		free(p[i]);
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
    {"alloc_fill", c_alloc_fill},
    {"free_fill_uaf", c_free_fill_uaf},
    {"free_fill_churn", c_free_fill_churn},
    {"uaf_read", c_uaf_read},
    {"overflow", c_overflow},
    {"calloc_large", c_calloc_large},
    {"locked_churn", c_locked_churn},
    {"many_spans", c_many_spans},
};

static void expect(const char *name, const char *options, int sig, int code, const char *want)
{
	struct child c;
	child_run(&c, NULL, name, options);
	bool ended = sig ? child_signalled(&c, sig) : child_exited(&c, code);
	bool said = want ? strstr(c.err, want) != NULL : !child_reported(&c);
	CHECK_MSG(ended && said, "%s with \"%s\": status %#x, stderr \"%s\"", name, options,
	          c.status, c.err);
}

int main(int argc, char **argv)
{
	if (argc == 2) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (strcmp(argv[1], cases[i].name) == 0)
				cases[i].fn();
		return 0;
	}
	expect("alloc_fill", "alloc_fill=190,sample_rate=0", 0, 0, NULL);
	expect("alloc_fill", "profile=fuzz", 0, 0, NULL);
	expect("free_fill_uaf", "free_fill=213,sample_rate=0", SIGABRT, 0,
	       "bastion: write-after-free: freed chunk was overwritten: byte 3 of");
	expect("free_fill_churn", "free_fill=213,sample_rate=0", 0, 0, NULL);
	expect("free_fill_churn", "profile=fuzz", 0, 0, NULL);
	/* Without the wipe, freed chunks keep the program's bytes: the ones a
	 * purge moves to "never used" are cleared, or they would be reported. */
	expect("free_fill_churn", "wipe=0,sample_rate=0", 0, 0, NULL);
	expect("locked_churn", "sample_rate=0", 0, 0, NULL);
	expect("locked_churn", "free_fill=213,sample_rate=0", 0, 0, NULL);
	expect("calloc_large", "alloc_fill=190", 0, 0, NULL);
	/* Without the profile the freed chunk reads as its wipe (zero), no
	 * fault; with it, the block had its own page, now inaccessible. */
	expect("uaf_read", "", 0, 0, NULL);
	expect("uaf_read", "profile=fuzz", SIGSEGV, 0, "bastion: use-after-free: read at byte 8");
	/* 20,000 bytes: past a page, so a mapping of its own up to 64 KiB. */
	expect("overflow", "profile=fuzz", SIGSEGV, 0, "bastion: heap-overflow: write at byte 0");
	/* Not sampled: a zone chunk, whose slack the exit check reads. */
	expect("overflow", "profile=fuzz,sample_max_bytes=4k", SIGABRT, 0,
	       "bastion: canary-corrupted: live chunk overflowed past its request of 20000 bytes");
	expect("many_spans", "sample_rate=1,sample_max_bytes=8k", 0, 0, NULL);
	CHECK_DONE();
}
