/*
 * Heap address entropy: the program runs itself RUNS times (fork + exec of
 * /proc/self/exe) and each run prints the address of its first malloc(64).
 * Defended if at least 30 of the 32 addresses are distinct.
 *
 * EXPECT: defend
 *
 * Note: ASLR alone randomizes the base of glibc's heap (and of every
 * mmap), so glibc and most allocators pass this too unless ASLR is off
 * (setarch -R). bastion draws its zone region, the zone slot and the chunk
 * from its own ChaCha20 generator, so it passes even without ASLR.
 *
 * Threshold: the region base alone takes one of 16 million 4 MiB-aligned
 * places, the zone one of 16384 slots and the chunk one of at least 64, so
 * two runs collide with probability below 1e-12; three collisions among 32
 * runs are needed to fail.
 */
#define _GNU_SOURCE
#include "attack.h"

#include <sys/wait.h>
#include <unistd.h>

#define RUNS 32

static int child_mode(void)
{
	void *a = escape(malloc(64));
	printf("%lu\n", (unsigned long)(uintptr_t)a);
	return 0;
}

/* Runs this program in child mode and returns the number it prints. */
static unsigned long run_child(const char *argv0)
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
	return strtoul(buf, NULL, 10);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child_mode();
	unsigned long v[RUNS];
	int distinct = 0;
	for (int i = 0; i < RUNS; i++) {
		v[i] = run_child(argv[0]);
		int seen = 0;
		for (int k = 0; k < i; k++)
			seen |= v[k] == v[i];
		distinct += !seen;
	}
	fprintf(stderr, "%d distinct first addresses in %d runs\n", distinct, RUNS);
	if (distinct < 30)
		attack_won("the first heap address repeats from run to run");
	defended("the first heap address changes from run to run");
}
