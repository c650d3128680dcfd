/*
 * Statistics through the prefixed API (every flavour, sanitizers included):
 * bastion_stats follows a known allocation pattern exactly, its parts add
 * up, and malloc_stats, malloc_info, mallinfo2 and mallinfo say the same;
 * stats_at_exit prints the table once at exit, and only when asked.
 *
 * Run with BASTION_OPTIONS=sample_rate=0 (tests/stats.cmake): no
 * allocation is sampled, so every small one lands in its class. The
 * process's own malloc is not bastion's, so nothing but the test's calls
 * changes bastion's heap between two snapshots.
 *
 * Usage: test_stats [exit-child N keep|close]   (the second form is the
 * child the stats_at_exit checks run: N blocks of 100 bytes left live at
 * exit; with close, its stderr is closed by an exit handler of its own).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bastion.h"
#include "check.h"

#define NBLOCKS 1000
#define LARGE   ((size_t)1 << 20)

static struct bastion_stats snap(void)
{
	struct bastion_stats s = {.version = BASTION_STATS_VERSION};
	CHECK(bastion_stats(&s) == 0);
	return s;
}

/* Index of the class whose chunks have size chunk. */
static unsigned class_of_chunk(size_t chunk)
{
	struct bastion_stats s = snap();
	for (unsigned c = 0; c < BASTION_STATS_CLASSES; c++)
		if (s.classes[c].chunk_size == chunk)
			return c;
	CHECK(!"no class has that chunk size");
	return 0;
}

static size_t idle(const struct bastion_stats_class *c)
{
	return c->chunks_quarantined + c->chunks_cached + c->chunks_free;
}

/* What must hold of any snapshot. quiet: no thread touches the heap, so
 * every exposed chunk is in exactly one place. */
static void check_consistent(const struct bastion_stats *s, int quiet)
{
	size_t in_use = 0, mapped = 0, resident = 0;
	CHECK(s->version == BASTION_STATS_VERSION);
	CHECK(s->nclasses == BASTION_STATS_CLASSES);
	for (unsigned c = 0; c < BASTION_STATS_CLASSES; c++) {
		const struct bastion_stats_class *cs = &s->classes[c];
		CHECK(cs->chunk_size == (c ? bastion_chunk_size(cs->chunk_size - 8) : 0));
		CHECK(cs->bytes_in_use == cs->chunks_in_use * cs->chunk_size);
		CHECK(cs->bytes_resident <= cs->bytes_mapped);
		CHECK(cs->chunks_in_use + cs->chunks_canary <= cs->chunks_exposed);
		if (cs->zones == 0)
			CHECK(cs->chunks_exposed == 0 && cs->bytes_mapped == 0);
		else
			CHECK(cs->bytes_mapped >= cs->zones * (c ? 4 * 1024 * 1024 - 4096 : 4096));
		if (quiet &&
		    cs->chunks_exposed != cs->chunks_in_use + idle(cs) + cs->chunks_canary) {
			fprintf(
			    stderr,
			    "class %u: exposed %zu != in use %zu + quarantined %zu + cached %zu + "
			    "free %zu + canary %zu\n",
			    c, cs->chunks_exposed, cs->chunks_in_use, cs->chunks_quarantined,
			    cs->chunks_cached, cs->chunks_free, cs->chunks_canary);
			CHECK(!"every exposed chunk is in one place");
		}
		in_use += cs->bytes_in_use;
		mapped += cs->bytes_mapped;
		resident += cs->bytes_resident;
	}
	CHECK(s->large.bytes_resident <= s->large.bytes_mapped);
	CHECK(s->large.bytes_in_use <= s->large.bytes_mapped);
	CHECK(s->sampled.bytes_resident <= s->sampled.bytes_mapped);
	CHECK(s->private_zones.bytes_resident <= s->private_zones.bytes_mapped);
	CHECK(s->total.bytes_in_use == in_use + s->large.bytes_in_use + s->sampled.bytes_in_use +
	                                   s->private_zones.bytes_in_use);
	CHECK(s->total.bytes_mapped == mapped + s->large.bytes_mapped + s->sampled.bytes_mapped +
	                                   s->private_zones.bytes_mapped);
	CHECK(s->total.bytes_resident == resident + s->large.bytes_resident +
	                                     s->sampled.bytes_resident +
	                                     s->private_zones.bytes_resident);
	CHECK(s->total.bytes_resident <= s->total.bytes_mapped);
}

