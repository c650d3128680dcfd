/*
 * Statistics: bastion_stats, glibc's introspection functions built on it
 * (malloc_stats, malloc_info, mallinfo2, mallinfo) and the stats_at_exit
 * report.
 *
 * A snapshot never allocates and holds at most one of bastion's locks at a
 * time, so it cannot deadlock against the allocator and works in a program
 * that is out of memory:
 *   zones          read through their atomics (frontier, navail, the state
 *                  bitmap), no lock; residency by mincore;
 *   thread caches  bins, rings and drain buffers counted under the cache
 *                  pool's lock, the shared cache's and each FIFO's in turn
 *                  (thread_cache.c);
 *   large          one shard lock at a time (large.c);
 *   private zones  one zone lock at a time (private.c).
 * Other threads keep allocating meanwhile: a busy heap's numbers are a
 * moment's view of each part, not one consistent state.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "bastion.h"
#include "internal.h"

#ifndef BASTION_OVERRIDE_MALLOC
#define BASTION_OVERRIDE_MALLOC 0
#endif

_Static_assert(BASTION_STATS_CLASSES == BST_NUM_CLASSES, "bastion.h's class count");
#define V1_CLASSES 45 /* classes in version 1 of struct bastion_stats */
_Static_assert(offsetof(struct bastion_stats, large) ==
                   offsetof(struct bastion_stats, classes) +
                       BASTION_STATS_CLASSES * sizeof(struct bastion_stats_class),
               "nothing between classes[] and large");

static size_t page_round(size_t n)
{
	return (n + BST_PAGE - 1) & ~(BST_PAGE - 1);
}

/* Plain arithmetic: the baseline x86-64 target has no popcnt. */
static size_t popcount64(uint64_t v)
{
	v = v - ((v >> 1) & 0x5555555555555555ull);
	v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (size_t)((v * 0x0101010101010101ull) >> 56);
}

void bst_stats_zone(const bst_zone_t *z, struct bastion_stats_class *c)
{
	uint32_t frontier = atomic_load_explicit(&z->frontier, memory_order_relaxed);
	uint32_t navail = atomic_load_explicit(&z->navail, memory_order_relaxed);
	if (frontier > z->nchunks)
		frontier = z->nchunks;
	/* 10 is in use, 11 a canary chunk. Chunks past the frontier we read
	 * are left out, even if the window grows meanwhile. */
	const uint64_t lows = 0x5555555555555555ull;
	size_t used = 0, canary = 0;
	for (uint32_t w = 0; w < (frontier + 31) / 32; w++) {
		uint64_t v = atomic_load_explicit(&z->state[w], memory_order_relaxed);
		if (frontier - w * 32 < 32)
			v &= (1ull << (2 * (frontier - w * 32))) - 1;
		uint64_t hi = (v >> 1) & lows, lo = v & lows;
		used += popcount64(hi & ~lo);
		canary += popcount64(hi & lo);
	}
	/* The committed metadata, as zone.c's build_zone lays it out; class 0
	 * user areas are never made accessible. */
	size_t state_bytes = page_round(((size_t)z->nchunks + 31) / 32 * 8);
	size_t summary_bytes = bst_summary_span(z->nchunks);
	size_t user_bytes = z->cls != 0 ? BST_ZONE_USER : 0;
	c->zones++;
	c->chunks_exposed += frontier;
	c->chunks_in_use += used;
	c->chunks_canary += canary;
	c->chunks_free += navail;
	c->bytes_in_use += used * (z->cls != 0 ? z->size : 0);
	c->bytes_mapped += user_bytes + state_bytes + summary_bytes;
	c->bytes_resident += (user_bytes ? bst_os_resident((const void *)z->user, user_bytes) : 0) +
	                     bst_os_resident((const void *)z->state, state_bytes) +
	                     bst_os_resident(z->summary, summary_bytes);
}

