/*
 * Leak through a stale pointer after realloc: a block holding a secret is
 * grown (or shrunk across the small/large boundary) with realloc, which
 * moves it; the old address is then read, as a program that kept the old
 * pointer would. It must not show the secret.
 *
 * EXPECT: defend
 *
 * Reading the old address may fault, and a fault is also a defence (the
 * stale pointer cannot be used to read anything). So each read is done in
 * a fork()ed child: the child exits 1 if it saw the secret and 0 if not,
 * and a child killed by SIGSEGV or SIGBUS counts as defended. Under
 * bastion the old small chunk was wiped with zeros when realloc freed it,
 * and an old large block is PROT_NONE or unmapped, so either way the
 * secret cannot be read, whatever the layout. A case where realloc did not
 * move the block cannot leak and is skipped.
 */
#define _GNU_SOURCE
#include "attack.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECRET 0x5ec2e75ec2e75ec2ull

/* 1 if the secret was readable at old, 0 if not (zeros, other data, or a
 * fault). */
static int leaks(const uint64_t *old, size_t bytes)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		exit(2);
	if (pid == 0) {
		const volatile uint64_t *w = old;
		for (size_t k = 0; k < bytes / 8; k++)
			if (w[k] == SECRET)
				_exit(1);
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		exit(2);
	if (WIFEXITED(st))
		return WEXITSTATUS(st) == 1;
	if (WIFSIGNALED(st) && (WTERMSIG(st) == SIGSEGV || WTERMSIG(st) == SIGBUS))
		return 0;
	exit(2);
}

int main(void)
{
	static const size_t cases[][2] = {
	    {48, 4000},        /* small to a bigger small class */
	    {1000, 50000},     /* small to the largest small classes */
	    {5000, 200000},    /* small to large */
	    {100000, 1000000}, /* large to large (bastion moves the pages) */
	    {200000, 100},     /* large to small */
	};
	int moved = 0;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t from = cases[c][0], to = cases[c][1];
		uint64_t *p = escape(malloc(from));
		if (!p)
			return 2;
		for (size_t k = 0; k < from / 8; k++)
			p[k] = SECRET;
		uint64_t *old = escape(p);
		uint64_t *q = escape(realloc(p, to));
		if (!q)
			return 2;
		if (q != old) {
			moved++;
			if (leaks(old, from))
				attack_won("the old address still shows the secret after realloc");
		}
		/* Keep q: freeing it could hand the old memory back for reuse. */
	}
	fprintf(stderr, "%d of %d reallocs moved the block\n", moved,
	        (int)(sizeof(cases) / sizeof(cases[0])));
	defended("the old address of a moved block never showed the secret");
}