static void test_arguments(void)
{
	errno = 0;
	CHECK(bastion_stats(NULL) == -1 && errno == EINVAL);
	struct bastion_stats s;
	memset(&s, 0, sizeof(s));
	errno = 0;
	CHECK(bastion_stats(&s) == -1 && errno == EINVAL); /* version 0: layout unknown */
	s.version = BASTION_STATS_VERSION + 5;             /* a newer caller gets what we have */
	CHECK(bastion_stats(&s) == 0 && s.version == BASTION_STATS_VERSION);
	check_consistent(&s, 1);

	/* A caller built for version 1 (45 classes) gets that layout and not
	 * a byte more: classes[0..45), then large ... total. */
	size_t head = offsetof(struct bastion_stats, classes);
	size_t v1 = head + 45 * sizeof(struct bastion_stats_class) +
	            (sizeof(s) - offsetof(struct bastion_stats, large));
	unsigned char buf[sizeof(struct bastion_stats) + 64];
	memset(buf, 0xee, sizeof(buf));
	struct bastion_stats now = {.version = BASTION_STATS_VERSION};
	unsigned version = 1;
	memcpy(buf, &version, sizeof(version));
	CHECK(bastion_stats((struct bastion_stats *)(void *)buf) == 0);
	CHECK(bastion_stats(&now) == 0);
	unsigned got_version, got_classes;
	memcpy(&got_version, buf, sizeof(got_version));
	memcpy(&got_classes, buf + sizeof(unsigned), sizeof(got_classes));
	CHECK(got_version == 1 && got_classes == 45);
	struct bastion_stats_class c44;
	memcpy(&c44, buf + head + 44 * sizeof(c44), sizeof(c44));
	CHECK(c44.chunk_size == now.classes[44].chunk_size && c44.chunk_size == 65536);
	size_t total_bytes_mapped;
	memcpy(&total_bytes_mapped,
	       buf + v1 - sizeof(now.total) + offsetof(__typeof__(now.total), bytes_mapped),
	       sizeof(size_t));
	CHECK(total_bytes_mapped == now.total.bytes_mapped);
	for (size_t i = v1; i < sizeof(buf); i++)
		CHECK(buf[i] == 0xee);
}

/* NBLOCKS blocks of 100 bytes in, half of them out. */
static void test_pattern(void **blocks, unsigned cls)
{
	size_t chunk = bastion_chunk_size(100);
	CHECK(chunk == 112);
	struct bastion_stats before = snap();
	for (int i = 0; i < NBLOCKS; i++)
		CHECK((blocks[i] = bastion_malloc(100)) != NULL);
	struct bastion_stats after = snap();
	check_consistent(&after, 1);
	const struct bastion_stats_class *b = &before.classes[cls], *a = &after.classes[cls];
	CHECK(a->chunks_in_use - b->chunks_in_use == NBLOCKS);
	CHECK(a->bytes_in_use - b->bytes_in_use == NBLOCKS * chunk);
	CHECK(after.total.bytes_in_use - before.total.bytes_in_use == NBLOCKS * chunk);
	CHECK(a->zones >= 1);
	for (unsigned c = 0; c < BASTION_STATS_CLASSES; c++)
		if (c != cls)
			CHECK(after.classes[c].chunks_in_use == before.classes[c].chunks_in_use);

	for (int i = 0; i < NBLOCKS / 2; i++)
		bastion_free(blocks[i]);
	struct bastion_stats freed = snap();
	check_consistent(&freed, 1);
	const struct bastion_stats_class *f = &freed.classes[cls];
	CHECK(a->chunks_in_use - f->chunks_in_use == NBLOCKS / 2);
	CHECK(idle(f) - idle(a) == NBLOCKS / 2);
	/* 500 chunks of 112 bytes fit the thread's ring (256 slots, 1 MiB)
	 * and the shared FIFO (8 MiB): none is back in its zone yet. */
	CHECK(f->chunks_quarantined - a->chunks_quarantined == NBLOCKS / 2);
	CHECK(after.total.bytes_in_use - freed.total.bytes_in_use == NBLOCKS / 2 * chunk);
}