BST_EXPORT int bastion_stats(struct bastion_stats *out)
{
	if (out == NULL || out->version == 0) {
		errno = EINVAL;
		return -1;
	}
	if (out->version == 1) {
		/* Version 1's struct: 45 classes, then the same fields. The
		 * medium classes' chunks are left out of classes[] (they are in
		 * total). */
		struct bastion_stats s = {.version = BASTION_STATS_VERSION};
		bastion_stats(&s);
		size_t head = offsetof(struct bastion_stats, classes);
		size_t classes = V1_CLASSES * sizeof(s.classes[0]);
		size_t tail = sizeof(s) - offsetof(struct bastion_stats, large);
		s.version = 1;
		s.nclasses = V1_CLASSES;
		memcpy(out, &s, head);
		memcpy((char *)out + head, s.classes, classes);
		memcpy((char *)out + head + classes, &s.large, tail);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	out->version = BASTION_STATS_VERSION;
	out->nclasses = BST_NUM_CLASSES;
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++)
		out->classes[c].chunk_size = c != 0 ? bst_class_size[c] : 0;
	if (!bst_ready())
		return 0; /* nothing allocated yet */
	/* The class lists only grow, at their heads, and a zone's record is
	 * complete before it is published there (zone.c). */
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++) {
		uint32_t i = atomic_load_explicit(&bst_classes[c].head, memory_order_acquire);
		for (; i; i = bst_g.zones[i - 1].next)
			bst_stats_zone(&bst_g.zones[i - 1], &out->classes[c]);
	}
	bst_tcache_stats(out);
	bst_large_stats(out);
	bst_private_stats(out);
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++) {
		out->total.bytes_in_use += out->classes[c].bytes_in_use;
		out->total.bytes_mapped += out->classes[c].bytes_mapped;
		out->total.bytes_resident += out->classes[c].bytes_resident;
	}
	out->total.bytes_in_use +=
	    out->large.bytes_in_use + out->sampled.bytes_in_use + out->private_zones.bytes_in_use;
	out->total.bytes_mapped +=
	    out->large.bytes_mapped + out->sampled.bytes_mapped + out->private_zones.bytes_mapped;
	out->total.bytes_resident += out->large.bytes_resident + out->sampled.bytes_resident +
	                             out->private_zones.bytes_resident;
	return 0;
}

/* ---- malloc_stats: a table on stderr, no stdio ---- */

typedef struct {
	int fd;
	size_t n;
	char buf[256];
} line_t;

static void put(line_t *l, const char *s)
{
	while (*s && l->n < sizeof(l->buf) - 1)
		l->buf[l->n++] = *s++;
}

/* s right-aligned in width columns; one space before it at least, unless
 * it starts the line (a wide number pushes the rest of the line right). */
static void put_col(line_t *l, const char *s, size_t width)
{
	size_t n = strlen(s);
	if (l->n != 0 && n >= width)
		put(l, " ");
	for (; n < width; n++)
		put(l, " ");
	put(l, s);
}

/* v in decimal, in the end of tmp. */
static const char *decimal(char tmp[24], size_t v)
{
	size_t n = 23;
	tmp[n] = 0;
	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return tmp + n;
}

static void put_num(line_t *l, size_t v, size_t width)
{
	char tmp[24];
	put_col(l, decimal(tmp, v), width);
}

/* " key=value" */
static void put_field(line_t *l, const char *key, size_t v)
{
	put(l, " ");
	put(l, key);
	char tmp[24];
	put(l, "=");
	put(l, decimal(tmp, v));
}

