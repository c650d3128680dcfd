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
#define IS_SIZE_count 0
#define IS_SIZE_size  1
#define IS_SIZE_flag  0
#define IS_SIZE_word  0
static const struct {
	const char *name;
	unsigned long long def, min, max;
	const char *doc;
	bool is_size;
	const char *const *words; /* a word option's value names, or NULL */
} table[] = {
#define BST_OPTION(name, type, def, min, max, looser, doc)                                         \
	{#name, def, min, max, doc, IS_SIZE_##type, BST_WORDS_OF(type, name)},
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

/* name=v as BASTION_OPTIONS spells it: sizes with the largest k, m or g
 * suffix that divides them exactly (as tools/gen-options.c does for the man
 * page), a word option's value by its name. buf holds at least 224 bytes. */
static size_t put_value(char *buf, size_t pos, size_t i, unsigned long long v)
{
	if (table[i].words)
		return bst_append(buf, pos, 224, table[i].words[v]);
	unsigned shift = 0;
	if (table[i].is_size)
		for (shift = 30; shift && (v == 0 || v % (1ull << shift) != 0);)
			shift -= 10;
	pos = bst_append_dec(buf, pos, 224, (size_t)(v >> shift));
	if (shift)
		buf[pos++] = shift == 30 ? 'g' : shift == 20 ? 'm' : 'k';
	return pos;
}

static size_t put_setting_of(char *buf, size_t pos, size_t i, unsigned long long v)
{
	pos = bst_append(buf, pos, 224, table[i].name);
	buf[pos++] = '=';
	return put_value(buf, pos, i, v);
}

/* name=default. */
static size_t put_setting(char *buf, size_t pos, size_t i)
{
	return put_setting_of(buf, pos, i, table[i].def);
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

/* One load of the options: the program's string, then the environment's. */
typedef struct {
	struct bst_options *o;
	bool secure;       /* a privileged process */
	bool env;          /* the items come from BASTION_OPTIONS (else the program) */
	bool baked[NOPT];  /* set by the program's bastion_default_options */
	bool by_env[NOPT]; /* the value now in force came from BASTION_OPTIONS */
	unsigned problems; /* unknown options, bad values and refusals, in order */
	unsigned bad;      /* unknown options and bad values */
	char held[224];    /* the fourth problem's line, printed if it is the last */
} load_t;

/* Problems print at most PROBLEM_LINES lines: the first ones, then (when
 * there are more) one line that counts the rest. So do weakening notices.
 * A typo repeated in a long string cannot flood a log. */
#define PROBLEM_LINES 4

/* The notice of one problem: "<msg> <item> (<why>)". */
static void problem(load_t *L, const char *msg, const char *item, const char *why)
{
	char line[224];
	size_t n = bst_append(line, 0, sizeof(line) - 1, msg);
	n = bst_append(line, n, sizeof(line) - 1, " ");
	n = bst_append(line, n, sizeof(line) - 1, item);
	if (why) {
		n = bst_append(line, n, sizeof(line) - 1, " (");
		n = bst_append(line, n, sizeof(line) - 1, why);
		n = bst_append(line, n, sizeof(line) - 1, ")");
	}
	line[n] = 0;
	L->problems++;
	if (L->problems < PROBLEM_LINES)
		bst_warn("options", line, "");
	else if (L->problems == PROBLEM_LINES)
		memcpy(L->held, line, n + 1);
}

/* The valid values of option idx, for a bad value's notice. */
static const char *range_of(size_t idx, char *buf, const char *cause)
{
	size_t n = bst_append(buf, 0, 223, cause);
	if (table[idx].words) {
		n = bst_append(buf, n, 223, "one of: ");
		for (size_t k = 0; table[idx].words[k]; k++) {
			n = bst_append(buf, n, 223, k ? ", " : "");
			n = bst_append(buf, n, 223, table[idx].words[k]);
		}
	} else if (table[idx].min == 0 && table[idx].max == 1) {
		n = bst_append(buf, n, 223, "0 or 1");
	} else {
		n = bst_append(buf, n, 223, "from ");
		n = put_value(buf, n, idx, table[idx].min);
		n = bst_append(buf, n, 223, " to ");
		n = put_value(buf, n, idx, table[idx].max);
	}
	buf[n] = 0;
	return buf;
}

/* Sets option idx to v from item, unless that weakens a protection (or
 * changes what the program set) in a privileged process. */
static void set(load_t *L, size_t idx, unsigned long long v, const char *item)
{
	if (L->env && L->secure && (bst_option_looser(idx, v) || L->baked[idx])) {
		problem(L, BST_REFUSED_NOTICE, item, L->baked[idx] ? "the program sets it" : NULL);
		return;
	}
	size_t k = 0;
#define BST_OPTION(name, type, def, min, max, looser, doc)                                         \
	if (k++ == idx)                                                                            \
		L->o->name = (__typeof__(L->o->name))v;
#include "options.def"
#undef BST_OPTION
	L->baked[idx] = L->baked[idx] || !L->env;
	L->by_env[idx] = L->env;
}

/* Whether item (len bytes) asks for help: "help" or "help=1". */
static bool is_help(const char *s, size_t len)
{
	return (len == 4 && memcmp(s, "help", 4) == 0) || (len == 6 && memcmp(s, "help=1", 6) == 0);
}

/* The items of s, one by one. Profile items are applied in a pass of
 * their own (profiles_only), before the others, and skipped in theirs. */
static void parse_items(load_t *L, const char *s, bool profiles_only)
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
		char item[96], why[224];
		size_t ilen = len < sizeof(item) - 1 ? len : sizeof(item) - 1;
		/* The item is echoed in a one-line notice: control bytes must
		 * not break the line or reach the terminal. */
		for (size_t i = 0; i < ilen; i++)
			item[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
		item[ilen] = 0;
		bool is_profile = nlen == 7 && memcmp(s, "profile", 7) == 0;
		size_t vlen = eq ? len - nlen - 1 : 0;
		if (profiles_only != is_profile || len == 0) {
			/* the other pass's item, or an empty one */
		} else if (is_profile) {
			size_t p = NPROFILE;
			for (size_t i = 0; eq && i < NPROFILE; i++)
				if (strlen(profiles[i].name) == vlen &&
				    memcmp(profiles[i].name, eq + 1, vlen) == 0)
					p = i;
			if (p == NPROFILE) {
				size_t n = bst_append(why, 0, sizeof(why) - 1, "profiles:");
				for (size_t i = 0; i < NPROFILE; i++) {
					n = bst_append(why, n, sizeof(why) - 1, " ");
					n = bst_append(why, n, sizeof(why) - 1, profiles[i].name);
				}
				why[n] = 0;
				L->bad++;
				problem(L, "bad value ignored:", item, why);
			} else {
				parse_items(L, profiles[p].settings, false);
			}
		} else if (nlen == 4 && memcmp(s, "help", 4) == 0) {
			/* Handled before anything else (bst_options_load); help=0
			 * asks for nothing. */
			if (!is_help(s, len) && !(len == 6 && memcmp(s, "help=0", 6) == 0)) {
				L->bad++;
				problem(L, "bad value ignored:", item,
				        "help or help=1 prints this table");
			}
		} else if (idx == NOPT) {
			L->bad++;
			problem(L, "unknown option ignored:", item,
			        "BASTION_OPTIONS=help lists them");
		} else if (!eq || vlen == 0) {
			L->bad++;
			problem(L, "bad value ignored:", item, range_of(idx, why, "no value; "));
		} else if (!parse_word(idx, eq + 1, vlen, &v) && !parse_value(eq + 1, vlen, &v)) {
			L->bad++;
			problem(L, "bad value ignored:", item,
			        range_of(idx, why, table[idx].words ? "" : "not a number; "));
		} else if (v < table[idx].min || v > table[idx].max) {
			L->bad++;
			problem(L, "bad value ignored:", item,
			        range_of(idx, why, "out of range; "));
		} else {
			set(L, idx, v, item);
		}
		s = end ? end + 1 : NULL;
	}
}

/* Applies one string: its profiles first, wherever they stand (then each
 * of their options can be set one by one: profile=fuzz,alloc_fill=0),
 * then its other items in order. */
static void parse_string(load_t *L, const char *s, bool env)
{
	L->env = env;
	parse_items(L, s, true);
	parse_items(L, s, false);
}

/* Whether s asks for help. */
static bool wants_help(const char *s)
{
	while (s && *s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (is_help(s, len))
			return true;
		s = end ? end + 1 : NULL;
	}
	return false;
}

unsigned bst_options_load(struct bst_options *o, const char *baked, const char *env, bool secure)
{
	/* help prints the table and changes nothing: the process then ends
	 * (init.c), so nothing else of the string matters. */
	if (wants_help(env)) {
		print_help();
		return BST_OPTIONS_HELP;
	}
	load_t L;
	memset(&L, 0, sizeof(L));
	L.o = o;
	L.secure = secure;
	parse_string(&L, baked, false);
	parse_string(&L, env, true);
	if (L.problems == PROBLEM_LINES) {
		bst_warn("options", L.held, "");
	} else if (L.problems > PROBLEM_LINES) {
		char n[24];
		n[bst_append_dec(n, 0, sizeof(n) - 1, L.problems - PROBLEM_LINES + 1)] = 0;
		bst_warn("options", "more problems ignored:", n);
	}
	/* One notice per weakened option, for the value in force, so that
	 * nobody runs weakened by accident; at most PROBLEM_LINES lines. */
	unsigned weak = 0, shown = 0;
	for (size_t i = 0; i < NOPT; i++)
		weak += bst_option_looser(i, ((const unsigned long long *)o)[i]);
	for (size_t i = 0; i < NOPT; i++) {
		unsigned long long v = ((const unsigned long long *)o)[i];
		if (!bst_option_looser(i, v))
			continue;
		if (weak > PROBLEM_LINES && shown == PROBLEM_LINES - 1) {
			char more[64];
			size_t n = bst_append_dec(more, 0, sizeof(more) - 1, weak - shown);
			n = bst_append(more, n, sizeof(more) - 1, " more options");
			more[n] = 0;
			bst_warn("options", "protection weakened by BASTION_OPTIONS:", more);
			break;
		}
		char set_as[224];
		set_as[put_setting_of(set_as, 0, i, v)] = 0;
		bst_warn("options",
		         L.by_env[i]
		             ? "protection weakened by BASTION_OPTIONS:"
		             : "protection weakened by the program (bastion_default_options):",
		         set_as);
		shown++;
	}
	return L.bad ? BST_OPTIONS_BAD : 0;
}

unsigned bst_options_parse(struct bst_options *o, const char *s, bool secure)
{
	return bst_options_load(o, NULL, s, secure);
}
