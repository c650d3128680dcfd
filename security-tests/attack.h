/*
 * Shared helpers for bastion's attack programs. Each program in attacks/
 * performs one attack through the standard malloc API, so it runs under
 * any allocator (LD_PRELOAD), and declares its expected outcome under
 * bastion in a comment line of the form
 *
 *     EXPECT: abort:<kind>           killed by SIGABRT after printing
 *                                    "bastion: <kind>:" on stderr
 *     EXPECT: segv                   killed by SIGSEGV or SIGBUS (a guard
 *                                    page or an inaccessible chunk)
 *     EXPECT: abort:<kind> or segv   either of the two
 *     EXPECT: defend                 exits 0: the property held
 *
 * A program whose attack succeeds says what happened on stderr and exits
 * 1 (attack_won). Exiting 0 after an attack that should have been stopped
 * is therefore a miss, never a pass. Programs are built with -O0 and use
 * the helpers below so the compiler cannot remove the bug.
 */
#ifndef BST_ATTACK_H
#define BST_ATTACK_H

#include <dlfcn.h>
#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Hides a pointer from the optimiser: the compiler must assume it escapes
 * and that its memory is read. */
static inline void *escape(void *p)
{
	__asm__ __volatile__("" : "+r"(p)::"memory");
	return p;
}

/* The attack worked: the allocator did not stop it. */
__attribute__((noreturn)) static inline void attack_won(const char *what)
{
	fprintf(stderr, "attack succeeded: %s\n", what);
	exit(1);
}

/* The property held. */
__attribute__((noreturn)) static inline void defended(const char *what)
{
	fprintf(stderr, "defended: %s\n", what);
	exit(0);
}

/*
 * The helpers below are scaffolding shared by several programs. They are
 * static, so each program gets its own copy, and marked unused, so programs
 * that do not need them build without warnings.
 */

/* ---- Zone chunks ------------------------------------------------------ */

/* Blocks taken by zone_chunk() besides the one it returned. */
__attribute__((unused)) static void *zone_chunk_extras[16];
__attribute__((unused)) static int zone_chunk_nextras;

/* The 4 MiB-aligned slot that holds p. */
__attribute__((unused)) static inline uintptr_t zone_slot(const void *p)
{
	return (uintptr_t)p >> 22;
}

/*
 * A block of n bytes that is a chunk of one of bastion's zones. Why: bastion
 * places an occasional small allocation (sampling) on a page of its own,
 * against a guard page and outside every zone, with a layout of its own (no
 * canary right after the usable size, slack before the block, inaccessible
 * once freed, a report of its own). An attack that relies on the zone layout
 * would change outcome on that random draw, so it asks for a zone chunk:
 * zones are 4 MiB aligned and sampled blocks live outside them, so when two
 * blocks share a 4 MiB-aligned slot both are zone chunks. zone_chunk() takes
 * blocks until one shares a slot with an earlier one, and returns it; the
 * earlier ones stay allocated (free_extras() frees them). Under other
 * allocators any block will do.
 */
__attribute__((unused)) static char *zone_chunk(size_t n)
{
	for (int k = 0; k < 16; k++) {
		char *q = (char *)malloc(n);
		for (int j = 0; j < zone_chunk_nextras; j++)
			if (zone_slot(zone_chunk_extras[j]) == zone_slot(q))
				return q;
		zone_chunk_extras[zone_chunk_nextras++] = q;
	}
	return (char *)malloc(n);
}

/*
 * n blocks of size bytes that are chunks of bastion's zones, into out:
 * n + 16 are taken, and those alone in their 4 MiB slot (sampled onto a
 * page of their own) are freed, as are any beyond n. Under other
 * allocators blocks are contiguous enough to share slots. Returns how
 * many it kept (n, or fewer if too many were sampled); exits 2 if malloc
 * fails. Each block is filled with 'o'.
 */
