/*
 * Fuzzes the BASTION_OPTIONS parser (bst_options_parse) with arbitrary
 * bytes, against a reference model written independently here from the
 * documented grammar:
 *   options := item ("," item)*
 *   item    := "" | "help" ["=" ("0"|"1")] | "profile=" pname | name "=" value
 *   value   := digits [k|K|m|M|g|G]       (no overflow, within [min, max])
 *            | a word option's value name  (its index is the value)
 * "help" or "help=1" anywhere prints one "help:" line per option and per
 * profile and nothing else, and changes nothing; "help=0" asks for
 * nothing, another help value is bad. Otherwise profile items come first,
 * wherever they stand: each applies its settings (options.def) as if they
 * were items; an unknown profile is a bad value. Then the other items, in
 * order: later ones override earlier ones; an unknown name or a bad value
 * is a problem and changes nothing; in a privileged process (secure) a
 * value looser than the default is a problem (refused) and changes
 * nothing. Problems print one line each in order while there are at most
 * four, else the first three and one "more problems ignored:" line. Then
 * one "protection weakened" line per option whose final value is looser
 * than its default, at most four.
 *
 * Checked for every input, parsed once as an ordinary and once as a
 * privileged process:
 *   - the parser's result equals the model's, option by option;
 *   - every value is within the option's [min, max];
 *   - in a privileged process no option is looser than its default;
 *   - stderr gets exactly the notices the model predicts, each one line
 *     "bastion: options: ...\n" of printable bytes, at most 255 long;
 *   - printing the result as "name=value,..." and parsing that from the
 *     defaults gives the same result (the documented syntax round-trips).
 * The input is copied to an exact-size buffer so ASan catches any read past
 * its terminating NUL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static const struct {
	const char *name;
	unsigned long long def, min, max;
	const char *const *words; /* a word option's value names, or NULL */
} opts[] = {
#define BST_OPTION(name, type, def, min, max, looser, doc)                                         \
	{#name, def, min, max, BST_WORDS_OF(type, name)},
#include "options.def"
#undef BST_OPTION
};
#define NOPT (sizeof(opts) / sizeof(opts[0]))

static const struct {
	const char *name, *settings;
} profiles[] = {
#define BST_PROFILE(name, settings, doc) {#name, settings},
#include "options.def"
#undef BST_PROFILE
};
#define NPROFILE (sizeof(profiles) / sizeof(profiles[0]))
_Static_assert(sizeof(struct bst_options) == NOPT * sizeof(unsigned long long),
               "struct bst_options is one unsigned long long per option, in table order");

static unsigned long long *field(struct bst_options *o, size_t i)
{
	return (unsigned long long *)o + i;
}

__attribute__((noreturn)) static void fail(const char *what, const char *input)
{
	fprintf(stderr, "fuzz_options: %s\ninput: \"", what);
	for (const char *c = input; *c; c++)
		fprintf(stderr, *c >= 0x20 && *c < 0x7f ? "%c" : "\\x%02x", (unsigned char)*c);
	fprintf(stderr, "\"\n");
	abort();
}

/* ---- the reference model ---- */

/* Problem kinds, in the order the items raise them. */
enum { P_UNKNOWN, P_BAD, P_REFUSED };

typedef struct {
	unsigned long long v[NOPT];
	unsigned problems;      /* all of them */
	unsigned char first[4]; /* the kinds of the first four */
	bool help;
} model_t;

static void model_problem(model_t *m, unsigned kind)
{
	if (m->problems < 4)
		m->first[m->problems] = (unsigned char)kind;
	m->problems++;
}

static bool model_value(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t digits = 0;
	while (digits < n && s[digits] >= '0' && s[digits] <= '9') {
		unsigned d = (unsigned)(s[digits] - '0');
		if (__builtin_mul_overflow(v, 10ull, &v) || __builtin_add_overflow(v, d, &v))
			return false;
		digits++;
	}
	if (digits == 0)
		return false;
	if (digits == n) {
		*out = v;
		return true;
	}
	if (digits + 1 != n)
		return false;
	const char *suffixes = "kKmMgG";
	const char *hit = strchr(suffixes, s[digits]);
	if (!hit || s[digits] == 0)
		return false;
	unsigned shift = 10 * (unsigned)((hit - suffixes) / 2 + 1);
	if (v > (~0ull >> shift))
		return false;
	*out = v << shift;
	return true;
}

/* A word option's value by its name: the k-th name is value k. */
static bool model_word(size_t idx, const char *s, size_t n, unsigned long long *out)
{
	const char *const *w = opts[idx].words;
	for (unsigned long long k = 0; w && w[k]; k++) {
		if (strlen(w[k]) == n && strncmp(w[k], s, n) == 0) {
			*out = k;
			return true;
		}
	}
	return false;
}

/* One pass over the items of s: the profile items (profiles true), or all
 * the others. */
static void model_pass(model_t *m, const char *s, bool secure, bool profiles_pass)
{
	for (;;) {
		size_t len = strcspn(s, ",");
		const char *eq = memchr(s, '=', len);
		size_t nlen = eq ? (size_t)(eq - s) : len;
		bool profile = nlen == 7 && !memcmp(s, "profile", 7);
		if (len > 0 && profile && profiles_pass) {
			size_t vlen = eq ? len - nlen - 1 : 0;
			size_t p = NPROFILE;
			for (size_t i = 0; eq && i < NPROFILE; i++)
				if (strlen(profiles[i].name) == vlen &&
				    !memcmp(profiles[i].name, eq + 1, vlen))
					p = i;
			if (p == NPROFILE)
				model_problem(m, P_BAD);
			else
				model_pass(m, profiles[p].settings, secure, false);
		} else if (len > 0 && !profile && !profiles_pass) {
			size_t idx = NOPT;
			for (size_t i = 0; i < NOPT; i++)
				if (strlen(opts[i].name) == nlen && !memcmp(opts[i].name, s, nlen))
					idx = i;
			unsigned long long v;
			if (nlen == 4 && !memcmp(s, "help", 4)) {
				/* "help" and "help=1" were seen before the passes;
				 * "help=0" asks for nothing; any other value is bad. */
				if (!(eq && len == 6 && (s[5] == '0' || s[5] == '1')))
					model_problem(m, P_BAD);
			} else if (idx == NOPT) {
				model_problem(m, P_UNKNOWN);
			} else if (!eq ||
			           !(model_word(idx, eq + 1, len - nlen - 1, &v) ||
			             model_value(eq + 1, len - nlen - 1, &v)) ||
			           v < opts[idx].min || v > opts[idx].max) {
				model_problem(m, P_BAD);
			} else if (secure && bst_option_looser(idx, v)) {
				model_problem(m, P_REFUSED);
			} else {
				m->v[idx] = v;
			}
		}
		if (s[len] == 0)
			break;
		s += len + 1;
	}
}

static void model_parse(model_t *m, const char *s, bool secure)
{
	/* help (or help=1) anywhere: the table, and nothing else happens. */
	for (const char *p = s;;) {
		size_t len = strcspn(p, ",");
		if ((len == 4 && !memcmp(p, "help", 4)) || (len == 6 && !memcmp(p, "help=1", 6)))
			m->help = true;
		if (p[len] == 0)
			break;
		p += len + 1;
	}
	if (m->help)
		return;
	model_pass(m, s, secure, true);
	model_pass(m, s, secure, false);
}

/* ---- capturing stderr ---- */

static int capture_fd = -1;

static int capture_begin(void)
{
	if (capture_fd < 0) {
		capture_fd = memfd_create("fuzz_options_stderr", 0);
		if (capture_fd < 0)
			abort();
	}
	if (ftruncate(capture_fd, 0) || lseek(capture_fd, 0, SEEK_SET))
		abort();
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	if (saved < 0 || dup2(capture_fd, STDERR_FILENO) < 0)
		abort();
	return saved;
}

static size_t capture_end(int saved, char *buf, size_t cap)
{
	dup2(saved, STDERR_FILENO);
	close(saved);
	off_t n = lseek(capture_fd, 0, SEEK_CUR);
	if (n < 0 || (size_t)n >= cap)
		abort();
	if (pread(capture_fd, buf, (size_t)n, 0) != n)
		abort();
	buf[n] = 0;
	return (size_t)n;
}

/* Counts notices whose message starts with `what`, after checking every
 * line's form. */
static unsigned count_lines(const char *out, const char *what, const char *input)
{
	unsigned hits = 0;
	for (const char *line = out; *line;) {
		const char *nl = strchr(line, '\n');
		if (!nl)
			fail("a notice does not end with a newline", input);
		size_t len = (size_t)(nl - line);
		if (len > 255)
			fail("a notice is longer than 255 bytes", input);
		if (strncmp(line, "bastion: options: ", 18) != 0)
			fail("a line on stderr is not a \"bastion: options:\" notice", input);
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7f)
				fail("a notice carries a control or non-ASCII byte", input);
		/* The message comes first; the echoed item follows it. */
		hits += strncmp(line + 18, what, strlen(what)) == 0;
		line = nl + 1;
	}
	return hits;
}

