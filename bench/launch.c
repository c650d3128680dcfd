/*
 * launch: starts one benchmark run for bench/run and reports the run's
 * wall time and peak RSS.
 *   usage: bench_launch FD PRELOAD PROGRAM [ARGS...]
 * Runs PROGRAM with LD_PRELOAD=PRELOAD (unset when PRELOAD is empty),
 * waits for it and writes "seconds=S maxrss_kib=K" to file descriptor FD,
 * then exits as the program did (same status, or the same signal).
 *
 * Why not run the program from Python directly: a process's ru_maxrss
 * starts at the high-water mark of the memory it had before exec. A child
 * that Python forks or vforks execs with the runner's ~18 MiB, which hides
 * every smaller peak. Forked from this small program, the floor is ~1 MiB.
 * The preload is set only for the child so that the launcher itself stays
 * on glibc and is the same for every allocator.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4) {
		fputs("usage: bench_launch FD PRELOAD PROGRAM [ARGS...]\n", stderr);
		return 2;
	}
	int fd = atoi(argv[1]);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		perror("bench_launch: FD");
		return 2;
	}
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench_launch: fork");
		return 126;
	}
	if (pid == 0) {
		if (argv[2][0])
			setenv("LD_PRELOAD", argv[2], 1);
		else
			unsetenv("LD_PRELOAD");
		execvp(argv[3], argv + 3);
		perror("bench_launch: exec");
		_exit(127);
	}
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("bench_launch: wait4");
			return 126;
		}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	dprintf(fd, "seconds=%.6f maxrss_kib=%ld\n", s, ru.ru_maxrss);
	close(fd);
	if (WIFSIGNALED(st)) {
		/* die the same way, without a core file of our own */
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return WEXITSTATUS(st);
}
