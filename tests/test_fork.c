/*
 * fork while other threads allocate.
 *
 * NWORKERS threads allocate, reallocate and free (small and large chunks,
 * each filled with a pattern checked before it is freed) and a spawner
 * thread keeps starting and joining short-lived allocating threads, while
 * the main thread forks NFORKS times. At fork time the other threads are
 * anywhere inside the allocator: in a fast path, refilling a bin, draining
 * their quarantine into the zones, creating or flushing a thread cache,
 * mapping a large block. The fork handlers must leave the child a
 * consistent heap: every lock free, and no chunk of a vanished thread's
 * cache given back twice or handed out while live.
 *
 * Each child arms alarm() (a deadlock becomes SIGALRM), checks and frees
 * half of the blocks the main thread allocated before the fork, allocates,
 * fills, checks and frees a lot (small and large, with realloc), and
 * _exit(0)s. Every fifth child also starts threads that allocate and free.
 * The parent requires every child to exit with status 0. The workers idle
 * while a child runs (the machine may have 2 cores) and resume before the
 * next fork; the main thread keeps using its heap meanwhile.
 *
 * Usage: test_fork [forks]   (default 50, or BST_TEST_FORKS).
 * BST_TEST_VERBOSE=1 prints the time of each fork and child.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bastion.h"
#include "check.h"

#define NWORKERS     3
#define WORKER_SLOTS 256
#define MAIN_BLOCKS  256
#define CHILD_SLOTS  1024
#define CHILD_ALARM  20 /* seconds; sanitizer builds are slow */

static atomic_int stop;
static atomic_int paused; /* workers idle while a child runs: 2 cores only */
static atomic_int failures;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "[pid %d] %s:%d: ", (int)getpid(), __FILE__, __LINE__);            \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		atomic_fetch_add(&failures, 1);                                                    \
	} while (0)

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A block: a 16-byte header (tag, size), then 8-byte words derived from
 * the tag and their index. */
struct hdr {
	uint64_t tag;
	uint64_t size;
};

