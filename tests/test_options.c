/*
 * Runtime options (BASTION_OPTIONS): the effect of each one, and the lines
 * the parser prints. Options are read once per process, so ctest runs this
 * program once per setting (tests/options.cmake sets BASTION_OPTIONS),
 * with a mode saying what to measure and what to expect:
 *
 *   reuse SIZE MIN MAX      malloc/free pairs of SIZE bytes in a fresh
 *                           heap: the first malloc that returns an address
 *                           handed out before is number MIN..MAX, counting
 *                           from 0 (quarantine_slots, quarantine_bytes,
 *                           shared_quarantine_bytes)
 *   large N                 a freed large block stays reserved and
 *                           inaccessible through N - 1 more large frees and
 *                           is unmapped by the Nth (large_quarantine)
 *   sample N LO HI          LO..HI of N small blocks are sampled: they end
 *                           at a page end, against an inaccessible page
 *                           (sample_rate)
 *   canary LO HI            the first window of a fresh zone holds LO..HI
 *                           canary chunks (canary_chunks)
 *   wipe zero|kept          a freed chunk reads back as zeros, or keeps its
 *                           contents (wipe)
 *   neighbour caught|missed an overflow through a freed chunk is reported,
 *                           or not, when the chunk after it is freed
 *                           (neighbour_checks)
 *   verify abort|count      bastion_verify aborts at a corrupted canary, or
 *                           reports and counts each (verify_abort)
 *   parse                   bst_options_parse itself: the values and the
 *                           exact line for each kind of bad input
 *   startup                 this program run again with BASTION_OPTIONS
 *                           set: the lines at start-up, help, and items
 *                           after an invalid one still applying
 *   privileged              prints what bastion decided about this process:
 *                           "AT_SECURE=N secure=0|1 trusted_env=set|unset"
 *                           (the last for BASTION_TEST_TRUSTED, read as
 *                           bst_getenv(BST_ENV_TRUSTED) reads it); for
 *                           tests/setuid_test.sh
 *   (no arguments)          parse, then startup
 *
 * Every check compares against what the option's value implies, so a
 * setting that were ignored fails. Built twice: test_options (prefixed
 * API, every flavour) and, with -DBST_TEST_STD, test_options_std linked
 * with libbastion.so for the start-up checks with bastion as the process
 * malloc (no parse mode there: the parser is not exported).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bastion.h"
#include "check.h"
#ifndef BST_TEST_STD
#include "internal.h"
#endif

#define PAGE      ((uintptr_t)4096)
#define ZONE_SLOT ((uintptr_t)4 << 20)

static const char *argv0;

/* Hides a pointer from the optimiser, so accesses through it stay. */
static void *escape(void *p)
{
	__asm__ __volatile__("" : "+r"(p)::"memory");
	return p;
}

/* ---- probing memory without faulting ---- */

static int probe_fd[2] = {-1, -1};

/* Whether the byte at p can be read: write(2) copies it into a pipe, or
 * fails with EFAULT. No signal, so it works the same under sanitizers. */
static bool readable(const void *p)
{
	if (probe_fd[0] < 0 && pipe(probe_fd) != 0)
		exit(2);
	ssize_t n = write(probe_fd[1], p, 1);
	if (n == 1) {
		char c;
		if (read(probe_fd[0], &c, 1) != 1)
			exit(2);
		return true;
	}
	if (errno != EFAULT)
		exit(2);
	return false;
}

/* Whether the page at p is mapped at all (PROT_NONE counts as mapped). */
static bool mapped(const void *p)
{
	unsigned char vec;
	if (mincore((void *)((uintptr_t)p & ~(PAGE - 1)), PAGE, &vec) == 0)
		return true;
	if (errno != ENOMEM)
		exit(2);
	return false;
}

/* A sampled block ends at its page end, against a guard page; a zone chunk
 * or large block has its canary there, readable. */
/* A sampled block ends at its guard page, but for the few bytes of tail
 * slack its 16-byte alignment leaves. */
static uintptr_t end16(void *p)
{
	return ((uintptr_t)p + bastion_malloc_usable_size(p) + 15) & ~(uintptr_t)15;
}

static bool is_sampled(void *p)
{
	return !readable((char *)end16(p));
}

/* A block of n bytes that is a zone chunk: sampled ones are kept (leaked)
 * and another is taken, so the result never depends on the sampling draw. */
static unsigned char *zone_malloc(size_t n)
{
	for (;;) {
		unsigned char *p = bastion_malloc(n);
		if (!p)
			exit(2);
		if (!is_sampled(p))
			return p;
	}
}

/* ---- running code in a child, output captured ---- */

struct child {
	int status;
	char out[4096], err[16384];
};

static void capture(int fd, char *buf, size_t cap)
{
	off_t n = lseek(fd, 0, SEEK_END);
	if (n < 0 || (size_t)n >= cap || pread(fd, buf, (size_t)n, 0) != n)
		exit(2);
	buf[n] = 0;
	close(fd);
}

/* Forks; the child's stdout and stderr go to memory files. In the child,
 * with options set, execs this program as "child <what>" with
 * BASTION_OPTIONS=options; else runs fn and exits 0. */