/* Parses input as an ordinary (secure false) or a privileged process and
 * checks the result against the model. */
static void check_parse(const char *input, size_t n, bool secure)
{
	struct bst_options got;
	bst_options_defaults(&got);
	/* Every item may print a line: at most 2 input bytes ("a,") give a
	 * 44-byte notice, a weakening or a refusal up to 85 bytes for 7
	 * ("wipe=0,"); help adds NOPT + NPROFILE lines once, each profile
	 * item its settings' notices. A fixed 64 KiB buffer made
	 * any long input of short bad items a false crash. */
	size_t cap = 40 * n * (1 + NOPT) + (NOPT + NPROFILE) * 256 + 4096;
	char *out = malloc(cap);
	if (!out)
		abort();
	int saved = capture_begin();
	bst_options_parse(&got, input, secure);
	capture_end(saved, out, cap);

	model_t m;
	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < NOPT; i++)
		m.v[i] = opts[i].def;
	model_parse(&m, input, secure);

	for (size_t i = 0; i < NOPT; i++) {
		unsigned long long v = *field(&got, i);
		if (v < opts[i].min || v > opts[i].max)
			fail("an option is outside its range", input);
		if (secure && bst_option_looser(i, v))
			fail("a privileged process runs with a weakened protection", input);
		if (v != m.v[i]) {
			fprintf(stderr, "%s: parser %llu, model %llu (secure %d)\n", opts[i].name,
			        v, m.v[i], secure);
			fail("parser and model disagree", input);
		}
	}
	/* Problems: each its line while there are at most four; past that
	 * the first three and one line that counts the rest. */
	unsigned kinds[3] = {0, 0, 0}, more = m.problems > 4;
	for (unsigned k = 0; k < m.problems && k < (more ? 3u : 4u); k++)
		kinds[m.first[k]]++;
	if (count_lines(out, "unknown option ignored:", input) != kinds[P_UNKNOWN] ||
	    count_lines(out, "bad value ignored:", input) != kinds[P_BAD] ||
	    count_lines(out, BST_REFUSED_NOTICE, input) != kinds[P_REFUSED])
		fail("wrong number of unknown-option, bad-value or refusal notices", input);
	if (count_lines(out, "more problems ignored:", input) != more)
		fail("wrong count line for problems past the fourth", input);
	/* Weakened: one line per option whose value in force weakens a
	 * protection, at most four. */
	unsigned weak = 0;
	for (size_t i = 0; i < NOPT && !m.help; i++)
		weak += bst_option_looser(i, m.v[i]);
	weak = weak > 4 ? 4 : weak;
	if (count_lines(out, "protection weakened by BASTION_OPTIONS:", input) != weak)
		fail("wrong number of weakened-protection notices", input);
	unsigned help = m.help ? (unsigned)(NOPT + NPROFILE) : 0;
	if (count_lines(out, "help:", input) != help)
		fail("wrong number of help lines", input);
	unsigned shown = m.problems < 4 ? m.problems : 4;
	if (count_lines(out, "", input) != shown + weak + help)
		fail("notices that the model does not predict", input);

	/* Round trip: the canonical spelling of the result parses back. */
	char canon[NOPT * 64];
	size_t pos = 0;
	for (size_t i = 0; i < NOPT; i++)
		pos += (size_t)snprintf(canon + pos, sizeof(canon) - pos, "%s%s=%llu", i ? "," : "",
		                        opts[i].name, *field(&got, i));
	struct bst_options again;
	bst_options_defaults(&again);
	saved = capture_begin();
	bst_options_parse(&again, canon, secure);
	capture_end(saved, out, cap);
	if (memcmp(&again, &got, sizeof(got)) != 0)
		fail("the canonical spelling of the result does not parse back to it", input);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* BASTION_OPTIONS is a C string: it ends at the first NUL. */
	size_t n = strnlen((const char *)data, size);
	char *input = malloc(n + 1);
	if (!input)
		return 0;
	memcpy(input, data, n);
	input[n] = 0;
	check_parse(input, n, false);
	check_parse(input, n, true);
	free(input);
	return 0;
}
