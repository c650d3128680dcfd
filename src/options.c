/*
 * BASTION_OPTIONS="name=value,name=value": parsed once at start-up, without
 * allocating, from the table in options.def. Unknown names and bad values
 * print one line and are ignored; values that weaken a protection are
 * accepted and announced once, so nobody runs weakened by accident. The
 * item "help" prints the table (one line per option and per profile) and
 * parsing goes on. "profile=<name>" applies a named set of settings
 * (options.def) before every other item.
 *
 * In a privileged process (secure: AT_SECURE, see init.c) the string comes
 * from whoever started the program, who may be the attacker: there a value
 * that weakens a protection is refused with one line and the option keeps
 * its value. Tightening values and help still apply.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The type column: sizes and words are shown differently (help). */
#define IS_SIZE_count     0
#define IS_SIZE_size      1
#define IS_SIZE_flag      0
#define IS_SIZE_word      0
#define WORDS_count(name) NULL
#define WORDS_size(name)  NULL
#define WORDS_flag(name)  NULL
#define WORDS_word(name)  ((const char *const[]){BST_WORDS_##name, NULL})

static const struct {
	const char *name;
	unsigned long long def, min, max;
	const char *doc;
	bool is_size;
	const char *const *words; /* a word option's value names, or NULL */
} table[] = {
#define BST_OPTION(name, type, def, min, max, looser, doc)                                         \
	{#name, def, min, max, doc, IS_SIZE_##type, WORDS_##type(name)},
#include "options.def"
#undef BST_OPTION
};
#define NOPT (sizeof(table) / sizeof(table[0]))

static const struct {
	const char *name, *settings, *doc;
} profiles[] = {
#define BST_PROFILE(name, settings, doc) {#name, settings, doc},
#include "options.def"
#undef BST_PROFILE
};
#define NPROFILE (sizeof(profiles) / sizeof(profiles[0]))

/* A profile's help line ("profile=<name>  <doc>: <settings>") must fit
 * bst_warn's 255 bytes too. */
#define BST_PROFILE(name, settings, doc)                                                           \
	_Static_assert(sizeof(#name) + sizeof(settings) + sizeof(doc) <= 200, #name ": too long");
#include "options.def"
#undef BST_PROFILE

/* A help line, "bastion: options: help: " and the padded name=default
 * before the doc, must fit bst_warn's 255 bytes. */
#define BST_OPTION(name, type, def, min, max, looser, doc)                                         \
	_Static_assert(sizeof(doc) <= 160 && sizeof(#name) <= 40, #name ": doc or name too long");
#include "options.def"
#undef BST_OPTION

void bst_options_defaults(struct bst_options *o)
{
#define BST_OPTION(name, type, def, min, max, looser, doc) o->name = (def);
#include "options.def"
#undef BST_OPTION
}

/* Parses a decimal number with an optional k, m or g suffix. */
static bool parse_value(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i = 0;
	if (n == 0)
		return false;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (~0ull - 9) / 10)
			return false;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	if (i == 0)
		return false;
	if (i + 1 == n) {
		unsigned shift = s[i] == 'k' || s[i] == 'K'   ? 10
		                 : s[i] == 'm' || s[i] == 'M' ? 20
		                 : s[i] == 'g' || s[i] == 'G' ? 30
		                                              : 64;
		if (shift == 64 || v > (~0ull >> shift))
			return false;
		v <<= shift;
		i++;
	}
	*out = v;
	return i == n;
}

/* A word option's value given by name. */
static bool parse_word(size_t idx, const char *s, size_t n, unsigned long long *out)
{
	for (size_t k = 0; table[idx].words && table[idx].words[k]; k++) {
		if (strlen(table[idx].words[k]) == n && memcmp(table[idx].words[k], s, n) == 0) {
			*out = k;
			return true;
		}
	}
	return false;
}

bool bst_option_looser(size_t idx, unsigned long long v)
{
	size_t k = 0;
#define BST_OPTION(name, type, def, min, max, looser, doc)                                         \
	if (k++ == idx)                                                                            \
		return (looser);
#include "options.def"
#undef BST_OPTION
	return false;
}

/* Sets option idx to v, unless v weakens a protection in a privileged
 * process; item is how BASTION_OPTIONS spelled it. */
static void set(struct bst_options *o, size_t idx, unsigned long long v, const char *item,
                bool secure)
{
	bool looser = bst_option_looser(idx, v);
	if (looser && secure) {
		bst_warn("options", BST_REFUSED_NOTICE, item);
		return;
	}
	size_t k = 0;
#define BST_OPTION(name, type, def, min, max, looser, doc)                                         \
	if (k++ == idx)                                                                            \
		o->name = (__typeof__(o->name))v;
#include "options.def"
#undef BST_OPTION
	if (looser)
		bst_warn("options", "protection weakened by BASTION_OPTIONS:", item);
}

/* name=default as BASTION_OPTIONS spells it: sizes with the largest k, m
 * or g suffix that divides them exactly, as tools/gen-options.c does for
 * the man page. buf holds at least 224 bytes. */
static size_t put_setting(char *buf, size_t pos, size_t i)
{
	unsigned long long v = table[i].def;
	if (table[i].words) {
		pos = bst_append(buf, pos, 224, table[i].name);
		buf[pos++] = '=';
		return bst_append(buf, pos, 224, table[i].words[v]);
	}
	unsigned shift = 0;
	if (table[i].is_size)
		for (shift = 30; shift && (v == 0 || v % (1ull << shift) != 0);)
			shift -= 10;
	pos = bst_append(buf, pos, 224, table[i].name);
	buf[pos++] = '=';
	pos = bst_append_dec(buf, pos, 224, (size_t)(v >> shift));
	if (shift)
		buf[pos++] = shift == 30 ? 'g' : shift == 20 ? 'm' : 'k';
	return pos;
}

/* One line per option: "bastion: options: help: name=default  doc", the
 * docs aligned. Stack buffers and bst_warn only: it runs at start-up. */
static void print_help(void)
{
	char line[224];
	size_t width = 0;
	for (size_t i = 0; i < NOPT; i++) {
		size_t n = put_setting(line, 0, i);
		width = n > width ? n : width;
	}
	for (size_t i = 0; i < NOPT; i++) {
		size_t n = put_setting(line, 0, i);
		while (n < width + 2)
			line[n++] = ' ';
		n = bst_append(line, n, sizeof(line) - 1, table[i].doc);
		line[n] = 0;
		bst_warn("options", "help:", line);
	}
	for (size_t i = 0; i < NPROFILE; i++) {
		size_t n = bst_append(line, 0, sizeof(line) - 1, "profile=");
		n = bst_append(line, n, sizeof(line) - 1, profiles[i].name);
		while (n < width + 2)
			line[n++] = ' ';
		n = bst_append(line, n, sizeof(line) - 1, profiles[i].doc);
		n = bst_append(line, n, sizeof(line) - 1, ": ");
		n = bst_append(line, n, sizeof(line) - 1, profiles[i].settings);
		line[n] = 0;
		bst_warn("options", "help:", line);
	}
}

/* The items of s, one by one. Profile items are applied by the caller
 * before the others (profiles), and skipped here. */
static void parse_items(struct bst_options *o, const char *s, bool secure, bool profiles_only,
                        bool *helped)
{
	while (s && *s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		const char *eq = memchr(s, '=', len);
		size_t nlen = eq ? (size_t)(eq - s) : len;
		size_t idx = NOPT;
		for (size_t i = 0; i < NOPT; i++)
			if (strlen(table[i].name) == nlen && memcmp(table[i].name, s, nlen) == 0)
				idx = i;
		unsigned long long v;
		char item[96];
		size_t ilen = len < sizeof(item) - 1 ? len : sizeof(item) - 1;
		/* The item is echoed in a one-line notice: control bytes must
		 * not break the line or reach the terminal. */
		for (size_t i = 0; i < ilen; i++)
			item[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
		item[ilen] = 0;
		bool is_profile = nlen == 7 && memcmp(s, "profile", 7) == 0;
		if (profiles_only != is_profile || len == 0) {
			/* the other pass's item, or an empty one */
		} else if (is_profile) {
			size_t p = NPROFILE;
			for (size_t i = 0; eq && i < NPROFILE; i++)
				if (strlen(profiles[i].name) == len - nlen - 1 &&
				    memcmp(profiles[i].name, eq + 1, len - nlen - 1) == 0)
					p = i;
			if (p == NPROFILE)
				bst_warn("options", "bad value ignored:", item);
			else
				parse_items(o, profiles[p].settings, secure, false, helped);
		} else if (len == 4 && memcmp(s, "help", 4) == 0) {
			if (!*helped)
				print_help();
			*helped = true;
		} else if (idx == NOPT) {
			bst_warn("options", "unknown option ignored:", item);
		} else if (!eq ||
		           !(parse_word(idx, eq + 1, len - nlen - 1, &v) ||
		             parse_value(eq + 1, len - nlen - 1, &v)) ||
		           v < table[idx].min || v > table[idx].max) {
			bst_warn("options", "bad value ignored:", item);
		} else {
			set(o, idx, v, item, secure);
		}
		s = end ? end + 1 : NULL;
	}
}

void bst_options_parse(struct bst_options *o, const char *s, bool secure)
{
	bool helped = false; /* "help,help" prints the table once */
	/* Profiles first, wherever they stand: then each of their options
	 * can be set one by one (profile=fuzz,alloc_fill=0). */
	parse_items(o, s, secure, true, &helped);
	parse_items(o, s, secure, false, &helped);
}