__attribute__((unused)) static int zone_blocks(char **out, int n, size_t size)
{
	char *cand[256];
	int k = 0, m = n + 16 < 256 ? n + 16 : 256;
	for (int i = 0; i < m; i++) {
		cand[i] = (char *)escape(malloc(size));
		if (!cand[i])
			exit(2);
		memset(cand[i], 'o', size);
	}
	for (int i = 0; i < m; i++) {
		int shared = 0;
		for (int j = 0; j < m; j++)
			shared += j != i && zone_slot(cand[j]) == zone_slot(cand[i]);
		if (shared && k < n)
			out[k++] = cand[i];
		else
			free(cand[i]);
	}
	return k;
}

/* Frees the blocks zone_chunk() kept: a program whose attack corrupts the
 * neighbours of its block calls it so that bastion checks them too. */
__attribute__((unused)) static void free_extras(void)
{
	for (int j = 0; j < zone_chunk_nextras; j++)
		free(zone_chunk_extras[j]);
}

/* ---- Linear overflow --------------------------------------------------- */

/*
 * Fills block p to its usable size, then writes past that end one byte at a
 * time for two pages. Returns only if no write faulted, by reporting what
 * (the attack won). For blocks that a guard page must follow.
 */
__attribute__((unused, noreturn)) static void overflow_two_pages(char *p, const char *what)
{
	size_t n = malloc_usable_size(p);
	memset(p, 'A', n);
	volatile char *v = (volatile char *)escape(p);
	for (size_t i = n; i < n + 2 * 4096; i++)
		v[i] = 'B';
	attack_won(what);
}

/* ---- Running the program again ---------------------------------------- */

/*
 * Makes sure the program runs with the environment variable name set to
 * value: if it is not, re-executes /proc/self/exe with it set and the same
 * argv. Why: an allocator reads its options when it starts, before main, so
 * a program that needs an option (BASTION_OPTIONS) must set it for a fresh
 * process. Exits 2 if the exec fails.
 */
__attribute__((unused)) static void reexec_with_env(char **argv, const char *name,
                                                    const char *value)
{
	const char *o = getenv(name);
	if (o && strcmp(o, value) == 0)
		return;
	setenv(name, value, 1);
	execv("/proc/self/exe", argv);
	perror("execv /proc/self/exe");
	exit(2);
}

/* Whether this is a run started by run_child(): argv[1] is "child". */
__attribute__((unused)) static int is_child_run(int argc, char **argv)
{
	return argc > 1 && strcmp(argv[1], "child") == 0;
}

/*
 * Runs this program again in child mode (fork + exec of /proc/self/exe with
 * argv[1] = "child") and puts what it prints on stdout in buf (at most
 * size - 1 bytes, NUL-terminated). Why: a fresh process has its own ASLR and
 * allocator seed, so properties across runs (entropy) are measured this way.
 * Exits 2 if the child fails or prints nothing.
 */