static void write_all(int fd, const char *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, p + off, n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

static void flush(line_t *l)
{
	l->buf[l->n++] = '\n';
	write_all(l->fd, l->buf, l->n);
	l->n = 0;
}

/* The table's columns: a heading and its width each. */
static const struct {
	const char *name;
	size_t width;
} columns[] = {
    {"class", 5},  {"chunk", 7},         {"zones", 7},         {"exposed", 9},
    {"in-use", 9}, {"quarantined", 12},  {"cached", 8},        {"free", 9},
    {"canary", 8}, {"bytes-in-use", 14}, {"bytes-mapped", 14}, {"bytes-resident", 16},
};

/* The program's name as a report may show it: printable ASCII without
 * the characters JSON or XML would need escaped (" \\ < > & '), at most 63
 * bytes; '?' for any other. */
static const char *program_name(char buf[64])
{
	const char *name = program_invocation_short_name;
	size_t n = 0;
	for (; name && name[n] && n < 63; n++) {
		unsigned char ch = (unsigned char)name[n];
		bool plain = ch >= 0x20 && ch < 0x7f && !strchr("\"\\<>&'", ch);
		buf[n] = plain ? (char)ch : '?';
	}
	buf[n] = 0;
	return buf;
}

static void print_stats(int fd)
{
	struct bastion_stats s = {.version = BASTION_STATS_VERSION};
	line_t l = {.fd = fd};
	int saved = errno;
	bastion_stats(&s);
	/* Which process: several may write to one terminal or log. */
	char name[64], tmp[24];
	put(&l, "bastion malloc_stats (bastion-1): zones per size class pid=");
	put(&l, decimal(tmp, (size_t)getpid()));
	put(&l, " program=");
	put(&l, program_name(name));
	flush(&l);
	for (size_t k = 0; k < sizeof(columns) / sizeof(columns[0]); k++)
		put_col(&l, columns[k].name, columns[k].width);
	flush(&l);
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++) {
		const struct bastion_stats_class *cs = &s.classes[c];
		if (cs->zones == 0)
			continue;
		const size_t v[] = {c,
		                    cs->chunk_size,
		                    cs->zones,
		                    cs->chunks_exposed,
		                    cs->chunks_in_use,
		                    cs->chunks_quarantined,
		                    cs->chunks_cached,
		                    cs->chunks_free,
		                    cs->chunks_canary,
		                    cs->bytes_in_use,
		                    cs->bytes_mapped,
		                    cs->bytes_resident};
		_Static_assert(sizeof(v) / sizeof(v[0]) == sizeof(columns) / sizeof(columns[0]),
		               "a value per column");
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++)
			put_num(&l, v[k], columns[k].width);
		flush(&l);
	}
	put(&l, "large:");
	put_field(&l, "count", s.large.count);
	put_field(&l, "bytes-in-use", s.large.bytes_in_use);
	put_field(&l, "bytes-mapped", s.large.bytes_mapped);
	put_field(&l, "bytes-resident", s.large.bytes_resident);
	put_field(&l, "quarantined", s.large.quarantined);
	flush(&l);
	put(&l, "sampled:");
	put_field(&l, "count", s.sampled.count);
	put_field(&l, "bytes-in-use", s.sampled.bytes_in_use);
	put_field(&l, "bytes-mapped", s.sampled.bytes_mapped);
	put_field(&l, "bytes-resident", s.sampled.bytes_resident);
	flush(&l);
	put(&l, "private zones:");
	put_field(&l, "zones", s.private_zones.zones);
	put_field(&l, "slots", s.private_zones.slots);
	put_field(&l, "objects-in-use", s.private_zones.objects_in_use);
	put_field(&l, "objects-quarantined", s.private_zones.objects_quarantined);
	put_field(&l, "bytes-in-use", s.private_zones.bytes_in_use);
	put_field(&l, "bytes-mapped", s.private_zones.bytes_mapped);
	put_field(&l, "bytes-resident", s.private_zones.bytes_resident);
	flush(&l);
	put(&l, "total:");
	put_field(&l, "bytes-in-use", s.total.bytes_in_use);
	put_field(&l, "bytes-mapped", s.total.bytes_mapped);
	put_field(&l, "bytes-resident", s.total.bytes_resident);
	flush(&l);
	errno = saved;
}

BST_EXPORT void bastion_malloc_stats(void)
{
	print_stats(STDERR_FILENO);
}

/* ---- bastion_stats_json ---- */

/* A JSON writer with no allocation: into a caller's buffer (counting what
 * would not fit, as snprintf does), or through a small buffer to fd. */
typedef struct {
	char *buf;
	size_t size, len; /* len: bytes produced so far, fitting or not */
	int fd;           /* >= 0: written to fd, buf unused */
	size_t n;
	char out[512];
} json_t;

static void j_raw(json_t *j, const char *s)
{
	for (; *s; s++, j->len++) {
		if (j->fd >= 0) {
			if (j->n == sizeof(j->out)) {
				write_all(j->fd, j->out, j->n);
				j->n = 0;
			}
			j->out[j->n++] = *s;
		} else if (j->len + 1 < j->size) {
			j->buf[j->len] = *s;
		}
	}
}

/* "key":value, with a comma before it unless it opens its object. */
static void j_num(json_t *j, bool first, const char *key, size_t v)
{
	char tmp[24];
	j_raw(j, first ? "\"" : ",\"");
	j_raw(j, key);
	j_raw(j, "\":");
	j_raw(j, decimal(tmp, v));
}