static void *large_block;

static void test_large(void)
{
	struct bastion_stats before = snap();
	CHECK((large_block = bastion_malloc(LARGE)) != NULL);
	memset(large_block, 1, LARGE);
	struct bastion_stats after = snap();
	check_consistent(&after, 1);
	CHECK(after.large.count - before.large.count == 1);
	CHECK(after.large.bytes_in_use - before.large.bytes_in_use == LARGE);
	size_t mapped = after.large.bytes_mapped - before.large.bytes_mapped;
	CHECK(mapped >= LARGE && mapped <= LARGE + 4096); /* ends at its guard page */
	CHECK(after.large.bytes_resident - before.large.bytes_resident >= LARGE);
	CHECK(after.total.bytes_in_use - before.total.bytes_in_use == LARGE);
	CHECK(after.sampled.count == 0); /* sample_rate=0 */

	void *gone = bastion_malloc(LARGE);
	CHECK(gone != NULL);
	bastion_free(gone);
	struct bastion_stats freed = snap();
	CHECK(freed.large.count == after.large.count);
	CHECK(freed.large.bytes_in_use == after.large.bytes_in_use);
	CHECK(freed.large.quarantined - after.large.quarantined == 1);
}

/* Private zone objects are not in the class lists. */
static void test_private_apart(unsigned cls)
{
	struct bastion_stats before = snap();
	bastion_zone_t *z = bastion_zone_create(100, 0);
	CHECK(z != NULL);
	void *o[5];
	for (int i = 0; i < 5; i++)
		CHECK((o[i] = bastion_zone_alloc(z)) != NULL);
	struct bastion_stats after = snap();
	check_consistent(&after, 1);
	CHECK(after.classes[cls].chunks_in_use == before.classes[cls].chunks_in_use);
	CHECK(after.classes[cls].zones == before.classes[cls].zones);
	for (int i = 0; i < 5; i++)
		bastion_zone_free(z, o[i]);
	bastion_zone_destroy(z);
}

static void test_mallinfo(void)
{
	struct bastion_stats s = snap();
	struct mallinfo2 m = bastion_mallinfo2();
	struct mallinfo m1 = bastion_mallinfo();
	size_t idle_n = 0, idle_bytes = 0;
	for (unsigned c = 0; c < BASTION_STATS_CLASSES; c++) {
		idle_n += s.classes[c].chunks_free + s.classes[c].chunks_cached;
		idle_bytes += (s.classes[c].chunks_free + s.classes[c].chunks_cached) *
		              s.classes[c].chunk_size;
	}
	CHECK(m.arena == s.total.bytes_mapped - s.large.bytes_mapped);
	CHECK(m.ordblks == idle_n);
	CHECK(m.fordblks == idle_bytes);
	CHECK(m.hblks == s.large.count);
	CHECK(m.hblkhd == s.large.bytes_mapped);
	CHECK(m.uordblks == s.total.bytes_in_use - s.large.bytes_in_use);
	CHECK(m.smblks == 0 && m.usmblks == 0 && m.fsmblks == 0 && m.keepcost == 0);
	/* The pattern's live blocks and the live large block. */
	CHECK(m.uordblks >= NBLOCKS / 2 * 112);
	CHECK(m.hblks == 1 && m.hblkhd >= LARGE);
	CHECK(m.arena >= m.uordblks + m.fordblks);
	CHECK(m1.arena == (int)m.arena && m1.ordblks == (int)m.ordblks);
	CHECK(m1.hblks == (int)m.hblks && m1.hblkhd == (int)m.hblkhd);
	CHECK(m1.uordblks == (int)m.uordblks && m1.fordblks == (int)m.fordblks);
	CHECK(m1.smblks == 0 && m1.usmblks == 0 && m1.fsmblks == 0 && m1.keepcost == 0);
}