static void run_child(struct child *c, void (*fn)(void), const char *options, const char *what)
{
	int out = memfd_create("test_options_out", 0), err = memfd_create("test_options_err", 0);
	if (out < 0 || err < 0)
		exit(2);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		exit(2);
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		if (options) {
			setenv("BASTION_OPTIONS", options, 1);
			char *args[] = {(char *)argv0, (char *)"child", (char *)what, NULL};
			execv("/proc/self/exe", args);
			_exit(127);
		}
		fn();
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &c->status, 0) != pid)
		exit(2);
	capture(out, c->out, sizeof(c->out));
	capture(err, c->err, sizeof(c->err));
}

static bool aborted(const struct child *c)
{
	return WIFSIGNALED(c->status) && WTERMSIG(c->status) == SIGABRT;
}

static bool exited_0(const struct child *c)
{
	return WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

static void show(const char *what, const struct child *c)
{
	printf("%s: status 0x%x\n  stdout: %s\n  stderr: %s\n", what, c->status, c->out, c->err);
}

/* ---- reuse: the quarantines ---- */

#define SEEN_SLOTS (1u << 16)
static uintptr_t seen[SEEN_SLOTS];

/* Adds p to the set; false if it was there already. */
static bool seen_add(uintptr_t p)
{
	uint32_t i = (uint32_t)((p >> 4) * 0x9e3779b97f4a7c15ull >> 48);
	for (; seen[i]; i = (i + 1) & (SEEN_SLOTS - 1))
		if (seen[i] == p)
			return false;
	seen[i] = p;
	return true;
}

static void test_reuse(size_t size, long min, long max)
{
	if (max >= (long)SEEN_SLOTS / 2)
		exit(2);
	long k = 0;
	for (; k <= max; k++) {
		void *p = escape(bastion_malloc(size));
		CHECK(p != NULL);
		if (!p || !seen_add((uintptr_t)p))
			break;
		bastion_free(p);
	}
	printf("reuse: first repeated address at malloc %ld (expected %ld..%ld)\n", k, min, max);
	CHECK(k >= min && k <= max);
}

/* ---- large: the virtual-memory quarantine ---- */

#define LARGE_SIZE ((size_t)256 * 1024)

static void test_large(long n)
{
	unsigned char *first = bastion_malloc(LARGE_SIZE);
	CHECK(first != NULL);
	if (!first)
		return;
	memset(first, 0x5a, LARGE_SIZE);
	bastion_free(first);
	/* Counts the large frees after first's until first is unmapped; in
	 * the quarantine before that, reserved but inaccessible. */
	long k = 0;
	for (; k <= n + 1 && mapped(first); k++) {
		CHECK(!readable(first) && !readable(first + LARGE_SIZE - 1));
		void *other = bastion_malloc(LARGE_SIZE);
		CHECK(other != NULL);
		bastion_free(other);
	}
	CHECK(!readable(first));
	printf("large: the freed block was unmapped after %ld more large frees (expected %ld)\n", k,
	       n);
	CHECK(k == n);
}

/* ---- sample: guarded sampled allocations ---- */

static void test_sample(long n, long lo, long hi)
{
	long sampled = 0;
	for (long k = 0; k < n; k++) {
		char *p = escape(bastion_malloc(40));
		CHECK(p != NULL);
		if (!p)
			return;
		size_t usable = bastion_malloc_usable_size(p);
		p[0] = p[usable - 1] = 1;
		if (is_sampled(p)) {
			sampled++;
			/* Its own page: it ends at the page end (up to its
			 * alignment), an overflow past the slack lands on the
			 * guard page. */
			CHECK(end16(p) % PAGE == 0);
		}
		bastion_free(p);
	}
	printf("sample: %ld of %ld allocations sampled (expected %ld..%ld)\n", sampled, n, lo, hi);
	CHECK(sampled >= lo && sampled <= hi);
}

/* ---- canary: canary chunks in a zone's first window ---- */

/* 5000-byte requests use 5120-byte chunks; a zone of them exposes its
 * chunks 64 at a time, and one malloc in a fresh heap exposes only the
 * first 64 (zone.c, extend_window). */
#define CANARY_REQ    5000
#define CANARY_WINDOW 64

/* A canary chunk holds one nonzero word, repeated; never-used chunks read
 * as zero, live and freed ones end with a canary unlike their contents. */
static bool is_canary_chunk(const uint64_t *w, size_t words)
{
	if (w[0] == 0)
		return false;
	for (size_t k = 1; k < words; k++)
		if (w[k] != w[0])
			return false;
	return true;
}

static void test_canary(long lo, long hi)
{
	unsigned char *p = zone_malloc(CANARY_REQ);
	size_t chunk = bastion_chunk_size(CANARY_REQ);
	CHECK(chunk == 5120);
	uintptr_t zone = (uintptr_t)p & ~(ZONE_SLOT - 1);
	long found = 0;
	for (size_t i = 0; i < CANARY_WINDOW; i++)
		found += is_canary_chunk((const uint64_t *)(zone + i * chunk), chunk / 8);
	printf("canary: %ld canary chunks among the first %d (expected %ld..%ld)\n", found,
	       CANARY_WINDOW, lo, hi);
	CHECK(found >= lo && found <= hi);
}

/* ---- wipe ---- */

/* Prints "zero" if a freed chunk reads back as zeros, "kept" if it still
 * holds what was written, else "other". Zone memory stays mapped, so the
 * dangling read does not fault. */
static void wipe_observe(void)
{
	unsigned char *p = zone_malloc(200);
	size_t usable = bastion_malloc_usable_size(p);
	memset(p, 0x5a, usable);
	bastion_free(p);
	volatile unsigned char *v = escape(p);
	size_t zero = 0, kept = 0;
	for (size_t i = 0; i < usable; i++) {
		zero += v[i] == 0;
		kept += v[i] == 0x5a;
	}
	puts(zero == usable ? "zero" : kept == usable ? "kept" : "other");
}

static void test_wipe(const char *expect)
{
	struct child c;
	char want[16];
	snprintf(want, sizeof(want), "%s\n", expect);
	run_child(&c, wipe_observe, NULL, NULL);
	show("wipe", &c);
	CHECK(exited_0(&c));
	CHECK(strcmp(c.out, want) == 0);
	CHECK(c.err[0] == 0);
}

/* ---- neighbour checks ---- */

#define NB_REQ   5000
#define NB_CHUNK ((uintptr_t)5120)
#define NB_COUNT 256

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

/* Three chunks a, b, c in a row; b freed; a overflows through the whole
 * of b, its canary included; then c is freed, and its neighbour check
 * reads b's canary. Prints b's address first, then "freed" if the free of
 * c returned. */
static void neighbour_attack(void)
{
	static uintptr_t p[NB_COUNT];
	for (int i = 0; i < NB_COUNT; i++)
		p[i] = (uintptr_t)zone_malloc(NB_REQ);
	qsort(p, NB_COUNT, sizeof(p[0]), cmp_ptr);
	for (int i = 0; i + 2 < NB_COUNT; i++) {
		if (p[i + 1] != p[i] + NB_CHUNK || p[i + 2] != p[i + 1] + NB_CHUNK)
			continue;
		bastion_free((void *)p[i + 1]);
		unsigned char *a = escape((void *)p[i]);
		memset(a, 'O', 2 * NB_CHUNK); /* a's canary and all of b */
		printf("%#lx\n", (unsigned long)p[i + 1]);
		fflush(stdout);
		bastion_free(escape((void *)p[i + 2]));
		puts("freed");
		return;
	}
	puts("no three chunks in a row");
	exit(3);
}

static void test_neighbour(const char *expect)
{
	struct child c;
	run_child(&c, neighbour_attack, NULL, NULL);
	show("neighbour", &c);
	unsigned long b = strtoul(c.out, NULL, 16);
	char want[256];
	if (strcmp(expect, "caught") == 0) {
		snprintf(want, sizeof(want),
		         "bastion: canary-corrupted: freed chunk was overwritten ptr=%#lx "
		         "size-class=%lu\n",
		         b, (unsigned long)NB_CHUNK);
		CHECK(aborted(&c));
		CHECK(strchr(c.out, '\n') == c.out + strlen(c.out) - 1); /* no "freed" */
		CHECK(b != 0 && strcmp(c.err, want) == 0);
	} else {
		snprintf(want, sizeof(want), "%#lx\nfreed\n", b);
		CHECK(exited_0(&c));
		CHECK(b != 0 && strcmp(c.out, want) == 0);
		CHECK(c.err[0] == 0);
	}
}

/* ---- verify_abort ---- */

/* Two live chunks of 112 bytes with a canary byte flipped; prints their
 * addresses, lower first, then what bastion_verify returns. */
static void verify_corrupt(void)
{
	uintptr_t p[2];
	for (int i = 0; i < 2; i++) {
		unsigned char *q = zone_malloc(100);
		size_t usable = bastion_malloc_usable_size(q);
		volatile unsigned char *v = escape(q);
		v[usable] ^= 0xff; /* a one-byte overflow */
		p[i] = (uintptr_t)q;
	}
	int lo = p[0] > p[1];
	printf("%#lx %#lx\n", (unsigned long)p[lo], (unsigned long)p[!lo]);
	fflush(stdout);
	printf("%zu\n", bastion_verify());
}

static void test_verify(const char *expect)
{
	struct child c;
	run_child(&c, verify_corrupt, NULL, NULL);
	show("verify", &c);
	unsigned long p0 = 0, p1 = 0;
	CHECK(sscanf(c.out, "%lx %lx", &p0, &p1) == 2 && p0 && p1);
	const char *fmt =
	    "bastion: canary-corrupted: live chunk overflowed past its request of 100 bytes: "
	    "byte 100 changed ptr=%#lx size-class=112\n";
	char line0[256], line1[256], want[512];
	snprintf(line0, sizeof(line0), fmt, p0);
	snprintf(line1, sizeof(line1), fmt, p1);
	if (strcmp(expect, "abort") == 0) {
		CHECK(aborted(&c));
		CHECK(strcmp(c.err, line0) == 0); /* the first problem only */
	} else {
		snprintf(want, sizeof(want), "%#lx %#lx\n2\n", p0, p1);
		CHECK(exited_0(&c));
		CHECK(strcmp(c.out, want) == 0); /* counted */
		snprintf(want, sizeof(want), "%s%s", line0, line1);
		CHECK(strcmp(c.err, want) == 0); /* each reported, one line */
	}
}

/* ---- the lines at start-up ---- */

static const struct {
	const char *name;
	unsigned long long def;
	const char *doc;
	unsigned long long min, max;
	const char *looser;
	const char *const *words;
} opts[] = {
#define BST_OPTION(name, type, def, min, max, looser, doc)                                         \
	{#name, def, doc, min, max, #looser, BST_WORDS_OF(type, name)},
#include "options.def"
#undef BST_OPTION
};
#define NOPT (sizeof(opts) / sizeof(opts[0]))

static const struct {
	const char *name, *settings, *doc;
} profs[] = {
#define BST_PROFILE(name, settings, doc) {#name, settings, doc},
#include "options.def"
#undef BST_PROFILE
};
#define NPROF (sizeof(profs) / sizeof(profs[0]))

/* "name=default" as the help line shows it: sizes with the k, m or g
 * suffix that divides them exactly. */
static int setting(char *buf, size_t cap, size_t i)
{
	unsigned long long v = opts[i].def;
	if (opts[i].words)
		return snprintf(buf, cap, "%s=%s", opts[i].name, opts[i].words[v]);
	size_t n = strlen(opts[i].name);
	bool size = n > 6 && strcmp(opts[i].name + n - 6, "_bytes") == 0;
	const char *suffix = "";
	if (size && v && v % (1ull << 30) == 0)
		v >>= 30, suffix = "g";
	else if (size && v && v % (1ull << 20) == 0)
		v >>= 20, suffix = "m";
	else if (size && v && v % (1ull << 10) == 0)
		v >>= 10, suffix = "k";
	return snprintf(buf, cap, "%s=%llu%s", opts[i].name, v, suffix);
}

/* name=v as the notices spell it: sizes with the k, m or g suffix that
 * divides them exactly, a word option's value by name. */
__attribute__((unused)) static void canon_setting(char *buf, size_t cap, size_t i,
                                                  unsigned long long v)
{
	size_t n = strlen(opts[i].name);
	bool size = n > 6 && strcmp(opts[i].name + n - 6, "_bytes") == 0;
	if (opts[i].words)
		snprintf(buf, cap, "%s=%s", opts[i].name, opts[i].words[v]);
	else if (size && v && v % (1ull << 30) == 0)
		snprintf(buf, cap, "%s=%llug", opts[i].name, v >> 30);
	else if (size && v && v % (1ull << 20) == 0)
		snprintf(buf, cap, "%s=%llum", opts[i].name, v >> 20);
	else if (size && v && v % (1ull << 10) == 0)
		snprintf(buf, cap, "%s=%lluk", opts[i].name, v >> 10);
	else
		snprintf(buf, cap, "%s=%llu", opts[i].name, v);
}

/* The table BASTION_OPTIONS=help prints: one line per option. */
static const char *help_text(void)
{
	static char text[8192];
	char s[128];
	int width = 0;
	for (size_t i = 0; i < NOPT; i++) {
		int n = setting(s, sizeof(s), i);
		width = n > width ? n : width;
	}
	size_t pos = 0;
	for (size_t i = 0; i < NOPT; i++) {
		setting(s, sizeof(s), i);
		pos +=
		    (size_t)snprintf(text + pos, sizeof(text) - pos,
		                     "bastion: options: help: %-*s  %s\n", width, s, opts[i].doc);
	}
	for (size_t i = 0; i < NPROF; i++) {
		snprintf(s, sizeof(s), "profile=%s", profs[i].name);
		pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
		                        "bastion: options: help: %-*s  %s: %s\n", width, s,
		                        profs[i].doc, profs[i].settings);
	}
	return text;
}

static void test_startup_case(const char *options, const char *err, const char *out)
{
	struct child c;
	run_child(&c, NULL, options, "wipe");
	bool ok = exited_0(&c) && strcmp(c.err, err) == 0 && strcmp(c.out, out) == 0;
	if (!ok) {
		printf("BASTION_OPTIONS=\"%s\"\n  expected stderr: %s  expected stdout: %s",
		       options, err, out);
		show("  got", &c);
	}
	CHECK(ok);
}

static void test_startup(void)
{
	test_startup_case("", "", "zero\n");
	test_startup_case("wipe=0",
	                  "bastion: options: protection weakened by BASTION_OPTIONS: wipe=0\n",
	                  "kept\n");
	/* Bad items are reported one line each, with why, and skipped; the
	 * items after them still apply. */
	test_startup_case("nosuch,quarantine_slots=x,wipe=0",
	                  "bastion: options: unknown option ignored: nosuch (BASTION_OPTIONS=help "
	                  "lists them)\n"
	                  "bastion: options: bad value ignored: quarantine_slots=x (not a number; "
	                  "from 0 to 4096)\n"
	                  "bastion: options: protection weakened by BASTION_OPTIONS: wipe=0\n",
	                  "kept\n");
	/* help (or help=1) prints the table and ends the process with 0:
	 * nothing else of the string applies, the program does not run. */
	test_startup_case("help", help_text(), "");
	test_startup_case("help=1", help_text(), "");
	test_startup_case("help,wipe=0,help", help_text(), "");
	test_startup_case("wipe=0,nosuch,help=1", help_text(), "");
	test_startup_case("help=0", "", "zero\n");
	/* abort_on_bad_options=1 makes a bad item fatal, wherever it stands;
	 * good ones alone run as usual. */
	const char *fatal[] = {"abort_on_bad_options=1,nosuch", "wipe=x,abort_on_bad_options=1",
	                       "profile=nosuch,abort_on_bad_options=1"};
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		struct child c;
		run_child(&c, NULL, fatal[i], "wipe");
		CHECK_MSG(aborted(&c) && strstr(c.err, "\nbastion: bad-options: ") != NULL &&
		              c.out[0] == 0,
		          "BASTION_OPTIONS=%s: status %#x, stderr %s", fatal[i], c.status, c.err);
	}
	test_startup_case("abort_on_bad_options=1,wipe=0",
	                  "bastion: options: protection weakened by BASTION_OPTIONS: wipe=0\n",
	                  "kept\n");
	/* The table matches options.def: nineteen options and one profile,
	 * the first and last. */
	CHECK(NOPT == 19 && NPROF == 1);
	CHECK(strstr(help_text(), "help: profile=fuzz ") != NULL);
	CHECK(strncmp(help_text(), "bastion: options: help: quarantine_slots=256  ", 45) == 0);
	CHECK(strstr(help_text(), "help: quarantine_bytes=1m ") != NULL);
	CHECK(strstr(help_text(), "help: shared_quarantine_bytes=8m  bytes each") != NULL);
}