/* Writes the snapshot as one JSON object (no newline). */
static void json_stats(json_t *j)
{
	struct bastion_stats s = {.version = BASTION_STATS_VERSION};
	int saved = errno;
	bastion_stats(&s);
	char name[64];
	j_raw(j, "{\"format\":\"bastion-stats-1\"");
	j_num(j, false, "pid", (size_t)getpid());
	j_raw(j, ",\"program\":\"");
	j_raw(j, program_name(name));
	j_raw(j, "\",\"classes\":[");
	bool first = true;
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++) {
		const struct bastion_stats_class *cs = &s.classes[c];
		if (cs->zones == 0)
			continue;
		j_raw(j, first ? "{" : ",{");
		first = false;
		j_num(j, true, "class", c);
		j_num(j, false, "chunk_size", cs->chunk_size);
		j_num(j, false, "zones", cs->zones);
		j_num(j, false, "chunks_exposed", cs->chunks_exposed);
		j_num(j, false, "chunks_in_use", cs->chunks_in_use);
		j_num(j, false, "chunks_quarantined", cs->chunks_quarantined);
		j_num(j, false, "chunks_cached", cs->chunks_cached);
		j_num(j, false, "chunks_free", cs->chunks_free);
		j_num(j, false, "chunks_canary", cs->chunks_canary);
		j_num(j, false, "bytes_in_use", cs->bytes_in_use);
		j_num(j, false, "bytes_mapped", cs->bytes_mapped);
		j_num(j, false, "bytes_resident", cs->bytes_resident);
		j_raw(j, "}");
	}
	j_raw(j, "],\"large\":{");
	j_num(j, true, "count", s.large.count);
	j_num(j, false, "bytes_in_use", s.large.bytes_in_use);
	j_num(j, false, "bytes_mapped", s.large.bytes_mapped);
	j_num(j, false, "bytes_resident", s.large.bytes_resident);
	j_num(j, false, "quarantined", s.large.quarantined);
	j_raw(j, "},\"sampled\":{");
	j_num(j, true, "count", s.sampled.count);
	j_num(j, false, "bytes_in_use", s.sampled.bytes_in_use);
	j_num(j, false, "bytes_mapped", s.sampled.bytes_mapped);
	j_num(j, false, "bytes_resident", s.sampled.bytes_resident);
	j_raw(j, "},\"private_zones\":{");
	j_num(j, true, "zones", s.private_zones.zones);
	j_num(j, false, "slots", s.private_zones.slots);
	j_num(j, false, "objects_in_use", s.private_zones.objects_in_use);
	j_num(j, false, "objects_quarantined", s.private_zones.objects_quarantined);
	j_num(j, false, "bytes_in_use", s.private_zones.bytes_in_use);
	j_num(j, false, "bytes_mapped", s.private_zones.bytes_mapped);
	j_num(j, false, "bytes_resident", s.private_zones.bytes_resident);
	j_raw(j, "},\"total\":{");
	j_num(j, true, "bytes_in_use", s.total.bytes_in_use);
	j_num(j, false, "bytes_mapped", s.total.bytes_mapped);
	j_num(j, false, "bytes_resident", s.total.bytes_resident);
	j_raw(j, "}}");
	errno = saved;
}

BST_EXPORT size_t bastion_stats_json(char *buf, size_t size)
{
	json_t j = {.buf = buf, .size = buf ? size : 0, .fd = -1};
	json_stats(&j);
	if (buf && size)
		buf[j.len < size ? j.len : size - 1] = 0;
	return j.len;
}

/* The JSON object and a newline, to fd. */
static void print_stats_json(int fd)
{
	json_t j = {.fd = fd};
	json_stats(&j);
	j_raw(&j, "\n");
	write_all(fd, j.out, j.n);
}

/* ---- malloc_info: glibc's XML layout ---- */

/* Smallest request class c serves (class 0: only 0). */
static size_t class_from(unsigned c)
{
	return c <= 1 ? c : bst_class_usable(c - 1) + 1;
}

/* fprintf that remembers a failure in *bad. */
__attribute__((format(printf, 3, 4))) static void emit(bool *bad, FILE *fp, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vfprintf(fp, fmt, ap) < 0)
		*bad = true;
	va_end(ap);
}