__attribute__((unused)) static void run_child(const char *argv0, char *buf, size_t size)
{
	int fd[2];
	if (pipe(fd) != 0)
		exit(2);
	pid_t pid = fork();
	if (pid < 0)
		exit(2);
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		char *args[] = {(char *)argv0, (char *)"child", NULL};
		execv("/proc/self/exe", args);
		_exit(127);
	}
	close(fd[1]);
	size_t n = 0;
	ssize_t r;
	while (n < size - 1 && (r = read(fd[0], buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(fd[0]);
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || n == 0)
		exit(2);
}

/* Up to this many runs for distinct_child_outputs(), of up to 63 bytes. */
#define CHILD_RUNS_MAX 64
#define CHILD_OUT_SIZE 64

/*
 * Runs this program runs times with run_child() and returns how many
 * distinct outputs the runs gave (each child prints one number in canonical
 * decimal, so distinct outputs are distinct numbers). The first run's
 * output is copied to first if first is not NULL (CHILD_OUT_SIZE bytes).
 */
__attribute__((unused)) static int distinct_child_outputs(const char *argv0, int runs, char *first)
{
	char out[CHILD_RUNS_MAX][CHILD_OUT_SIZE];
	int distinct = 0;
	if (runs > CHILD_RUNS_MAX)
		exit(2);
	for (int i = 0; i < runs; i++) {
		run_child(argv0, out[i], sizeof(out[i]));
		int seen = 0;
		for (int k = 0; k < i; k++)
			seen |= strcmp(out[k], out[i]) == 0;
		distinct += !seen;
	}
	if (first && runs > 0)
		memcpy(first, out[0], CHILD_OUT_SIZE);
	return distinct;
}

/* ---- Private zones ------------------------------------------------------ */
/*
 * A program that keeps a sensitive type in a zone of its own, as a daemon
 * would with bastion_zone_*: it looks the functions up at run time and,
 * where the allocator has none, does what a portable program does, plain
 * malloc and free. The attack then shows what that gives.
 */
struct type_zone {
	void *(*create)(size_t, unsigned);
	void *(*alloc)(void *);
	void (*release)(void *, void *);
	void (*destroy)(void *);
	void *zone;
	size_t size;
};

__attribute__((unused)) static void type_zone_init(struct type_zone *t, size_t size)
{
	memset(t, 0, sizeof(*t));
	t->size = size;
	*(void **)&t->create = dlsym(RTLD_DEFAULT, "bastion_zone_create");
	*(void **)&t->alloc = dlsym(RTLD_DEFAULT, "bastion_zone_alloc");
	*(void **)&t->release = dlsym(RTLD_DEFAULT, "bastion_zone_free");
	*(void **)&t->destroy = dlsym(RTLD_DEFAULT, "bastion_zone_destroy");
	if (t->create && t->alloc && t->release && t->destroy)
		t->zone = t->create(size, 0);
}

__attribute__((unused)) static void *type_zone_alloc(struct type_zone *t)
{
	void *p = t->zone ? t->alloc(t->zone) : calloc(1, t->size);
	if (!p)
		exit(2);
	return escape(p);
}

__attribute__((unused)) static void type_zone_free(struct type_zone *t, void *p)
{
	if (t->zone)
		t->release(t->zone, p);
	else
		free(p);
}

/* ---- Surviving a fault -------------------------------------------------- */

__attribute__((unused)) static sigjmp_buf attack_fault_env;

__attribute__((unused)) static void attack_on_fault(int sig)
{
	(void)sig;
	siglongjmp(attack_fault_env, 1);
}

/*
 * Runs fn(arg) with SIGSEGV and SIGBUS caught; returns 1 if it completed, 0
 * if it faulted (the signal handlers are restored either way). Why: bastion
 * makes a freed sampled allocation inaccessible, so a use after free of one
 * faults; a program whose attack needs the access to land retries with
 * another chunk instead of dying on that random draw.
 */
__attribute__((noinline, unused)) static int without_fault(void (*fn)(void *), void *arg)
{
	struct sigaction sa, old_segv, old_bus;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = attack_on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	volatile int ok = 0;
	if (sigsetjmp(attack_fault_env, 1) == 0) {
		fn(arg);
		ok = 1;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return ok;
}

struct attack_store {
	volatile uint64_t *dst;
	const uint64_t *words;
	size_t n;
};

__attribute__((unused)) static void attack_do_store(void *arg)
{
	struct attack_store *s = (struct attack_store *)arg;
	for (size_t i = 0; i < s->n; i++)
		s->dst[i] = s->words[i];
}

/* Stores words[0..n) at dst[0..n) in order; returns 0 if a store faulted. */
__attribute__((unused)) static int try_store(volatile uint64_t *dst, const uint64_t *words,
                                             size_t n)
{
	struct attack_store s = {dst, words, n};
	return without_fault(attack_do_store, &s);
}

/* ---- Pushing a chunk out of the quarantine and making it come back ------ */

/*
 * bastion does not hand a freed chunk out again at once: it goes through a
 * per-thread ring (evicts one at random per free), its class's drain batch
 * and a shared 8 MiB FIFO before it is released to its zone. A program that
 * needs a freed chunk back (to see its write after free reported, or to show
 * that a freed chunk comes back clean) first runs flush_round() many times,
 * then hold_zones(). The numbers are worked out in write_after_free_small.c.
 */
#define FLUSH_BIG  60000
#define HOLD_ZONES 3
#define ZONE_BYTES ((size_t)4 << 20)

/*
 * One flush round: malloc/free of a size-byte block (passed to check first,
 * if check is not NULL), then malloc/free of a FLUSH_BIG block of another
 * class, whose frees fill the ring's 1 MiB and the FIFO's 8 MiB quickly. The
 * same-class frees fill the class's drain batch.
 */
__attribute__((unused)) static void flush_round(size_t size, void (*check)(const void *))
{
	void *q = escape(malloc(size));
	if (check)
		check(q);
	free(q);
	free(escape(malloc(FLUSH_BIG)));
}

/*
 * After a class's blocks were freed: rounds of another class (FLUSH_BIG
 * blocks, see flush_round) push them through the quarantines back to their
 * zone, then twice a pause longer than bastion's 250 ms sweep interval and
 * more rounds, so that a sweep runs and, the second time, finds the zone
 * with no allocation since the first and gives back its free pages.
 */
__attribute__((unused)) static void purge_sweeps(int rounds)
{
	for (int pass = 0; pass < 3; pass++) {
		if (pass) {
			struct timespec pause = {0, 300 * 1000 * 1000};
			nanosleep(&pause, NULL);
		}
		for (int i = 0; i < rounds; i++)
			free(escape(malloc(FLUSH_BIG)));
	}
}

/*
 * A dangling pointer into pages given back: allocates anchors + freed zone
 * blocks of size bytes (zone_blocks), frees all but the anchors, which
 * stay live so the zone never empties (with none, it empties), lets the
 * sweeps give back the freed chunks' pages (purge_sweeps, flush rounds),
 * and returns one of the freed blocks. Exits 2 if it cannot set this up.
 */
__attribute__((unused)) static char *purged_dangling(size_t size, int freed, int anchors, int flush)
{
	char *blocks[256];
	if (freed + anchors > 256 || zone_blocks(blocks, freed + anchors, size) < freed + anchors)
		exit(2);
	char *dangling = (char *)escape(blocks[anchors + freed / 2]);
	for (int i = anchors; i < freed + anchors; i++)
		free(blocks[i]);
	purge_sweeps(flush);
	for (int i = 0; i < anchors; i++)
		escape(blocks[i]);
	return dangling;
}

/*
 * Allocates HOLD_ZONES zones' worth of size-byte blocks (stride bytes each
 * in a zone) without freeing any, passing each to check if check is not
 * NULL. A class that only ever has a few hundred blocks outstanding has one
 * zone, and a thread refills from its zone until every chunk is taken, so a
 * chunk released to the zone is handed out again before this returns. The
 * blocks are never freed. Exits 2 if the array for them cannot be allocated.
 */
__attribute__((unused)) static void hold_zones(size_t size, size_t stride,
                                               void (*check)(const void *))
{
	size_t hold = HOLD_ZONES * (ZONE_BYTES / stride);
	void **kept = (void **)malloc(hold * sizeof(void *));
	if (!kept)
		exit(2);
	for (size_t i = 0; i < hold; i++) {
		kept[i] = escape(malloc(size));
		if (check)
			check(kept[i]);
	}
}

/*
 * The write-after-free attack of write_after_free_small.c for blocks of
 * size bytes: a dangling pointer stores one 8-byte field into the middle of
 * the freed block, then flush_round and hold_zones make the chunk come back.
 * Retries with another block (up to 4 tries) when the store faults: a
 * sampled block is freed to an inaccessible page. Raises SIGSEGV if every
 * try faulted; returns if the write was never noticed (the attack won).
 */
__attribute__((unused)) static void write_after_free_attack(size_t size, int flush)
{
	size_t usable = 0;
	int stored = 0;
	for (int attempt = 0; attempt < 4 && !stored; attempt++) {
		char *p = (char *)escape(malloc(size));
		if (!p)
			exit(2);
		char *dangling = (char *)escape(p);
		usable = malloc_usable_size(p);
		memset(p, 'o', size);
		free(p);
		/* The bug: obj->field = x through the dangling pointer. */
		uint64_t field = 0x4141414141414141ull;
		stored = try_store((volatile uint64_t *)(dangling + size / 2), &field, 1);
	}
	if (!stored) {
		/* Every try faulted: the allocator defends by faulting. */
		raise(SIGSEGV);
		exit(3);
	}
	for (int i = 0; i < flush; i++)
		flush_round(size, NULL);
	hold_zones(size, usable + 8, NULL);
}

#endif