/* ---- the parser, called directly ---- */

#ifndef BST_TEST_STD
static int parse_failures;

/* Parses in over the defaults with stderr captured, as an ordinary or a
 * privileged (secure) process; the lines printed must be err exactly and
 * the result want. */
static void load_case(bool secure, const char *baked, const char *in, const char *err,
                      const struct bst_options *want)
{
	struct bst_options got;
	bst_options_defaults(&got);
	int fd = memfd_create("test_options_parse", 0), saved = dup(2);
	if (fd < 0 || saved < 0 || dup2(fd, 2) < 0)
		exit(2);
	bst_options_load(&got, baked, in, secure);
	dup2(saved, 2);
	close(saved);
	char out[8192];
	capture(fd, out, sizeof(out));
	bool ok = strcmp(out, err) == 0 && memcmp(&got, want, sizeof(got)) == 0;
	if (!ok) {
		printf("parse \"%s\"%s%s%s:\n  expected: %s  got:      %s", in,
		       secure ? " (privileged)" : "", baked ? " over the program's " : "",
		       baked ? baked : "", err, out);
		if (memcmp(&got, want, sizeof(got)) != 0)
			printf("  and the values differ\n");
		parse_failures++;
	}
	CHECK(ok);
}

static void parse_case_as(bool secure, const char *in, const char *err,
                          const struct bst_options *want)
{
	load_case(secure, NULL, in, err, want);
}

