/*
 * Options baked into a program (bastion_default_options, include/bastion.h):
 * this program defines the function and links libbastion.so, so the linker
 * exports it and bastion finds it at start-up. Each case runs as a fresh
 * process (tests/child.h):
 *   - with no BASTION_OPTIONS the program's options apply (stats_at_exit
 *     in JSON form);
 *   - BASTION_OPTIONS goes on top (stats_format=text);
 *   - the program's weakening value is announced as the program's.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "bastion.h"
#include "check.h"
#include "child.h"

const char *bastion_default_options(void)
{
	return "stats_at_exit=1,stats_format=json,neighbour_checks=0";
}

static void *volatile keep;

static void c_run(void)
{
	for (int i = 0; i < 10; i++)
		keep = malloc(100);
	exit(0);
}

static void expect(const char *options, const char *want, const char *unwanted)
{
	struct child c;
	child_run(&c, NULL, "run", options);
	bool ok = child_exited(&c, 0) && strstr(c.err, want) != NULL &&
	          (!unwanted || strstr(c.err, unwanted) == NULL);
	CHECK_MSG(ok, "BASTION_OPTIONS=%s: status %#x, stderr %s", options ? options : "(unset)",
	          c.status, c.err);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "run") == 0)
		c_run();
	expect(NULL, "{\"format\":\"bastion-stats-1\"", "bastion malloc_stats");
	expect("stats_format=text", "bastion malloc_stats (bastion-1)", "{\"format\"");
	expect(NULL,
	       "bastion: options: protection weakened by the program (bastion_default_options): "
	       "neighbour_checks=0",
	       NULL);
	expect("neighbour_checks=1", "bastion-stats-1", "protection weakened");
	CHECK_DONE();
}