BST_EXPORT int bastion_malloc_info(int options, FILE *fp)
{
	if (options != 0 || fp == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* Every number first: no lock is held while stdio (which may
	 * allocate) writes them. */
	struct bastion_stats s = {.version = BASTION_STATS_VERSION};
	bastion_stats(&s);
	struct {
		size_t count, bytes;
	} in_use = {0, 0}, quarantined = {0, 0}, idle = {0, 0}, canary = {0, 0};
	size_t zone_mapped = 0, zone_resident = 0;
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++) {
		const struct bastion_stats_class *cs = &s.classes[c];
		in_use.count += cs->chunks_in_use;
		in_use.bytes += cs->bytes_in_use;
		quarantined.count += cs->chunks_quarantined;
		quarantined.bytes += cs->chunks_quarantined * cs->chunk_size;
		idle.count += cs->chunks_free + cs->chunks_cached;
		idle.bytes += (cs->chunks_free + cs->chunks_cached) * cs->chunk_size;
		canary.count += cs->chunks_canary;
		canary.bytes += cs->chunks_canary * cs->chunk_size;
		zone_mapped += cs->bytes_mapped;
		zone_resident += cs->bytes_resident;
	}
	bool bad = false;
	char name[64];
	emit(&bad, fp,
	     "<malloc version=\"bastion-1\" pid=\"%d\" program=\"%s\">\n<heap nr=\"0\">\n<sizes>\n",
	     (int)getpid(), program_name(name));
	/* As glibc's: the chunks ready for the next allocations (free and
	 * cached), per range of request sizes. */
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++) {
		const struct bastion_stats_class *cs = &s.classes[c];
		size_t n = cs->chunks_free + cs->chunks_cached;
		if (cs->zones)
			emit(&bad, fp,
			     "<size from=\"%zu\" to=\"%zu\" total=\"%zu\" count=\"%zu\"/>\n",
			     class_from(c), bst_class_usable(c), n * cs->chunk_size, n);
	}
	emit(&bad, fp, "</sizes>\n<classes>\n");
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++) {
		const struct bastion_stats_class *cs = &s.classes[c];
		if (cs->zones)
			emit(&bad, fp,
			     "<class nr=\"%u\" chunk=\"%zu\" zones=\"%zu\" exposed=\"%zu\" "
			     "in-use=\"%zu\" quarantined=\"%zu\" cached=\"%zu\" free=\"%zu\" "
			     "canary=\"%zu\" mapped=\"%zu\" resident=\"%zu\"/>\n",
			     c, cs->chunk_size, cs->zones, cs->chunks_exposed, cs->chunks_in_use,
			     cs->chunks_quarantined, cs->chunks_cached, cs->chunks_free,
			     cs->chunks_canary, cs->bytes_mapped, cs->bytes_resident);
	}
	emit(&bad, fp, "</classes>\n");
	emit(&bad, fp, "<total type=\"free\" count=\"%zu\" size=\"%zu\"/>\n", idle.count,
	     idle.bytes);
	emit(&bad, fp, "<total type=\"in-use\" count=\"%zu\" size=\"%zu\"/>\n", in_use.count,
	     in_use.bytes);
	emit(&bad, fp, "<total type=\"quarantined\" count=\"%zu\" size=\"%zu\"/>\n",
	     quarantined.count, quarantined.bytes);
	emit(&bad, fp, "<total type=\"canary\" count=\"%zu\" size=\"%zu\"/>\n", canary.count,
	     canary.bytes);
	emit(&bad, fp, "<system type=\"current\" size=\"%zu\"/>\n", zone_mapped);
	emit(&bad, fp, "<system type=\"resident\" size=\"%zu\"/>\n</heap>\n", zone_resident);
	/* Outside the zones' heap, as glibc puts its mmapped chunks. */
	emit(&bad, fp, "<total type=\"mmap\" count=\"%zu\" size=\"%zu\"/>\n", s.large.count,
	     s.large.bytes_in_use);
	emit(&bad, fp, "<total type=\"mmap-quarantined\" count=\"%zu\"/>\n", s.large.quarantined);
	emit(&bad, fp, "<total type=\"sampled\" count=\"%zu\" size=\"%zu\"/>\n", s.sampled.count,
	     s.sampled.bytes_in_use);
	emit(&bad, fp,
	     "<total type=\"private\" count=\"%zu\" size=\"%zu\" zones=\"%zu\" slots=\"%zu\" "
	     "quarantined=\"%zu\" mapped=\"%zu\" resident=\"%zu\"/>\n",
	     s.private_zones.objects_in_use, s.private_zones.bytes_in_use, s.private_zones.zones,
	     s.private_zones.slots, s.private_zones.objects_quarantined,
	     s.private_zones.bytes_mapped, s.private_zones.bytes_resident);
	emit(&bad, fp, "<total type=\"in-use\" size=\"%zu\"/>\n", s.total.bytes_in_use);
	emit(&bad, fp, "<system type=\"current\" size=\"%zu\"/>\n", s.total.bytes_mapped);
	emit(&bad, fp, "<system type=\"resident\" size=\"%zu\"/>\n</malloc>\n",
	     s.total.bytes_resident);
	return bad ? -1 : 0;
}