static uint64_t word_of(uint64_t tag, size_t k)
{
	return (tag ^ ((uint64_t)k * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
}

static void *make_block(void *p, size_t size, uint64_t tag)
{
	if (!p)
		return NULL;
	uint64_t *w = p;
	w[0] = tag;
	w[1] = size;
	for (size_t k = 2; k < size / 8; k++)
		w[k] = word_of(tag, k);
	return p;
}

/* Checks a block made by make_block; returns false when damaged. At most
 * `limit` bytes are compared (after a realloc shrank the block). */
static bool check_block(const void *p, size_t limit, const char *what)
{
	const uint64_t *w = p;
	size_t n = (w[1] < limit ? w[1] : limit) / 8;
	for (size_t k = 2; k < n; k++)
		if (w[k] != word_of(w[0], k)) {
			FAIL("%s: block %p (tag %#llx size %zu) damaged at byte %zu", what, p,
			     (unsigned long long)w[0], (size_t)w[1], k * 8);
			return false;
		}
	return true;
}

/* Small mostly, sometimes a large mapping; never below the header. The
 * parent's workers stay smaller: after each fork every page they write is
 * a copy-on-write fault, which costs a TLB shootdown in a threaded
 * process. */
static size_t pick_size(uint64_t *rng, bool parent)
{
	uint64_t r = rnd(rng);
	unsigned sel = (unsigned)(r % 1000);
	r >>= 10;
	if (sel < 700)
		return 16 + (size_t)(r % 256);
	if (sel < (parent ? 990u : 950u))
		return 16 + (size_t)(r % (parent ? 2048 : 8192));
	if (sel < 995)
		return 16 + (size_t)(r % 65536);
	return 70000 + (size_t)(r % 200000);
}

/* One random step on a table of blocks: allocate into an empty slot,
 * realloc or free a full one. */
static void step(void **tab, size_t nslots, uint64_t *rng, uint64_t tag_base, uint64_t *tags,
                 bool parent)
{
	uint64_t r = rnd(rng);
	size_t s = (size_t)(r % nslots);
	void *p = tab[s];
	if (!p) {
		size_t n = pick_size(rng, parent);
		void *q = (r >> 32) % 4 == 0 ? bastion_calloc(1, n) : bastion_malloc(n);
		if (!q)
			FAIL("allocation of %zu failed (errno %d)", n, errno);
		tab[s] = make_block(q, n, tag_base + ++*tags);
		return;
	}
	struct hdr h;
	memcpy(&h, p, sizeof(h));
	if (!check_block(p, SIZE_MAX, "step"))
		return; /* leave it: freeing a damaged block could abort */
	if ((r >> 32) % 3 == 0) {
		size_t n = pick_size(rng, parent);
		void *q = bastion_realloc(p, n);
		if (!q) {
			FAIL("realloc(%zu -> %zu) failed (errno %d)", (size_t)h.size, n, errno);
			return;
		}
		check_block(q, n, "realloc");
		tab[s] = make_block(q, n, tag_base + ++*tags);
		return;
	}
	bastion_free(p);
	tab[s] = NULL;
}

static void free_table(void **tab, size_t nslots)
{
	for (size_t i = 0; i < nslots; i++)
		if (tab[i]) {
			if (check_block(tab[i], SIZE_MAX, "final"))
				bastion_free(tab[i]);
			tab[i] = NULL;
		}
}

static void libc_enter(void);
static void libc_leave(void);

static void *parent_worker(void *arg)
{
	libc_leave(); /* started */
	uintptr_t id = (uintptr_t)arg;
	static void *tabs[NWORKERS][WORKER_SLOTS];
	void **tab = tabs[id];
	uint64_t rng = (uint64_t)time(NULL) * 31 + id, tags = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (atomic_load_explicit(&paused, memory_order_relaxed)) {
			usleep(200);
			continue;
		}
		for (int i = 0; i < 64; i++)
			step(tab, WORKER_SLOTS, &rng, (uint64_t)(id + 1) << 48, &tags, true);
	}
	free_table(tab, WORKER_SLOTS);
	return NULL;
}

/* Short-lived threads started by the spawner: forks also land while a
 * thread creates its cache or flushes it at exit. */
static void *short_lived(void *arg)
{
	libc_leave(); /* started */
	uintptr_t id = (uintptr_t)arg;
	void *tab[64] = {0};
	uint64_t rng = (uint64_t)time(NULL) * 131 + id, tags = 0;
	for (int i = 0; i < 300; i++)
		step(tab, 64, &rng, (uint64_t)(id % 1000 + 1000) << 48, &tags, true);
	free_table(tab, 64);
	libc_enter(); /* until joined */
	return NULL;
}

/* Thread creation, start-up, exit and join allocate and free with the
 * process malloc. Under clang 14's ASan runtime that allocator is not
 * fork-safe: a fork landing inside one of them (a new thread's ASan
 * start-up, an exiting one returning its ASan cache) leaves the child's
 * malloc locked. Child 0 hung in ASan's SizeClassAllocator64 in 2 to 4 of
 * 8 runs. That is the sanitizer's limit, not bastion's, so those phases are
 * kept out of the fork window: `in_libc` counts threads being created or
 * started, or past their last bastion call and not yet joined, and main
 * waits it out with `forking` set. The threads still create their caches,
 * run and flush inside bastion while the forks land. */
static atomic_int in_libc, forking;

static void libc_enter(void)
{
	for (;;) {
		atomic_fetch_add(&in_libc, 1);
		if (!atomic_load(&forking))
			return;
		atomic_fetch_sub(&in_libc, 1);
		while (atomic_load(&forking))
			usleep(50);
	}
}

static void libc_leave(void)
{
	atomic_fetch_sub(&in_libc, 1);
}

static void *spawner(void *arg)
{
	(void)arg;
	libc_leave(); /* started */
	for (uintptr_t n = 0; !atomic_load_explicit(&stop, memory_order_relaxed); n++) {
		if (atomic_load_explicit(&paused, memory_order_relaxed)) {
			usleep(200);
			continue;
		}
		pthread_t t;
		libc_enter(); /* until the new thread runs */
		if (pthread_create(&t, NULL, short_lived, (void *)n) != 0) {
			FAIL("pthread_create failed");
			break;
		}
		pthread_join(t, NULL);
		libc_leave();
	}
	return NULL;
}

/* Threads started in a child. */
static void *child_worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	void *tab[256] = {0};
	uint64_t rng = (uint64_t)getpid() * 7919 + id, tags = 0;
	for (int i = 0; i < 3000; i++)
		step(tab, 256, &rng, (uint64_t)(id + 100) << 48, &tags, false);
	free_table(tab, 256);
	return NULL;
}