/* The whole of f, NUL-terminated (malloc'd by the process's malloc). */
static char *slurp(FILE *f)
{
	fflush(f);
	long n = ftell(f);
	char *buf = malloc((size_t)n + 1);
	rewind(f);
	CHECK(buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n);
	buf[n] = 0;
	return buf;
}

/* True if every element of the XML in s is closed, in order, and nothing
 * follows the root. Attribute values never hold '<' or '>' here. */
static int xml_balanced(const char *s)
{
	char stack[16][32];
	int depth = 0, roots = 0;
	for (const char *p = strchr(s, '<'); p; p = strchr(p, '<')) {
		const char *end = strchr(p, '>');
		if (!end)
			return 0;
		int closing = p[1] == '/', selfclosing = end[-1] == '/';
		const char *name = p + 1 + closing;
		size_t len = strcspn(name, " />");
		if (len == 0 || len >= sizeof(stack[0]))
			return 0;
		if (closing) {
			if (depth == 0 || strlen(stack[depth - 1]) != len ||
			    strncmp(stack[depth - 1], name, len) != 0)
				return 0;
			depth--;
		} else if (!selfclosing) {
			if (depth == 0)
				roots++;
			if (depth == 16)
				return 0;
			memcpy(stack[depth], name, len);
			stack[depth++][len] = 0;
		}
		p = end + 1;
	}
	return depth == 0 && roots == 1;
}

/* The value of attribute attr in the first element that starts with
 * prefix; SIZE_MAX if there is none. */
static size_t xml_attr(const char *s, const char *prefix, const char *attr)
{
	const char *e = strstr(s, prefix);
	if (!e)
		return SIZE_MAX;
	char key[40];
	snprintf(key, sizeof(key), " %s=\"", attr);
	const char *v = strstr(e, key);
	const char *end = strchr(e, '>');
	if (!v || v > end)
		return SIZE_MAX;
	return strtoull(v + strlen(key), NULL, 10);
}

static void test_malloc_info(unsigned cls)
{
	FILE *f = tmpfile();
	CHECK(f != NULL);
	errno = 0;
	CHECK(bastion_malloc_info(1, f) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(bastion_malloc_info(0, NULL) == -1 && errno == EINVAL);
	CHECK(ftell(f) == 0); /* nothing written on a refusal */
	struct bastion_stats s = snap();
	CHECK(bastion_malloc_info(0, f) == 0);
	char *xml = slurp(f);
	fclose(f);
	char start[256];
	snprintf(
	    start, sizeof(start),
	    "<malloc version=\"bastion-1\" pid=\"%d\" program=\"%s\">\n<heap nr=\"0\">\n<sizes>\n",
	    (int)getpid(), program_invocation_short_name);
	CHECK_MSG(strncmp(xml, start, strlen(start)) == 0, "%.200s", xml);
	CHECK(xml_balanced(xml));
	/* 100-byte requests: class of 112-byte chunks, serving 89..104. */
	const struct bastion_stats_class *c = &s.classes[cls];
	CHECK(xml_attr(xml, "<size from=\"89\" to=\"104\"", "count") ==
	      c->chunks_free + c->chunks_cached);
	CHECK(xml_attr(xml, "<size from=\"89\" to=\"104\"", "total") ==
	      (c->chunks_free + c->chunks_cached) * 112);
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "<class nr=\"%u\"", cls);
	CHECK(xml_attr(xml, prefix, "in-use") == c->chunks_in_use);
	CHECK(xml_attr(xml, prefix, "quarantined") == c->chunks_quarantined);
	CHECK(xml_attr(xml, "<total type=\"mmap\"", "count") == 1);
	CHECK(xml_attr(xml, "<total type=\"mmap\"", "size") == LARGE);
	CHECK(xml_attr(xml, "<total type=\"in-use\" size=", "size") == s.total.bytes_in_use);
	CHECK(xml_balanced("<a><b></a></b>") == 0); /* the checker can fail */
	free(xml);
}

