/*
 * Prints the table of runtime options, generated from src/options.def (the
 * same X-macro list that gives the parser and the defaults), so the docs
 * cannot drift from the code:
 *
 *   gen-options --markdown   the table in docs/usage.md
 *   gen-options --roff       the .TP list in man/bastion.3
 *   gen-options --errors-markdown, --errors-roff
 *                            the report kinds (src/errors.def), the same two ways
 *
 * A build-time host tool, never installed. tools/update-options-doc puts
 * its output between the marker lines of both files; the options_doc test
 * fails when what is there differs.
 *
 * Rendering is deterministic. Sizes (options of type size) show as KiB/MiB/GiB in Markdown and with
 * the k/m/g suffix the parser accepts in roff, when the value is an exact multiple; every other
 * value is plain decimal. The "looser" expression is printed as written, with v spelled "value" and
 * || and && spelled "or" and "and": such values weaken a protection, and a privileged process
 * (AT_SECURE: setuid, setgid, file capabilities) refuses them, which both tables say.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name, *type;
	unsigned long long def, min, max;
	const char *looser, *doc;
	const char *const *words; /* a word option's value names, or NULL */
} opts[] = {
#define BST_OPTION(name, type, def, min, max, looser, doc)                                         \
	{#name, #type, def, min, max, #looser, doc, BST_WORDS_OF(type, name)},
#include "options.def"
#undef BST_OPTION
};
#define NOPT (sizeof(opts) / sizeof(opts[0]))

static const struct {
	const char *name, *settings, *doc;
} profiles[] = {
#define BST_PROFILE(name, settings, doc) {#name, settings, doc},
#include "options.def"
#undef BST_PROFILE
};
#define NPROFILE (sizeof(profiles) / sizeof(profiles[0]))

static const struct {
	const char *name, *meaning, *look;
} errs[] = {
#define BST_ERROR(id, name, meaning, look) {name, meaning, look},
#include "errors.def"
#undef BST_ERROR
};
#define NERR (sizeof(errs) / sizeof(errs[0]))

/* Options are looked up by name in the printers below. */
static bool is_size(const char *name)
{
	for (size_t i = 0; i < NOPT; i++)
		if (strcmp(opts[i].name, name) == 0)
			return strcmp(opts[i].type, "size") == 0;
	return false;
}

/* The largest of KiB, MiB, GiB that divides v exactly (0 if none). */
static unsigned unit_shift(unsigned long long v)
{
	for (unsigned shift = 30; shift >= 10; shift -= 10)
		if (v != 0 && v % (1ull << shift) == 0)
			return shift;
	return 0;
}

/* A word option's value names, or NULL. */
static const char *const *words_of(const char *name)
{
	for (size_t i = 0; i < NOPT; i++)
		if (strcmp(opts[i].name, name) == 0)
			return opts[i].words;
	return NULL;
}

/* v as the docs show it: "1 MiB" for sizes, a word option's name, decimal
 * otherwise. */
static void print_human(const char *name, unsigned long long v)
{
	const char *const *words = words_of(name);
	if (words) {
		fputs(words[v], stdout);
		return;
	}
	unsigned shift = is_size(name) ? unit_shift(v) : 0;
	if (shift)
		printf("%llu %s", v >> shift, shift == 30 ? "GiB" : shift == 20 ? "MiB" : "KiB");
	else
		printf("%llu", v);
}

/* v as BASTION_OPTIONS would spell it: "1m" for sizes, a word option's
 * name, decimal otherwise. */
static void print_value(const char *name, unsigned long long v)
{
	const char *const *words = words_of(name);
	if (words) {
		fputs(words[v], stdout);
		return;
	}
	unsigned shift = is_size(name) ? unit_shift(v) : 0;
	if (shift)
		printf("%llu%c", v >> shift, shift == 30 ? 'g' : shift == 20 ? 'm' : 'k');
	else
		printf("%llu", v);
}

static bool is_ident(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* The looser expression in words: "value < 256"; "never" for 0. */
static void print_looser(const char *e)
{
	if (strcmp(e, "0") == 0) {
		fputs("never", stdout);
		return;
	}
	for (size_t i = 0; e[i]; i++) {
		if (e[i] == 'v' && (i == 0 || !is_ident(e[i - 1])) && !is_ident(e[i + 1])) {
			fputs("value", stdout);
		} else if (strncmp(e + i, "||", 2) == 0) {
			fputs("or", stdout);
			i++;
		} else if (strncmp(e + i, "&&", 2) == 0) {
			fputs("and", stdout);
			i++;
		} else {
			putchar(e[i]);
		}
	}
}

/* Text in a Markdown table cell: a | would end the cell. */
static void print_md_text(const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			putchar('\\');
		putchar(*s);
	}
}

static void markdown(void)
{
	puts("| option | type | default | range | weakens a protection (refused in a privileged "
	     "process) "
	     "when | meaning |");
	puts("|---|---|---|---|---|---|");
	for (size_t i = 0; i < NOPT; i++) {
		printf("| `%s` | %s | ", opts[i].name, opts[i].type);
		print_human(opts[i].name, opts[i].def);
		fputs(" | ", stdout);
		if (opts[i].words) {
			for (unsigned long long v = opts[i].min; v <= opts[i].max; v++)
				printf("%s%s", v == opts[i].min ? "" : " or ", opts[i].words[v]);
		} else if (opts[i].min == 0 && opts[i].max == 1) {
			fputs("0 or 1", stdout);
		} else {
			print_human(opts[i].name, opts[i].min);
			fputs(" .. ", stdout);
			print_human(opts[i].name, opts[i].max);
		}
		fputs(" | ", stdout);
		print_looser(opts[i].looser);
		fputs(" | ", stdout);
		print_md_text(opts[i].doc);
		puts(" |");
	}
	puts("");
	puts("| profile | sets | meaning |");
	puts("|---|---|---|");
	for (size_t i = 0; i < NPROFILE; i++) {
		printf("| `profile=%s` | `%s` | ", profiles[i].name, profiles[i].settings);
		print_md_text(profiles[i].doc);
		puts(" |");
	}
}

/* Text on a roff line of its own: a leading . or ' would be a request, a
 * backslash an escape. */
static void print_roff_text(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else
			putchar(*s);
	}
	putchar('\n');
}

