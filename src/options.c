/*
 * BASTION_OPTIONS="name=value,name=value": parsed once at start-up, without
 * allocating, from the table in options.def. Unknown names and bad values
 * print one line and are ignored; values that weaken a protection are
 * accepted and announced once, so nobody runs weakened by accident.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const struct {
	const char *name;
	unsigned long long min, max;
} table[] = {
#define BST_OPTION(name, def, min, max, looser, doc) {#name, min, max},
#include "options.def"
#undef BST_OPTION
};

void bst_options_defaults(struct bst_options *o)
{
#define BST_OPTION(name, def, min, max, looser, doc) o->name = (def);
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

static void set(struct bst_options *o, size_t idx, unsigned long long v)
{
	size_t k = 0;
#define BST_OPTION(name, def, min, max, looser, doc)                                               \
	if (k++ == idx) {                                                                          \
		o->name = (__typeof__(o->name))v;                                                  \
		if (looser)                                                                        \
			bst_warn("options", "protection weakened by BASTION_OPTIONS:", #name);     \
	}
#include "options.def"
#undef BST_OPTION
}

void bst_options_parse(struct bst_options *o, const char *s)
{
	while (s && *s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		const char *eq = memchr(s, '=', len);
		size_t nlen = eq ? (size_t)(eq - s) : len;
		size_t idx = sizeof(table) / sizeof(table[0]);
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
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
		if (len == 0) {
			/* empty item: ignore */
		} else if (idx == sizeof(table) / sizeof(table[0])) {
			bst_warn("options", "unknown option ignored:", item);
		} else if (!eq || !parse_value(eq + 1, len - nlen - 1, &v) || v < table[idx].min ||
		           v > table[idx].max) {
			bst_warn("options", "bad value ignored:", item);
		} else {
			set(o, idx, v);
		}
		s = end ? end + 1 : NULL;
	}
}