static void parse_case(const char *in, const char *err, const struct bst_options *want)
{
	parse_case_as(false, in, err, want);
}

#define LINE(msg, item) "bastion: options: " msg " " item "\n"
#define UNKNOWN(item)   LINE("unknown option ignored:", item " (BASTION_OPTIONS=help lists them)")
#define BAD(item, why)  LINE("bad value ignored:", item " (" why ")")
#define WEAKENED(item)  LINE("protection weakened by BASTION_OPTIONS:", item)
#define REFUSED(item)   LINE("weakening refused in a privileged process (AT_SECURE):", item)

_Static_assert(sizeof(struct bst_options) == NOPT * sizeof(unsigned long long),
               "struct bst_options is one unsigned long long per option, in table order");

/* Privileged processes: for every option, values around its default and
 * at its limits; each one that weakens a protection is refused there (one
 * line, the default stays) and applied with a notice in an ordinary
 * process; every other value applies silently in both. Every option whose
 * looser expression is not "0" must meet at least one weakening value,
 * so an option added to options.def is covered without editing this. */
static void test_parse_secure(void)
{
	struct bst_options d, w;
	bst_options_defaults(&d);
	unsigned weakening_options = 0, expected = 0;
	for (size_t i = 0; i < NOPT; i++) {
		unsigned long long def = opts[i].def, lo = opts[i].min, hi = opts[i].max;
		unsigned long long cand[] = {lo,      lo + 1,  def / 2, def - 1, def,
		                             def + 1, def * 2, hi - 1,  hi};
		bool met = false;
		expected += strcmp(opts[i].looser, "0") != 0;
		for (size_t c = 0; c < sizeof(cand) / sizeof(cand[0]); c++) {
			unsigned long long v = cand[c];
			if (v < lo || v > hi)
				continue;
			char in[96], err[192];
			snprintf(in, sizeof(in), "%s=%llu", opts[i].name, v);
			w = d;
			((unsigned long long *)&w)[i] = v;
			if (bst_option_looser(i, v)) {
				met = true;
				snprintf(err, sizeof(err), REFUSED("%s"), in);
				parse_case_as(true, in, err, &d);
				/* The weakening notice spells the value in force as
				 * the help table does. */
				char canon[96];
				canon_setting(canon, sizeof(canon), i, v);
				snprintf(err, sizeof(err), WEAKENED("%s"), canon);
				parse_case_as(false, in, err, &w);
			} else {
				parse_case_as(true, in, "", &w);
				parse_case_as(false, in, "", &w);
			}
		}
		weakening_options += met;
	}
	CHECK(expected >= 9 && weakening_options == expected);

	/* The example: every weakening refused, in order, and a
	 * tightening item among them still applies. */
	w = d;
	w.sample_rate = 1;
	parse_case_as(true, "wipe=0,quarantine_slots=0,sample_rate=0,canary_chunks=0,sample_rate=1",
	              REFUSED("wipe=0") REFUSED("quarantine_slots=0") REFUSED("sample_rate=0")
	                  REFUSED("canary_chunks=0"),
	              &w);
	/* A refusal leaves the value an earlier tightening item set. */
	w = d;
	w.quarantine_slots = 1024;
	parse_case_as(true, "quarantine_slots=1024,quarantine_slots=16",
	              REFUSED("quarantine_slots=16"), &w);
	/* help and printing options stay allowed. */
	w = d;
	w.stats_at_exit = 1;
	parse_case_as(true, "stats_at_exit=1", "", &w);
	parse_case_as(true, "help", help_text(), &d);
	if (parse_failures == 0)
		printf("parse: privileged processes refuse %u weakening options\n",
		       weakening_options);
}

