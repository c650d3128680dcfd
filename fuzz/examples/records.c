/*
 * records.c: the worked example of docs/fuzzing.md.
 *
 * THIS PROGRAM IS DELIBERATELY BUGGY. It has exactly one bug, planted so
 * that a fuzzing campaign has something to find:
 *
 *   parse_note() allocates a note's buffer with the size the record
 *   declares, then copies the note's text up to its NUL terminator in the
 *   input, never checking the declared size. A note whose text is longer
 *   than declared writes past the end of the buffer by the difference.
 *
 * Nothing reads the overflowed bytes back, so with glibc's malloc the
 * program usually exits normally: a short overrun lands in the padding glibc
 * rounds the buffer up to, a longer one in the header of the next chunk,
 * which glibc looks at only in some later operations. bastion finds its
 * overwritten canary when the note is freed.
 *
 * Input, from the file named by argv[1] or from stdin (at most 4 KiB):
 *
 *   "REC1"                       magic
 *   records until 'E' or the end of the input, each:
 *     type  1 byte
 *     len   1 byte
 *     body
 *
 *   'N'  name: len (1..64) bytes of name; starts a new entry
 *   'V'  value: len is 4; the entry's value, 32 bits little-endian
 *   'T'  note: len is the size of the note's buffer, its NUL included;
 *        the body is the text and its NUL; at most one note per entry
 *   'E'  end: len is 0
 *
 * Exit status 0 for a valid file, 1 for an invalid one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT 4096
#define MAX_NAME  64

struct entry {
	char *name;
	char *note;
	uint32_t value;
	struct entry *next;
};

struct parser {
	const unsigned char *in;
	size_t size, pos;
	struct entry *first, *last;
	unsigned entries, notes;
};

static int parse_name(struct parser *p, size_t len)
{
	if (len == 0 || len > MAX_NAME || len > p->size - p->pos)
		return -1;
	struct entry *e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->name = malloc(len + 1);
	if (!e->name) {
		free(e);
		return -1;
	}
	memcpy(e->name, p->in + p->pos, len);
	e->name[len] = '\0';
	p->pos += len;
	if (p->last)
		p->last->next = e;
	else
		p->first = e;
	p->last = e;
	p->entries++;
	return 0;
}

static int parse_value(struct parser *p, size_t len)
{
	if (!p->last || len != 4 || len > p->size - p->pos)
		return -1;
	const unsigned char *b = p->in + p->pos;
	p->last->value =
	    (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	p->pos += 4;
	return 0;
}

/* A note: `size` is the buffer the writer used, NUL included. */
static int parse_note(struct parser *p, size_t size)
{
	if (!p->last || p->last->note || size == 0)
		return -1;
	char *text = malloc(size);
	if (!text)
		return -1;
	size_t n = 0;
	/* THE BUG: the copy stops at the NUL or at the end of the input, but
	 * nothing stops it at `size`. */
	while (p->pos < p->size && p->in[p->pos] != '\0')
		text[n++] = (char)p->in[p->pos++];
	if (p->pos == p->size) { /* no NUL: truncated note */
		free(text);
		return -1;
	}
	text[n] = '\0';
	p->pos++;
	p->last->note = text;
	p->notes++;
	return 0;
}

static int parse(struct parser *p)
{
	if (p->size < 4 || memcmp(p->in, "REC1", 4) != 0)
		return -1;
	p->pos = 4;
	while (p->pos < p->size) {
		if (p->size - p->pos < 2)
			return -1;
		unsigned char type = p->in[p->pos];
		size_t len = p->in[p->pos + 1];
		p->pos += 2;
		int r;
		switch (type) {
		case 'N':
			r = parse_name(p, len);
			break;
		case 'V':
			r = parse_value(p, len);
			break;
		case 'T':
			r = parse_note(p, len);
			break;
		case 'E':
			return len == 0 ? 0 : -1;
		default:
			return -1;
		}
		if (r != 0)
			return -1;
	}
	return 0;
}

static void free_entries(struct parser *p)
{
	struct entry *e = p->first;
	while (e) {
		struct entry *next = e->next;
		free(e->note);
		free(e->name);
		free(e);
		e = next;
	}
	p->first = p->last = NULL;
}

int main(int argc, char **argv)
{
	static unsigned char buf[MAX_INPUT];
	FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	size_t size = fread(buf, 1, sizeof(buf), f);
	if (f != stdin)
		fclose(f);

	struct parser p = {.in = buf, .size = size};
	int r = parse(&p);
	uint64_t total = 0;
	for (const struct entry *e = p.first; e; e = e->next)
		total += e->value;
	free_entries(&p);
	if (r != 0) {
		fprintf(stderr, "records: invalid input\n");
		return 1;
	}
	printf("%u entries, %u notes, total %llu\n", p.entries, p.notes, (unsigned long long)total);
	return 0;
}
