/*
 * Planted heap bugs: one small record parser per kind of bug, each with
 * one bug that only some inputs reach, for measuring which allocator (or
 * sanitizer) turns the bug into a crash when the program is run as a
 * black box, as a fuzzer runs it. fuzz/planted/run builds this file (plain
 * and with AddressSanitizer), writes the inputs and runs every kind under
 * every allocator.
 *
 *   planted KIND FILE
 *
 * FILE holds one line, "N K DATA": N a declared size, K how far the input
 * pushes the bug (0: a benign input, which takes the same code path
 * without the bug), DATA the payload. The program prints a checksum of
 * what it parsed and exits 0; a crash (any signal) on a benign input is a
 * false alarm. The code is written the way such parsers are, NULL checks
 * included: a freed or uninitialised pointer that reads as NULL is
 * skipped, one that reads as anything else is followed.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t n_decl; /* N */
static size_t k_bug;  /* K */
static char data[65536];
static size_t dlen;
static unsigned long sum;

/* Keeps the compiler from proving a block unused. */
static void *volatile sink;

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		exit(2);
	sink = p;
	return p;
}

static void add(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		sum = sum * 31 + b[i];
}

/* ---- the bugs ---- */

/* Copies the payload into a buffer of the declared size; the loop bound
 * is <= instead of <, so a payload longer than declared writes one byte
 * past the end. */
static void overflow_1byte(void)
{
	size_t n = n_decl ? n_decl : 1;
	char *b = xmalloc(n);
	size_t want = k_bug ? n + 1 : n;
	for (size_t i = 0; i < want && i < n + 1; i++)
		b[i] = data[i % dlen];
	add(b, n);
	free(b);
}

/* A string of exactly the allocated length, then its terminator: the
 * classic off-by-one NUL. */
static void overflow_nul(void)
{
	size_t n = n_decl ? n_decl : 1;
	size_t len = k_bug ? n : n - 1;
	char *s = xmalloc(n);
	for (size_t i = 0; i < len; i++)
		s[i] = data[i % dlen] ? data[i % dlen] : 'x';
	s[len] = 0;
	sum += strlen(s);
	free(s);
}

/* An array of 64-bit counters, one entry too many written. */
static void overflow_8byte(void)
{
	size_t count = n_decl / 8 + 1;
	uint64_t *v = xmalloc(count * sizeof(*v));
	size_t fill = k_bug ? count + 1 : count;
	for (size_t i = 0; i < fill; i++)
		v[i] = (uint64_t)data[i % dlen] * 0x0101010101010101ull;
	add(v, count * sizeof(*v));
	free(v);
}

/* The payload copied with its own length into a buffer of the declared
 * one: K extra bytes, up to thousands. */
static void overflow_large(void)
{
	size_t n = n_decl ? n_decl : 1;
	char *b = xmalloc(n);
	size_t len = n + (k_bug ? 64 + k_bug * 97 : 0);
	for (size_t i = 0; i < len; i++)
		b[i] = data[i % dlen];
	add(b, n);
	free(b);
}

/* A block the program keeps until it exits: a table header written one
 * field past its end. Nothing frees it. */
static char *kept;
static void overflow_kept(void)
{
	size_t n = n_decl ? n_decl : 1;
	kept = xmalloc(n);
	size_t len = n + (k_bug ? 1 + k_bug % 16 : 0);
	for (size_t i = 0; i < len; i++)
		kept[i] = data[i % dlen];
	add(kept, n);
}

/* A "previous character" lookup that runs one (or K) before the start
 * when the record begins with a separator. */
static void underflow(void)
{
	size_t n = n_decl ? n_decl : 1;
	char *b = xmalloc(n);
	memset(b, 'a', n);
	size_t back = k_bug ? 1 + k_bug % 8 : 0;
	for (size_t i = 0; i < back; i++)
		b[(ptrdiff_t)0 - 1 - (ptrdiff_t)i] = '/'; /* the bug: write before b */
	add(b, n);
	free(b);
}

/* Records in a list; "delete" frees one but leaves it listed, and the
 * later "print" reads it. */
struct rec {
	char *name;
	size_t len;
	struct rec *next;
	char tag[8];
};

static struct rec *new_rec(void)
{
	struct rec *r = xmalloc(sizeof(*r));
	size_t len = dlen < 64 ? dlen : 64;
	r->name = xmalloc(len + 1);
	memcpy(r->name, data, len);
	r->name[len] = 0;
	r->len = len;
	r->next = NULL;
	memcpy(r->tag, "record", 7);
	return r;
}

static void free_rec(struct rec *r)
{
	free(r->name);
	free(r);
}

static void uaf_read(void)
{
	struct rec *a = new_rec(), *b = new_rec();
	a->next = b;
	if (k_bug)
		free_rec(b); /* the bug: still reachable through a->next */
	for (struct rec *r = a; r; r = r->next) {
		if (r->name)
			add(r->name, strlen(r->name));
		sum += r->len;
	}
	if (!k_bug)
		free_rec(b);
	free_rec(a);
}

static void uaf_write(void)
{
	struct rec *a = new_rec();
	struct rec *stale = a;
	if (k_bug) {
		free_rec(a); /* the bug: an update through the stale pointer */
		a = new_rec();
	}
	stale->len = dlen;
	memcpy(stale->tag, "updated", 8);
	sum += a->len;
	free_rec(a);
}

/* A growing buffer with a cursor into it that is not moved when the
 * buffer is reallocated. */