static void test_parse(void)
{
	struct bst_options d, w;
	bst_options_defaults(&d);
	CHECK(d.quarantine_slots == 256 && d.quarantine_bytes == 1 << 20 &&
	      d.shared_quarantine_bytes == 8 << 20 && d.large_quarantine == 64 &&
	      d.sample_rate == 4096 && d.canary_chunks == 64 && d.wipe == 1 &&
	      d.neighbour_checks == 1 && d.verify_abort == 1);

	parse_case("", "", &d);
	parse_case(",,", "", &d);
	/* Tightening is silent; suffixes multiply by 2^10, 2^20, 2^30. */
	w = d;
	w.quarantine_bytes = 2 << 20;
	w.sample_rate = 1;
	w.canary_chunks = 16;
	w.shared_quarantine_bytes = 4ull << 30; /* the maximum */
	w.quarantine_slots = 4096;
	parse_case("quarantine_bytes=2m,sample_rate=1,canary_chunks=16,shared_quarantine_bytes=4G,"
	           "quarantine_slots=4k",
	           "", &w);

	/* Each weakening: one line naming the item, and the value applies. */
	w = d;
	w.quarantine_slots = 0;
	parse_case("quarantine_slots=0", WEAKENED("quarantine_slots=0"), &w);
	w = d;
	w.quarantine_bytes = 1024;
	parse_case("quarantine_bytes=1k", WEAKENED("quarantine_bytes=1k"), &w);
	w = d;
	w.shared_quarantine_bytes = 0;
	parse_case("shared_quarantine_bytes=0", WEAKENED("shared_quarantine_bytes=0"), &w);
	w = d;
	w.large_quarantine = 63;
	parse_case("large_quarantine=63", WEAKENED("large_quarantine=63"), &w);
	w = d;
	w.sample_rate = 0;
	parse_case("sample_rate=0", WEAKENED("sample_rate=0"), &w);
	w.sample_rate = 8192;
	parse_case("sample_rate=8192", WEAKENED("sample_rate=8192"), &w);
	w = d;
	w.canary_chunks = 0;
	parse_case("canary_chunks=0", WEAKENED("canary_chunks=0"), &w);
	w.canary_chunks = 65;
	parse_case("canary_chunks=65", WEAKENED("canary_chunks=65"), &w);
	w = d;
	w.wipe = 0;
	parse_case("wipe=0", WEAKENED("wipe=0"), &w);
	w = d;
	w.neighbour_checks = 0;
	parse_case("neighbour_checks=0", WEAKENED("neighbour_checks=0"), &w);
	w = d;
	w.verify_abort = 0;
	parse_case("verify_abort=0", WEAKENED("verify_abort=0"), &w);

	/* Unknown names, exact and case-sensitive. */
	parse_case("nosuch=1", UNKNOWN("nosuch=1"), &d);
	parse_case("Wipe=0", UNKNOWN("Wipe=0"), &d);
	parse_case("wipe =0", UNKNOWN("wipe =0"), &d);
	parse_case("=1", UNKNOWN("=1"), &d);
	/* Bad values: not a number, out of range, no '=', empty, bad or
	 * doubled suffix, overflow, sign. */
	parse_case("wipe=yes", BAD("wipe=yes", "not a number; 0 or 1"), &d);
	parse_case("wipe=2", BAD("wipe=2", "out of range; 0 or 1"), &d);
	parse_case("quarantine_slots=4097",
	           BAD("quarantine_slots=4097", "out of range; from 0 to 4096"), &d);
	parse_case("sample_rate=2g", BAD("sample_rate=2g", "out of range; from 0 to 1073741824"),
	           &d);
	parse_case("wipe", BAD("wipe", "no value; 0 or 1"), &d);
	parse_case("wipe=", BAD("wipe=", "no value; 0 or 1"), &d);
	parse_case("quarantine_bytes=1t", BAD("quarantine_bytes=1t", "not a number; from 0 to 1g"),
	           &d);
	parse_case("quarantine_bytes=1kk",
	           BAD("quarantine_bytes=1kk", "not a number; from 0 to 1g"), &d);
	parse_case("quarantine_bytes=k", BAD("quarantine_bytes=k", "not a number; from 0 to 1g"),
	           &d);
	parse_case("quarantine_bytes=18446744073709551616",
	           BAD("quarantine_bytes=18446744073709551616", "not a number; from 0 to 1g"), &d);
	parse_case("quarantine_bytes=17179869184g",
	           BAD("quarantine_bytes=17179869184g", "not a number; from 0 to 1g"), &d);
	parse_case("large_quarantine=-1",
	           BAD("large_quarantine=-1", "not a number; from 0 to 4096"), &d);
	parse_case("large_quarantine= 1",
	           BAD("large_quarantine= 1", "not a number; from 0 to 4096"), &d);

	/* A bad item does not stop the ones after it, and each line comes
	 * in order. */
	w = d;
	w.quarantine_slots = 1024;
	w.verify_abort = 0;
	parse_case("nosuch=1,wipe=x,quarantine_slots=1024,bogus,verify_abort=0",
	           UNKNOWN("nosuch=1") BAD("wipe=x", "not a number; 0 or 1") UNKNOWN("bogus")
	               WEAKENED("verify_abort=0"),
	           &w);
	/* Control bytes cannot break the line: they are echoed as '?'. */
	parse_case("wipe=0\nbastion: fake", BAD("wipe=0?bastion: fake", "not a number; 0 or 1"),
	           &d);
	parse_case("\x1b[2Jx=1", UNKNOWN("?[2Jx=1"), &d);
	/* A long item is cut to 95 bytes: still one line. */
	char longin[300], longout[300];
	memset(longin, 'x', 200);
	strcpy(longin + 200, "=1");
	snprintf(longout, sizeof(longout), UNKNOWN("%.95s"), longin);
	parse_case(longin, longout, &d);

	/* help: the table, once, and nothing changes. */
	parse_case("help", help_text(), &d);
	parse_case("help,wipe=0,help", help_text(), &d);
	parse_case("help=1", help_text(), &d);
	parse_case("help=0", "", &d);
	parse_case("help=2", BAD("help=2", "help or help=1 prints this table"), &d);

	/* One weakening notice per option, for the value in force only. */
	w = d;
	w.wipe = 0;
	parse_case("wipe=0,wipe=0", WEAKENED("wipe=0"), &w);
	parse_case("wipe=0,wipe=1", "", &d);
	/* At most four lines of each kind: the first three, then a count. */
	parse_case("a,b,c,d", UNKNOWN("a") UNKNOWN("b") UNKNOWN("c") UNKNOWN("d"), &d);
	parse_case("a,b,c,d,e,wipe=2",
	           UNKNOWN("a") UNKNOWN("b") UNKNOWN("c") LINE("more problems ignored:", "3"), &d);
	w = d;
	w.wipe = 0;
	w.neighbour_checks = 0;
	w.canary_chunks = 0;
	w.sample_rate = 0;
	w.quarantine_slots = 0;
	parse_case("wipe=0,neighbour_checks=0,canary_chunks=0,sample_rate=0,quarantine_slots=0",
	           WEAKENED("quarantine_slots=0") WEAKENED("sample_rate=0")
	               WEAKENED("canary_chunks=0") WEAKENED("2 more options"),
	           &w);

	/* The program's own options (bastion_default_options), then the
	 * environment's over them. */
	w = d;
	w.sample_rate = 64;
	w.stats_at_exit = 1;
	load_case(false, "sample_rate=64,stats_at_exit=1", NULL, "", &w);
	load_case(false, "sample_rate=64,stats_at_exit=1", "", "", &w);
	w.stats_at_exit = 0;
	load_case(false, "sample_rate=64,stats_at_exit=1", "stats_at_exit=0", "", &w);
	w = d;
	w.wipe = 0;
	load_case(false, "wipe=0", NULL,
	          LINE("protection weakened by the program (bastion_default_options):", "wipe=0"),
	          &w);
	load_case(true, "wipe=0", NULL,
	          LINE("protection weakened by the program (bastion_default_options):", "wipe=0"),
	          &w);
	load_case(false, "wipe=0", "wipe=1", "", &d);
	/* A privileged process: the environment may not change what the
	 * program set, even to the default, and may tighten the rest. */
	w = d;
	w.sample_rate = 64;
	w.quarantine_slots = 1024;
	load_case(true, "sample_rate=64", "sample_rate=4096,quarantine_slots=1024",
	          REFUSED("sample_rate=4096 (the program sets it)"), &w);
	w = d;
	w.wipe = 0;
	load_case(true, "wipe=0", "wipe=1",
	          REFUSED("wipe=1 (the program sets it)") LINE(
	              "protection weakened by the program (bastion_default_options):", "wipe=0"),
	          &w);
	/* The program's string is checked like the environment's. */
	w = d;
	w.sample_rate = 64;
	load_case(false, "nosuch,sample_rate=64", NULL, UNKNOWN("nosuch"), &w);

	/* Profiles: applied before every other item, wherever they stand, so
	 * each of their options can be set one by one. */
	struct bst_options f = d;
	f.sample_rate = 1;
	f.sample_max_bytes = 64 << 10;
	f.large_quarantine = 4096;
	f.alloc_fill = 190;
	f.free_fill = 213;
	parse_case("profile=fuzz", "", &f);
	parse_case_as(true, "profile=fuzz", "", &f); /* it weakens nothing */
	w = f;
	w.alloc_fill = 0;
	parse_case("alloc_fill=0,profile=fuzz", "", &w);
	w.alloc_fill = 7;
	parse_case("profile=fuzz,alloc_fill=7", "", &w);
	w = f;
	w.sample_rate = 0;
	parse_case("sample_rate=0,profile=fuzz", WEAKENED("sample_rate=0"), &w);
	parse_case("profile=nosuch", BAD("profile=nosuch", "profiles: fuzz"), &d);

	/* A word option takes its values' names, and the numbers. */
	w = d;
	w.stats_format = 1;
	parse_case("stats_format=json", "", &w);
	parse_case("stats_format=1", "", &w);
	parse_case("stats_format=json,stats_format=text", "", &d);
	parse_case("stats_format=xml", BAD("stats_format=xml", "one of: text, json"), &d);
	parse_case("stats_format=JSON", BAD("stats_format=JSON", "one of: text, json"), &d);
	parse_case("stats_format=2", BAD("stats_format=2", "out of range; one of: text, json"), &d);
	parse_case("profile", BAD("profile", "profiles: fuzz"), &d);
	parse_case("profile=", BAD("profile=", "profiles: fuzz"), &d);
	if (parse_failures == 0)
		printf("parse: every case printed exactly the expected lines\n");
	test_parse_secure();
}
#endif