/* ---- mallinfo2, mallinfo ---- */

BST_EXPORT struct mallinfo2 bastion_mallinfo2(void)
{
	struct bastion_stats s = {.version = BASTION_STATS_VERSION};
	struct mallinfo2 mi;
	memset(&mi, 0, sizeof(mi));
	int saved = errno;
	bastion_stats(&s);
	errno = saved;
	for (unsigned c = 0; c < BST_NUM_CLASSES; c++) {
		size_t idle = s.classes[c].chunks_free + s.classes[c].chunks_cached;
		mi.ordblks += idle;
		mi.fordblks += idle * s.classes[c].chunk_size;
	}
	mi.arena = s.total.bytes_mapped - s.large.bytes_mapped;
	mi.hblks = s.large.count;
	mi.hblkhd = s.large.bytes_mapped;
	mi.uordblks = s.total.bytes_in_use - s.large.bytes_in_use;
	return mi;
}

static int clamp_int(size_t v)
{
	return v > INT_MAX ? INT_MAX : (int)v;
}

BST_EXPORT struct mallinfo bastion_mallinfo(void)
{
	struct mallinfo2 m = bastion_mallinfo2();
	struct mallinfo mi;
	mi.arena = clamp_int(m.arena);
	mi.ordblks = clamp_int(m.ordblks);
	mi.smblks = clamp_int(m.smblks);
	mi.hblks = clamp_int(m.hblks);
	mi.hblkhd = clamp_int(m.hblkhd);
	mi.usmblks = clamp_int(m.usmblks);
	mi.fsmblks = clamp_int(m.fsmblks);
	mi.uordblks = clamp_int(m.uordblks);
	mi.fordblks = clamp_int(m.fordblks);
	mi.keepcost = clamp_int(m.keepcost);
	return mi;
}

/* ---- stats_at_exit ---- */

static _Atomic bool exit_report_done;
/* stderr as it was at start-up: many programs close theirs in an exit
 * handler (GNU tools' close_stdout does), and handlers run in the reverse
 * order of registration, so ours, registered at init, comes after. */
static int exit_fd = -1;

/* Once per process (a fork child that calls exit reports its own heap), on
 * stderr if the program still has one. */
static void report_at_exit(void)
{
	if (atomic_exchange(&exit_report_done, true))
		return;
	int saved = errno;
	int fd = fcntl(STDERR_FILENO, F_GETFD) != -1 || exit_fd < 0 ? STDERR_FILENO : exit_fd;
	errno = saved;
	if (bst_g.opt.stats_format == 1)
		print_stats_json(fd);
	else
		print_stats(fd);
}

/* verify_at_exit: a write into a freed chunk that is never handed out
 * again, or an overflow of a block that is never freed, is found before
 * the process ends (and, with verify_abort, ends it with the report).
 * Once per process, like the report. */
static _Atomic bool exit_verify_done;

static void verify_at_exit(void)
{
	if (atomic_exchange(&exit_verify_done, true) ||
	    atomic_load_explicit(&bst_dying, memory_order_relaxed))
		return;
	int saved = errno;
	if (bst_ready())
		bst_verify_all(false);
	errno = saved;
}

void bst_stats_init(void)
{
	/* atexit, not a destructor: init.c is always linked, so a static
	 * link reports too, where a destructor in this file would be left out
	 * of a program that never calls into it. Registered first, so that
	 * it runs after every handler the program registers later. */
	if (bst_g.opt.verify_at_exit)
		atexit(verify_at_exit);
	if (!bst_g.opt.stats_at_exit)
		return;
	/* A high, close-on-exec descriptor, out of the way of the program's. */
	int saved = errno;
	exit_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 100);
	errno = saved;
	atexit(report_at_exit);
}

#if BASTION_OVERRIDE_MALLOC
#define BST_ALIAS(name) __attribute__((alias("bastion_" #name), visibility("default")))
void malloc_stats(void) BST_ALIAS(malloc_stats);
int malloc_info(int, FILE *) BST_ALIAS(malloc_info);
struct mallinfo2 mallinfo2(void) BST_ALIAS(mallinfo2);
struct mallinfo mallinfo(void) BST_ALIAS(mallinfo);
#endif