/* Runs bastion_malloc_stats with stderr in a temporary file; returns what
 * it wrote (malloc'd). */
static char *capture_malloc_stats(void)
{
	FILE *f = tmpfile();
	CHECK(f != NULL);
	fflush(stderr);
	int saved = dup(2);
	dup2(fileno(f), 2);
	bastion_malloc_stats();
	dup2(saved, 2);
	close(saved);
	char *out = slurp(f);
	fclose(f);
	return out;
}

/* The table line of class cls in out: its 12 numbers. */
static int stats_row(const char *out, unsigned cls, size_t v[12])
{
	for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
		int n =
		    sscanf(l, "%zu %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu", &v[0], &v[1],
		           &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]);
		if (n == 12 && v[0] == cls)
			return 1;
	}
	return 0;
}

static void test_malloc_stats(unsigned cls)
{
	struct bastion_stats s = snap();
	char *out = capture_malloc_stats();
	char head[512];
	snprintf(head, sizeof(head),
	         "bastion malloc_stats (bastion-1): zones per size class pid=%d program=%s\n"
	         "class  chunk  zones  exposed   in-use quarantined  cached     free"
	         "  canary  bytes-in-use  bytes-mapped  bytes-resident\n",
	         (int)getpid(), program_invocation_short_name);
	CHECK(strncmp(out, head, strlen(head)) == 0);
	if (strncmp(out, head, strlen(head)) != 0)
		fprintf(stderr, "malloc_stats printed:\n%s", out);
	size_t lines = 0, with_zones = 0;
	for (const char *p = out; *p; p++)
		lines += *p == '\n';
	for (unsigned c = 0; c < BASTION_STATS_CLASSES; c++)
		with_zones += s.classes[c].zones != 0;
	CHECK(lines == 2 + with_zones + 4);
	size_t v[12];
	const struct bastion_stats_class *c = &s.classes[cls];
	CHECK(stats_row(out, cls, v));
	CHECK(v[1] == 112 && v[2] == c->zones && v[3] == c->chunks_exposed);
	CHECK(v[4] == c->chunks_in_use && v[5] == c->chunks_quarantined);
	CHECK(v[6] == c->chunks_cached && v[7] == c->chunks_free && v[8] == c->chunks_canary);
	CHECK(v[9] == c->bytes_in_use && v[10] == c->bytes_mapped);
	CHECK(v[4] == NBLOCKS / 2);
	char want[200];
	snprintf(want, sizeof(want), "\nlarge: count=1 bytes-in-use=%zu bytes-mapped=%zu ", LARGE,
	         s.large.bytes_mapped);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, "\nsampled: count=0 bytes-in-use=0 bytes-mapped=0 bytes-resident=0\n"));
	CHECK(strstr(out, "\nprivate zones: zones=") != NULL);
	snprintf(want, sizeof(want),
	         "\ntotal: bytes-in-use=%zu bytes-mapped=%zu bytes-resident=", s.total.bytes_in_use,
	         s.total.bytes_mapped);
	CHECK(strstr(out, want) != NULL);
	free(out);
}

/* ---- other threads' caches ---- */

static pthread_barrier_t barrier;
static _Atomic int stop;

/* Leaves a block live, one in its ring and some in its bin, then waits
 * while the main thread counts. */
static void *holder(void *arg)
{
	void *keep = bastion_malloc(1000);
	bastion_free(bastion_malloc(1000));
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	bastion_free(keep);
	return arg;
}