static void *main_blocks[MAIN_BLOCKS];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void child(int n)
{
	double c0 = now();
	alarm(CHILD_ALARM);
	/* The main thread's blocks came through fork intact and can be freed
	 * (cross-generation frees land in the child's own quarantine). */
	for (size_t i = 0; i < MAIN_BLOCKS; i += 2)
		if (main_blocks[i] && check_block(main_blocks[i], SIZE_MAX, "inherited")) {
			bastion_free(main_blocks[i]);
			main_blocks[i] = NULL;
		}
	static void *tab[CHILD_SLOTS];
	uint64_t rng = (uint64_t)getpid() * 1000003, tags = 0;
	for (int i = 0; i < 4000; i++)
		step(tab, CHILD_SLOTS, &rng, (uint64_t)200 << 48, &tags, false);
	free_table(tab, CHILD_SLOTS);
	/* Many chunks of one class: every zone of the class, including the
	 * ones the vanished threads' caches were drawing from, gets used. */
	static void *many[3000];
	for (int i = 0; i < 3000; i++)
		many[i] = make_block(bastion_malloc(48), 48, ((uint64_t)201 << 48) + (uint64_t)i);
	for (int i = 0; i < 3000; i++) {
		if (!many[i]) {
			FAIL("malloc(48) failed");
			continue;
		}
		if (check_block(many[i], SIZE_MAX, "many"))
			bastion_free(many[i]);
	}
	if (n % 5 == 0) {
		pthread_t th[3];
		for (uintptr_t i = 0; i < 3; i++)
			if (pthread_create(&th[i], NULL, child_worker, (void *)i) != 0)
				FAIL("pthread_create in child failed");
		for (int i = 0; i < 3; i++)
			pthread_join(th[i], NULL);
	}
	if (getenv("BST_TEST_VERBOSE"))
		fprintf(stderr, "child %d: %.3f s\n", n, now() - c0);
	fflush(stderr);
	_exit(atomic_load(&failures) ? 1 : 0);
}

int main(int argc, char **argv)
{
	const char *arg = argc > 1 ? argv[1] : getenv("BST_TEST_FORKS");
	int nforks = arg ? atoi(arg) : 50;
	double t0 = now();
	uint64_t rng = (uint64_t)time(NULL), tags = 0;
	for (size_t i = 0; i < MAIN_BLOCKS; i++) {
		size_t n = pick_size(&rng, false);
		main_blocks[i] = make_block(bastion_malloc(n), n, ((uint64_t)300 << 48) + ++tags);
		CHECK(main_blocks[i] != NULL);
	}

	pthread_t th[NWORKERS + 1];
	atomic_store(&in_libc, NWORKERS + 1); /* each new thread takes one off */
	for (uintptr_t i = 0; i < NWORKERS; i++)
		CHECK(pthread_create(&th[i], NULL, parent_worker, (void *)i) == 0);
	CHECK(pthread_create(&th[NWORKERS], NULL, spawner, NULL) == 0);

	int ok = 0;
	for (int n = 0; n < nforks; n++) {
		/* Let the workers get going (and into the allocator's slow
		 * paths) before forking. */
		atomic_store(&paused, 0);
		usleep(3000);
		fflush(stdout);
		fflush(stderr);
		double f0 = now();
		atomic_store(&forking, 1);
		while (atomic_load(&in_libc) != 0)
			usleep(50);
		pid_t pid = fork();
		atomic_store(&forking, 0);
		if (pid > 0 && getenv("BST_TEST_VERBOSE"))
			fprintf(stderr, "fork %d: %.3f s\n", n, now() - f0);
		if (pid < 0) {
			CHECK(pid >= 0);
			break;
		}
		if (pid == 0)
			child(n);
		atomic_store(&paused, 1);
		/* The parent keeps using its heap while the child runs. */
		for (int i = 0; i < 500; i++)
			step(main_blocks, MAIN_BLOCKS, &rng, (uint64_t)301 << 48, &tags, true);
		int status;
		pid_t w;
		while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		CHECK(w == pid);
		if (getenv("BST_TEST_VERBOSE"))
			fprintf(stderr, "fork %d: iteration %.3f s\n", n, now() - f0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			ok++;
		} else if (WIFSIGNALED(status)) {
			fprintf(stderr, "fork %d: child killed by signal %d (%s)%s\n", n,
			        WTERMSIG(status), strsignal(WTERMSIG(status)),
			        WTERMSIG(status) == SIGALRM ? ": deadlock or livelock" : "");
			CHECK(!WIFSIGNALED(status));
		} else {
			fprintf(stderr, "fork %d: child exited with status %d\n", n,
			        WEXITSTATUS(status));
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i <= NWORKERS; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	free_table(main_blocks, MAIN_BLOCKS);
	printf("%d/%d children exited cleanly in %.2f s\n", ok, nforks, now() - t0);
	CHECK(ok == nforks);
	CHECK(atomic_load(&failures) == 0);
	CHECK_DONE();
}
