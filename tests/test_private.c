/*
 * Private zones through the prefixed API (every flavour, sanitizers
 * included): isolation from the heap and from each other, destroy, misuse
 * detection, protection, and several threads sharing one zone.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bastion.h"
#include "check.h"

#define SLOT(p) ((uintptr_t)(p) >> 22) /* the 4 MiB zone slot of p */

/* Runs fn(arg) in a child with stderr captured. Returns its wait status;
 * out receives what it wrote to stderr. */
static int in_child(void (*fn)(void *), void *arg, char *out, size_t cap)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 2);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	size_t n = 0;
	ssize_t r;
	while (n + 1 < cap && (r = read(fds[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	return status;
}

/* fn must die by SIGABRT after printing a line that starts with line. */
static void expect_report(void (*fn)(void *), void *arg, const char *line)
{
	char out[1024];
	int st = in_child(fn, arg, out, sizeof(out));
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	CHECK(strncmp(out, line, strlen(line)) == 0);
	/* One line, nothing else. */
	CHECK(strchr(out, '\n') == out + strlen(out) - 1);
	if (strncmp(out, line, strlen(line)) != 0)
		fprintf(stderr, "  expected \"%s...\", got \"%s\"\n", line, out);
}

struct fault_call {
	void (*fn)(void *);
	void *arg;
};

/* Sanitizers catch faults and exit with their own report: the default
 * action shows the fault itself. */
static void with_default_fault_action(void *arg)
{
	struct fault_call *c = arg;
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	c->fn(c->arg);
}

/* fn must die by SIGSEGV (or SIGBUS). */
static void expect_fault(void (*fn)(void *), void *arg)
{
	char out[256];
	struct fault_call c = {fn, arg};
	int st = in_child(with_default_fault_action, &c, out, sizeof(out));
	CHECK(WIFSIGNALED(st) && (WTERMSIG(st) == SIGSEGV || WTERMSIG(st) == SIGBUS));
}

static void test_bad_arguments(void)
{
	errno = 0;
	CHECK(bastion_zone_create(0, 0) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(bastion_zone_create(131065, 0) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(bastion_zone_create((size_t)-1, 0) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(bastion_zone_create(64, 0x80) == NULL && errno == EINVAL);
	bastion_zone_t *z = bastion_zone_create(131064, BASTION_ZONE_NODUMP);
	CHECK(z != NULL);
	void *p = bastion_zone_alloc(z);
	CHECK(p != NULL);
	memset(p, 0xab, 131064);
	bastion_zone_free(z, p);
	bastion_zone_free(z, NULL);
	bastion_zone_destroy(z);
}

/* Objects are zeroed, aligned, distinct and writable; a zone's slots hold
 * nothing else: not heap blocks of the same size, not another zone's. */
static void test_isolation(void)
{
	enum { N = 3000 };
	static void *a[N], *b[N], *h[N];
	bastion_zone_t *za = bastion_zone_create(100, 0);
	bastion_zone_t *zb = bastion_zone_create(100, 0);
	CHECK(za && zb && za != zb);
	for (int i = 0; i < N; i++) {
		a[i] = bastion_zone_alloc(za);
		b[i] = bastion_zone_alloc(zb);
		h[i] = bastion_malloc(100);
		CHECK(a[i] && b[i] && h[i]);
		CHECK(((uintptr_t)a[i] & 15) == 0);
		for (int k = 0; k < 100; k++)
			CHECK(((unsigned char *)a[i])[k] == 0);
		memset(a[i], 'A', 100);
		memset(b[i], 'B', 100);
		memset(h[i], 'H', 100);
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j += 97) {
			CHECK(SLOT(a[i]) != SLOT(b[j]));
			CHECK(SLOT(a[i]) != SLOT(h[j]));
			CHECK(SLOT(b[i]) != SLOT(h[j]));
		}
	for (int i = 0; i < N; i++)
		CHECK(((unsigned char *)a[i])[99] == 'A' && ((unsigned char *)b[i])[0] == 'B');
	CHECK(bastion_verify() == 0);

	/* A freed object is wiped, and only its own zone ever reuses it:
	 * thousands of heap and other-zone allocations of the same size never
	 * return one of its addresses. */
	for (int i = 0; i < N; i++)
		bastion_zone_free(za, a[i]);
	CHECK(((unsigned char *)a[0])[0] == 0 && ((unsigned char *)a[N - 1])[99] == 0);
	for (int i = 0; i < N; i++) {
		bastion_free(h[i]);
		h[i] = bastion_malloc(100);
		void *q = bastion_zone_alloc(zb);
		CHECK(SLOT(h[i]) != SLOT(a[0]) && SLOT(q) != SLOT(a[0]));
		for (int j = 0; j < N; j += 211)
			CHECK(h[i] != a[j] && q != a[j]);
		bastion_zone_free(zb, q);
	}
	/* ... and it does reuse them. */
	size_t reused = 0;
	for (int i = 0; i < N; i++) {
		void *q = bastion_zone_alloc(za);
		reused += SLOT(q) == SLOT(a[0]);
		CHECK(((unsigned char *)q)[0] == 0);
	}
	CHECK(reused > N / 2);
	for (int i = 0; i < N; i++) {
		bastion_zone_free(zb, b[i]);
		bastion_free(h[i]);
	}
	bastion_zone_destroy(za);
	bastion_zone_destroy(zb);
	CHECK(bastion_verify() == 0);
}

static bastion_zone_t *g_zone, *g_other;
static void *g_obj;

static void free_with_free(void *arg)
{
	(void)arg;
	bastion_free(g_obj);
}
static void realloc_zone_object(void *arg)
{
	(void)arg;
	bastion_realloc(g_obj, 200);
}
static void usable_of_zone_object(void *arg)
{
	(void)arg;
	bastion_malloc_usable_size(g_obj);
}
static void zone_free_heap(void *arg)
{
	(void)arg;
	bastion_zone_free(g_zone, bastion_malloc(64));
}
static void zone_free_other(void *arg)
{
	(void)arg;
	bastion_zone_free(g_other, g_obj);
}
static void zone_free_stack(void *arg)
{
	(void)arg;
	char buf[64];
	bastion_zone_free(g_zone, buf);
}
static void zone_double_free(void *arg)
{
	(void)arg;
	void *p = bastion_zone_alloc(g_zone);
	bastion_zone_free(g_zone, p);
	bastion_zone_free(g_zone, p);
}
static void zone_free_interior(void *arg)
{
	(void)arg;
	bastion_zone_free(g_zone, (char *)g_obj + 16);
}
static void zone_overflow_then_free(void *arg)
{
	(void)arg;
	void *p = bastion_zone_alloc(g_zone);
	memset(p, 'x', bastion_chunk_size(64)); /* over the canary */
	bastion_zone_free(g_zone, p);
}
static void zone_overflow_then_verify(void *arg)
{
	(void)arg;
	void *p = bastion_zone_alloc(g_zone);
	memset(p, 'x', bastion_chunk_size(64));
	bastion_verify();
}
static void forged_handle(void *arg)
{
	(void)arg;
	static char fake[4096] __attribute__((aligned(4096)));
	bastion_zone_alloc((bastion_zone_t *)fake);
}
static void handle_between_records(void *arg)
{
	(void)arg;
	bastion_zone_alloc((bastion_zone_t *)((char *)g_zone + 8));
}

static void test_misuse(void)
{
	g_zone = bastion_zone_create(64, 0);
	g_other = bastion_zone_create(64, 0);
	g_obj = bastion_zone_alloc(g_zone);
	CHECK(g_zone && g_other && g_obj);
	expect_report(free_with_free, NULL, "bastion: zone-mismatch: free() of an object");
	expect_report(realloc_zone_object, NULL, "bastion: zone-mismatch:");
	expect_report(usable_of_zone_object, NULL, "bastion: zone-mismatch:");
	expect_report(zone_free_heap, NULL,
	              "bastion: zone-mismatch: bastion_zone_free of a malloc");
	expect_report(zone_free_other, NULL,
	              "bastion: zone-mismatch: bastion_zone_free of an object of another");
	expect_report(zone_free_stack, NULL, "bastion: zone-mismatch:");
	expect_report(zone_double_free, NULL, "bastion: double-free:");
	expect_report(zone_free_interior, NULL, "bastion: invalid-free:");
	expect_report(zone_overflow_then_free, NULL, "bastion: canary-corrupted:");
	expect_report(zone_overflow_then_verify, NULL, "bastion: canary-corrupted:");
	expect_report(forged_handle, NULL, "bastion: invalid-zone:");
	expect_report(handle_between_records, NULL, "bastion: invalid-zone:");
	/* The parent's zones are untouched by what the children did. */
	CHECK(bastion_verify() == 0);
	bastion_zone_free(g_zone, g_obj);
	bastion_zone_destroy(g_other);
}

static void read_obj(void *arg)
{
	(void)arg;
	printf("%d\n", *(volatile char *)g_obj);
}
static void write_obj(void *arg)
{
	(void)arg;
	*(volatile char *)g_obj = 1;
}
static void free_after_destroy(void *arg)
{
	(void)arg;
	bastion_free(g_obj);
}
static void zone_free_after_destroy(void *arg)
{
	(void)arg;
	bastion_zone_free(g_zone, g_obj);
}
static void alloc_after_destroy(void *arg)
{
	(void)arg;
	bastion_zone_alloc(g_zone);
}
static void free_while_protected(void *arg)
{
	(void)arg;
	bastion_zone_free(g_zone, g_obj);
}

static void test_protect(void)
{
	g_zone = bastion_zone_create(200, 0);
	g_obj = bastion_zone_alloc(g_zone);
	CHECK(g_zone && g_obj);
	memset(g_obj, 7, 200);
	CHECK(bastion_zone_protect(g_zone) == 0);
	CHECK(bastion_zone_protect(g_zone) == 0); /* twice is fine */
	expect_fault(read_obj, NULL);
	expect_fault(write_obj, NULL);
	errno = 0;
	CHECK(bastion_zone_alloc(g_zone) == NULL && errno == EACCES);
	expect_report(free_while_protected, NULL, "bastion: zone-protected:");
	CHECK(bastion_verify() == 0); /* skips the protected zone */
	CHECK(bastion_zone_unprotect(g_zone) == 0);
	CHECK(bastion_zone_unprotect(g_zone) == 0);
	CHECK(((unsigned char *)g_obj)[199] == 7); /* contents kept */
	void *p = bastion_zone_alloc(g_zone);
	CHECK(p != NULL);
	bastion_zone_free(g_zone, p);
	bastion_zone_free(g_zone, g_obj);
	bastion_zone_destroy(g_zone);
}

static void test_destroy(void)
{
	g_zone = bastion_zone_create(48, 0);
	CHECK(g_zone != NULL);
	void *objs[5000];
	for (int i = 0; i < 5000; i++) {
		objs[i] = bastion_zone_alloc(g_zone);
		CHECK(objs[i] != NULL);
		memset(objs[i], 'k', 48);
	}
	for (int i = 0; i < 5000; i += 2)
		bastion_zone_free(g_zone, objs[i]);
	g_obj = objs[4999]; /* still live when the zone goes */
	bastion_zone_destroy(g_zone);
	expect_fault(read_obj, NULL);
	expect_fault(write_obj, NULL);
	g_obj = objs[0]; /* freed before the destroy */
	expect_fault(read_obj, NULL);
	g_obj = objs[4999];
	expect_report(free_after_destroy, NULL, "bastion: invalid-free: pointer into a destroyed");
	expect_report(zone_free_after_destroy, NULL, "bastion: invalid-zone: zone was destroyed");
	expect_report(alloc_after_destroy, NULL, "bastion: invalid-zone:");
	/* The address range is not handed out again: not to the heap ... */
	for (int i = 0; i < 20000; i++) {
		void *p = bastion_malloc(40);
		CHECK(SLOT(p) != SLOT(objs[0]));
		bastion_free(p);
	}
	/* ... nor to a new zone, and creating and destroying zones in a loop
	 * works. */
	for (int r = 0; r < 200; r++) {
		bastion_zone_t *z = bastion_zone_create(48, 0);
		CHECK(z != NULL);
		void *p = bastion_zone_alloc(z);
		CHECK(p && SLOT(p) != SLOT(objs[0]));
		bastion_zone_destroy(z);
	}
	CHECK(bastion_verify() == 0);
}

/* Threads share a zone: each object is written with its owner's tag and
 * checked before it is freed, and objects move between threads. */
enum { THREADS = 4, OPS = 40000, LIVE = 256 };
static bastion_zone_t *shared_zone;
static void *handoff[THREADS][LIVE];
static pthread_barrier_t barrier;

static void *worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	void *mine[LIVE] = {0};
	unsigned bad = 0, x = (unsigned)id * 2654435761u + 1;
	for (int op = 0; op < OPS; op++) {
		x = x * 1103515245u + 12345u;
		unsigned k = (x >> 8) % LIVE;
		if (mine[k]) {
			bad += *(uintptr_t *)mine[k] != (id << 32 | k);
			bastion_zone_free(shared_zone, mine[k]);
		}
		mine[k] = bastion_zone_alloc(shared_zone);
		if (!mine[k] || *(uintptr_t *)mine[k] != 0)
			bad++;
		else
			*(uintptr_t *)mine[k] = id << 32 | k;
	}
	memcpy(handoff[id], mine, sizeof(mine));
	pthread_barrier_wait(&barrier);
	/* Free the next thread's objects. */
	uintptr_t other = (id + 1) % THREADS;
	for (unsigned k = 0; k < LIVE; k++) {
		bad += *(uintptr_t *)handoff[other][k] != (other << 32 | k);
		bastion_zone_free(shared_zone, handoff[other][k]);
	}
	return (void *)(uintptr_t)bad;
}

static void test_threads(void)
{
	shared_zone = bastion_zone_create(24, 0);
	CHECK(shared_zone != NULL);
	pthread_t t[THREADS];
	pthread_barrier_init(&barrier, NULL, THREADS);
	for (uintptr_t i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
	for (int i = 0; i < THREADS; i++) {
		void *bad;
		pthread_join(t[i], &bad);
		CHECK(bad == NULL);
	}
	pthread_barrier_destroy(&barrier);
	CHECK(bastion_verify() == 0);
	bastion_zone_destroy(shared_zone);
}

/* bastion_stats counts private zones apart from the heap's classes. */
static void test_stats(void)
{
	struct bastion_stats a, b, c;
	a.version = b.version = c.version = BASTION_STATS_VERSION;
	CHECK(bastion_stats(&a) == 0);
	bastion_zone_t *z = bastion_zone_create(100, 0);
	void *objs[300];
	for (int i = 0; i < 300; i++)
		objs[i] = bastion_zone_alloc(z);
	CHECK(bastion_stats(&b) == 0);
	size_t chunk = bastion_chunk_size(100);
	CHECK(b.private_zones.zones == a.private_zones.zones + 1);
	CHECK(b.private_zones.slots == a.private_zones.slots + 1);
	CHECK(b.private_zones.objects_in_use == a.private_zones.objects_in_use + 300);
	CHECK(b.private_zones.bytes_in_use == a.private_zones.bytes_in_use + 300 * chunk);
	CHECK(b.private_zones.bytes_mapped > a.private_zones.bytes_mapped);
	CHECK(b.private_zones.bytes_resident <= b.private_zones.bytes_mapped);
	CHECK(b.private_zones.bytes_resident >= 300 * chunk);
	/* The heap's class is untouched. */
	unsigned cls = 0;
	while (b.classes[cls].chunk_size != chunk)
		cls++;
	CHECK(b.classes[cls].chunks_in_use == a.classes[cls].chunks_in_use);
	CHECK(b.total.bytes_in_use == a.total.bytes_in_use + 300 * chunk);
	for (int i = 0; i < 50; i++)
		bastion_zone_free(z, objs[i]);
	CHECK(bastion_stats(&c) == 0);
	CHECK(c.private_zones.objects_in_use == b.private_zones.objects_in_use - 50);
	CHECK(c.private_zones.bytes_in_use == b.private_zones.bytes_in_use - 50 * chunk);
	CHECK(c.private_zones.objects_quarantined == b.private_zones.objects_quarantined + 50);
	CHECK(bastion_zone_protect(z) == 0); /* counted while protected too */
	CHECK(bastion_stats(&c) == 0);
	CHECK(c.private_zones.objects_in_use == b.private_zones.objects_in_use - 50);
	CHECK(bastion_zone_unprotect(z) == 0);
	bastion_zone_destroy(z);
	CHECK(bastion_stats(&c) == 0);
	CHECK(c.private_zones.zones == a.private_zones.zones);
	CHECK(c.private_zones.slots == a.private_zones.slots);
	CHECK(c.private_zones.bytes_mapped == a.private_zones.bytes_mapped);
}

/* A zone survives fork in both processes. */
static void test_fork(void)
{
	bastion_zone_t *dead = bastion_zone_create(32, 0); /* a dead record at fork */
	bastion_zone_destroy(dead);
	bastion_zone_t *z = bastion_zone_create(32, 0);
	void *p = bastion_zone_alloc(z);
	CHECK(z && p);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		void *q = bastion_zone_alloc(z);
		bastion_zone_free(z, p);
		bastion_zone_free(z, q);
		bastion_zone_destroy(z);
		bastion_zone_t *again = bastion_zone_create(32, 0);
		void *r = again ? bastion_zone_alloc(again) : NULL;
		if (!r)
			_exit(2);
		bastion_zone_free(again, r);
		_exit(bastion_verify() == 0 ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	bastion_zone_free(z, p);
	bastion_zone_destroy(z);
}

int main(void)
{
	test_bad_arguments();
	test_isolation();
	test_misuse();
	test_protect();
	test_destroy();
	test_threads();
	test_stats();
	test_fork();
	CHECK_DONE();
}