static void *churner(void *arg)
{
	void *slot[64] = {0};
	unsigned r = (unsigned)(uintptr_t)arg;
	while (!atomic_load(&stop)) {
		r = r * 1103515245u + 12345u;
		unsigned i = (r >> 8) % 64;
		bastion_free(slot[i]);
		slot[i] = bastion_malloc((r >> 16) % 2000);
	}
	for (int i = 0; i < 64; i++)
		bastion_free(slot[i]);
	return NULL;
}

static void test_threads(void)
{
	unsigned cls = class_of_chunk(bastion_chunk_size(1000));
	struct bastion_stats before = snap();
	pthread_t t;
	pthread_barrier_init(&barrier, NULL, 2);
	CHECK(pthread_create(&t, NULL, holder, NULL) == 0);
	pthread_barrier_wait(&barrier);
	struct bastion_stats during = snap();
	pthread_barrier_wait(&barrier);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&barrier);
	/* The exposed chunks are all accounted for only if the other
	 * thread's bin and ring were counted. */
	check_consistent(&during, 1);
	const struct bastion_stats_class *b = &before.classes[cls], *d = &during.classes[cls];
	CHECK(d->chunks_in_use - b->chunks_in_use == 1);
	CHECK(d->chunks_quarantined - b->chunks_quarantined == 1);
	CHECK(d->chunks_cached > b->chunks_cached);

	/* Snapshots while two threads allocate and free: only what holds of
	 * a moving heap is checked, and ThreadSanitizer watches the reads. */
	pthread_t w[2];
	for (uintptr_t i = 0; i < 2; i++)
		CHECK(pthread_create(&w[i], NULL, churner, (void *)(i + 1)) == 0);
	for (int k = 0; k < 200; k++) {
		struct bastion_stats s = snap();
		check_consistent(&s, 0);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
}

/* ---- stats_at_exit ---- */

extern char **environ;

/* Runs this program as "exit-child 10 mode" with BASTION_OPTIONS=options;
 * out receives its stderr. Returns its wait status. */