static void realloc_stale(void)
{
	size_t cap = 16;
	char *buf = xmalloc(cap);
	char *cursor = buf + 1;
	size_t need = k_bug ? cap + 32 + (k_bug * 53) % 4000 : cap;
	if (need > cap) {
		char *nb = realloc(buf, need);
		if (!nb)
			exit(2);
		buf = nb;
		cap = need;
	}
	for (size_t i = 0; i < cap; i++)
		buf[i] = data[i % dlen];
	*cursor = '#'; /* the bug: cursor points into the old buffer */
	add(buf, cap);
	free(buf);
}

/* A record whose name is set only when the input has one: the other
 * path leaves the field as malloc returned it. */
static void uninit_read(void)
{
	struct rec *r = malloc(sizeof(*r));
	if (!r)
		exit(2);
	sink = r;
	r->len = dlen;
	r->next = NULL;
	if (!k_bug) {
		r->name = xmalloc(4);
		memcpy(r->name, "abc", 4);
	}
	if (r->name)
		add(r->name, strlen(r->name));
	if (!k_bug)
		free(r->name);
	free(r);
}

/* A handler object freed, a same-size text buffer made from the input,
 * then the stale handler called. */
struct handler {
	void (*cb)(struct handler *, int);
	int arg;
	char pad[20];
};

static void on_event(struct handler *h, int v)
{
	sum += (unsigned long)(h->arg + v);
}

static void type_confusion(void)
{
	struct handler *h = xmalloc(sizeof(*h));
	h->cb = on_event;
	h->arg = (int)dlen;
	if (k_bug)
		free(h); /* the bug: h stays registered */
	char *text = xmalloc(sizeof(struct handler));
	for (size_t i = 0; i < sizeof(struct handler); i++)
		text[i] = data[i % dlen];
	if (h->cb)
		h->cb(h, 1);
	add(text, sizeof(struct handler));
	free(text);
	if (!k_bug)
		free(h);
}

static void double_free(void)
{
	struct rec *r = new_rec();
	free(r->name);
	if (k_bug)
		free(r->name); /* the bug: an error path frees it again */
	free(r);
}

/* The parse position freed instead of the buffer's start. */
static void invalid_free(void)
{
	size_t n = n_decl ? n_decl + 8 : 9;
	char *b = xmalloc(n);
	memset(b, ' ', n);
	char *p = b;
	if (k_bug)
		p += 1 + k_bug % 8; /* skipped leading blanks */
	add(p, 1);
	free(p);
}

static void memcpy_overflow(void)
{
	size_t n = n_decl ? n_decl : 1;
	char *b = xmalloc(n);
	size_t len = k_bug ? n + 1 + k_bug % 64 : n; /* below sizeof(data): n <= 60000 */
	memcpy(b, data, len);
	add(b, n);
	free(b);
}

static void strcpy_overflow(void)
{
	size_t n = n_decl ? n_decl : 1;
	/* The payload cut to the declared length, or (the bug) to the
	 * length the record says, which may be longer. */
	size_t len = k_bug ? n + k_bug % 32 : n - 1;
	static char src[65536];
	for (size_t i = 0; i < len; i++)
		src[i] = data[i % dlen] ? data[i % dlen] : 'y';
	src[len] = 0;
	char *b = xmalloc(n);
	strcpy(b, src);
	sum += strlen(b);
	free(b);
}

/* A checksum over the declared length plus K bytes: a read past the end. */
static void overread(void)
{
	size_t n = n_decl ? n_decl : 1;
	char *b = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		b[i] = data[i % dlen];
	add(b, n + (k_bug ? 1 + k_bug % 64 : 0));
	free(b);
}

static const struct {
	const char *name;
	void (*fn)(void);
} kinds[] = {
    {"overflow_1byte", overflow_1byte},
    {"overflow_nul", overflow_nul},
    {"overflow_8byte", overflow_8byte},
    {"overflow_large", overflow_large},
    {"overflow_kept", overflow_kept},
    {"underflow", underflow},
    {"uaf_read", uaf_read},
    {"uaf_write", uaf_write},
    {"realloc_stale", realloc_stale},
    {"uninit_read", uninit_read},
    {"type_confusion", type_confusion},
    {"double_free", double_free},
    {"invalid_free", invalid_free},
    {"memcpy_overflow", memcpy_overflow},
    {"strcpy_overflow", strcpy_overflow},
    {"overread", overread},
};

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			puts(kinds[i].name);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s KIND FILE | --list\n", argv[0]);
		return 2;
	}
	FILE *f = fopen(argv[2], "r");
	if (!f)
		return 2;
	char line[70000];
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return 2;
	}
	fclose(f);
	char *rest;
	n_decl = strtoul(line, &rest, 10);
	k_bug = strtoul(rest, &rest, 10);
	if (*rest == ' ')
		rest++;
	dlen = strcspn(rest, "\n");
	if (dlen == 0 || dlen >= sizeof(data) || n_decl > 60000)
		return 2;
	memcpy(data, rest, dlen);
	/* Some of the program's ordinary life around the bug: blocks of many
	 * sizes come and go, as a parser's do. */
	for (int i = 0; i < 64; i++) {
		char *t = xmalloc(16 + (size_t)(i * 37) % 700);
		t[0] = (char)i;
		sum += (unsigned char)t[0];
		free(t);
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(argv[1], kinds[i].name) == 0) {
			kinds[i].fn();
			printf("%lu\n", sum);
			return 0;
		}
	}
	fprintf(stderr, "planted: unknown kind %s\n", argv[1]);
	return 2;
}