/* ---- main ---- */

static long arg(char **argv, int i)
{
	char *end;
	long v = strtol(argv[i], &end, 0);
	if (*end)
		exit(2);
	return v;
}

int main(int argc, char **argv)
{
	argv0 = argv[0];
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "child") == 0 && argc == 3 && strcmp(argv[2], "wipe") == 0) {
		wipe_observe();
		return 0;
	}
	if (strcmp(mode, "reuse") == 0 && argc == 5)
		test_reuse((size_t)arg(argv, 2), arg(argv, 3), arg(argv, 4));
	else if (strcmp(mode, "large") == 0 && argc == 3)
		test_large(arg(argv, 2));
	else if (strcmp(mode, "sample") == 0 && argc == 5)
		test_sample(arg(argv, 2), arg(argv, 3), arg(argv, 4));
	else if (strcmp(mode, "canary") == 0 && argc == 4)
		test_canary(arg(argv, 2), arg(argv, 3));
	else if (strcmp(mode, "wipe") == 0 && argc == 3)
		test_wipe(argv[2]);
	else if (strcmp(mode, "neighbour") == 0 && argc == 3)
		test_neighbour(argv[2]);
	else if (strcmp(mode, "verify") == 0 && argc == 3)
		test_verify(argv[2]);
	else if (strcmp(mode, "startup") == 0 && argc == 2)
		test_startup();
#ifndef BST_TEST_STD
	else if (strcmp(mode, "parse") == 0 && argc == 2)
		test_parse();
	else if (strcmp(mode, "privileged") == 0 && argc == 2) {
		bastion_free(escape(bastion_malloc(1))); /* initialised: bst_g.secure is decided */
		printf("AT_SECURE=%lu secure=%d trusted_env=%s\n", getauxval(AT_SECURE),
		       bst_g.secure,
		       bst_getenv("BASTION_TEST_TRUSTED", BST_ENV_TRUSTED) ? "set" : "unset");
		return 0;
	}
#endif
	else if (argc == 1) {
#ifndef BST_TEST_STD
		test_parse();
#endif
		test_startup();
	} else {
		fprintf(stderr,
		        "usage: %s reuse|large|sample|canary|wipe|neighbour|verify|startup"
#ifndef BST_TEST_STD
		        "|parse|privileged"
#endif
		        " ...\n",
		        argv[0]);
		return 2;
	}
	CHECK_DONE();
}