static int run_exit_child(const char *options, const char *mode, char *out, size_t cap)
{
	char opt[128];
	snprintf(opt, sizeof(opt), "BASTION_OPTIONS=%s", options);
	static char *env[1024];
	size_t n = 0;
	for (char **e = environ; *e && n < 1022; e++)
		if (strncmp(*e, "BASTION_OPTIONS=", 16) != 0)
			env[n++] = *e;
	env[n++] = opt;
	env[n] = NULL;
	int fds[2];
	CHECK(pipe(fds) == 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		char *argv[] = {"test_stats", "exit-child", "10", (char *)mode, NULL};
		execve("/proc/self/exe", argv, env);
		_exit(127);
	}
	close(fds[1]);
	size_t len = 0;
	ssize_t r;
	while (len + 1 < cap && (r = read(fds[0], out + len, cap - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = 0;
	close(fds[0]);
	int status = -1;
	waitpid(pid, &status, 0);
	return status;
}

static size_t count_of(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_stats_at_exit(unsigned cls)
{
	static char out[16384];
	int st = run_exit_child("sample_rate=0,stats_at_exit=1", "keep", out, sizeof(out));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(count_of(out, "bastion malloc_stats (bastion-1)") == 1);
	CHECK(count_of(out, "\ntotal: bytes-in-use=") == 1);
	size_t v[12];
	CHECK(stats_row(out, cls, v) && v[4] == 10); /* the child's live blocks */
	if (count_of(out, "bastion malloc_stats") != 1)
		fprintf(stderr, "child with stats_at_exit=1 printed:\n%s", out);

	/* A program that closes its stderr on the way out (GNU tools do)
	 * still gets its report, on the stderr it started with. */
	st = run_exit_child("sample_rate=0,stats_at_exit=1", "close", out, sizeof(out));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(count_of(out, "bastion malloc_stats (bastion-1)") == 1);
	CHECK(count_of(out, "\ntotal: bytes-in-use=") == 1);

	st = run_exit_child("sample_rate=0,stats_at_exit=0", "keep", out, sizeof(out));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(strstr(out, "malloc_stats") == NULL);
	CHECK(strstr(out, "total:") == NULL);
	/* stats_format=json: one JSON object on one line instead. */
	st = run_exit_child("sample_rate=0,stats_at_exit=1,stats_format=json", "keep", out,
	                    sizeof(out));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(count_of(out, "{\"format\":\"bastion-stats-1\"") == 1 &&
	      strstr(out, "malloc_stats") == NULL);

	st = run_exit_child("sample_rate=0", "keep", out, sizeof(out)); /* the default */
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(strstr(out, "malloc_stats") == NULL);
}

/* bastion_stats_json: snprintf's contract, the same numbers as
 * bastion_stats, and the shape the header documents (tests/stats.cmake's
 * stats_json test parses it with a JSON parser). */
static void test_stats_json(unsigned cls)
{
	size_t n = bastion_stats_json(NULL, 0);
	CHECK(n > 100);
	char *buf = malloc(n + 1);
	CHECK(buf != NULL);
	if (!buf)
		return;
	CHECK(bastion_stats_json(buf, n + 1) == n && strlen(buf) == n);
	char want[128];
	snprintf(want, sizeof(want),
	         "{\"format\":\"bastion-stats-1\",\"pid\":%d,\"program\":\"%s\"", (int)getpid(),
	         program_invocation_short_name);
	CHECK_MSG(strncmp(buf, want, strlen(want)) == 0, "%s", buf);
	CHECK(buf[n - 1] == '}' && strstr(buf, "\"total\":{\"bytes_in_use\":") != NULL);
	/* The class of the live 100-byte blocks, with its count. */
	struct bastion_stats s = snap();
	char cls_obj[160];
	snprintf(cls_obj, sizeof(cls_obj), "{\"class\":%u,\"chunk_size\":%zu,\"zones\":%zu", cls,
	         s.classes[cls].chunk_size, s.classes[cls].zones);
	CHECK_MSG(strstr(buf, cls_obj) != NULL, "%s not in %s", cls_obj, buf);
	/* Braces and brackets balance, outside strings. */
	int depth = 0, min = 0;
	bool in_str = false;
	for (const char *p = buf; *p; p++) {
		if (*p == '"')
			in_str = !in_str;
		else if (!in_str && (*p == '{' || *p == '['))
			depth++;
		else if (!in_str && (*p == '}' || *p == ']'))
			depth--;
		min = depth < min ? depth : min;
	}
	CHECK(depth == 0 && min == 0 && !in_str);
	/* Too small: cut, NUL-terminated, the full length returned. */
	char small[10];
	memset(small, 'x', sizeof(small));
	CHECK(bastion_stats_json(small, sizeof(small)) >= n - 64 && small[9] == 0 &&
	      strncmp(small, "{\"format\"", 9) == 0);
	char one[1] = {'x'};
	CHECK(bastion_stats_json(one, 1) > 0 && one[0] == 0);
	free(buf);
}

static void close_stderr(void)
{
	fclose(stderr);
}

static int exit_child(int n, const char *mode)
{
	/* Registered after bastion's handler, so it runs first. */
	if (strcmp(mode, "close") == 0)
		atexit(close_stderr);
	for (int i = 0; i < n; i++)
		CHECK(bastion_malloc(100) != NULL); /* live at exit */
	bastion_free(bastion_malloc(5000));
	return check_failures != 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "exit-child") == 0)
		return exit_child(atoi(argv[2]), argv[3]);
	static void *blocks[NBLOCKS];
	unsigned cls = class_of_chunk(bastion_chunk_size(100));
	test_arguments();
	test_pattern(blocks, cls);
	test_large();
	test_private_apart(cls);
	test_mallinfo();
	test_malloc_info(cls);
	test_malloc_stats(cls);
	test_stats_json(cls);
	test_threads();
	test_stats_at_exit(cls);
	for (int i = NBLOCKS / 2; i < NBLOCKS; i++)
		bastion_free(blocks[i]);
	bastion_free(large_block);
	CHECK_DONE();
}
