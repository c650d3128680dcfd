/*
 * Predictable offsets between objects: an attacker who leaks one heap
 * address wants to compute another. The program runs itself RUNS times
 * (fork + exec of /proc/self/exe, so each run is a fresh process with its
 * own ASLR and allocator seed); each run prints b - a for a = malloc(64)
 * and b = malloc(1000) made one after the other. With a deterministic heap
 * layout the offset is the same in every run even under ASLR (glibc: one
 * value). Defended if the runs give at least 8 distinct offsets.
 *
 * EXPECT: defend
 *
 * Threshold: under bastion the two blocks come from two zones, each at a
 * random one of 16384 slots, at random chunks in them, so two runs give the
 * same offset with probability well below 1e-6; 16 runs giving fewer than
 * 8 distinct values would need at least 9 such coincidences.
 */
#define _GNU_SOURCE
#include "attack.h"

#include <sys/wait.h>
#include <unistd.h>

#define RUNS 16

static int child_mode(void)
{
	char *a = escape(malloc(64));
	char *b = escape(malloc(1000));
	printf("%ld\n", (long)((intptr_t)b - (intptr_t)a));
	return 0;
}

/* Runs this program in child mode and returns the number it prints. */
static long run_child(const char *argv0)
{
	int fd[2];
	if (pipe(fd) != 0)
		exit(2);
	pid_t pid = fork();
	if (pid < 0)
		exit(2);
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		char *args[] = {(char *)argv0, "child", NULL};
		execv("/proc/self/exe", args);
		_exit(127);
	}
	close(fd[1]);
	char buf[64];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(buf) - 1 && (r = read(fd[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(fd[0]);
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || n == 0)
		exit(2);
	return strtol(buf, NULL, 10);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child_mode();
	long v[RUNS];
	int distinct = 0;
	for (int i = 0; i < RUNS; i++) {
		v[i] = run_child(argv[0]);
		int seen = 0;
		for (int k = 0; k < i; k++)
			seen |= v[k] == v[i];
		distinct += !seen;
	}
	fprintf(stderr, "%d distinct offsets in %d runs (first %ld)\n", distinct, RUNS, v[0]);
	if (distinct < 8)
		attack_won("the offset between consecutive objects is the same from run to run");
	defended("the offset between consecutive objects changes from run to run");
}