static void roff(void)
{
	for (size_t i = 0; i < NOPT; i++) {
		printf(".TP\n.B %s=", opts[i].name);
		print_value(opts[i].name, opts[i].def);
		putchar('\n');
		print_roff_text(opts[i].doc);
		if (strcmp(opts[i].looser, "0") != 0) {
			fputs(".br\nWeakens a protection, and is refused in a privileged process, "
			      "when ",
			      stdout);
			print_looser(opts[i].looser);
			puts(".");
		}
	}
	for (size_t i = 0; i < NPROFILE; i++) {
		printf(".TP\n.B profile=%s\n", profiles[i].name);
		print_roff_text(profiles[i].doc);
		fputs(".br\nSets ", stdout);
		print_roff_text(profiles[i].settings);
		puts(".br\nApplied before every other setting, which can change any of them.");
	}
}

static void errors_markdown(void)
{
	puts("| kind | meaning | what to look for |");
	puts("|---|---|---|");
	for (size_t i = 0; i < NERR; i++) {
		printf("| `%s` | ", errs[i].name);
		print_md_text(errs[i].meaning);
		fputs(" | ", stdout);
		print_md_text(errs[i].look);
		puts(" |");
	}
}

static void errors_roff(void)
{
	for (size_t i = 0; i < NERR; i++) {
		fputs(".TP\n.B ", stdout);
		for (const char *c = errs[i].name; *c; c++)
			fputs(*c == '-' ? "\\-" : (char[]){*c, 0}, stdout);
		putchar('\n');
		print_roff_text(errs[i].meaning);
		fputs(".br\nLook for: ", stdout);
		print_roff_text(errs[i].look);
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--markdown") == 0)
		markdown();
	else if (argc == 2 && strcmp(argv[1], "--roff") == 0)
		roff();
	else if (argc == 2 && strcmp(argv[1], "--errors-markdown") == 0)
		errors_markdown();
	else if (argc == 2 && strcmp(argv[1], "--errors-roff") == 0)
		errors_roff();
	else {
		fprintf(stderr,
		        "usage: %s --markdown | --roff | --errors-markdown | --errors-roff\n",
		        argv[0]);
		return 2;
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
