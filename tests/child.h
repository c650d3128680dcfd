/* Running a case in a child process for bastion's tests: the child's
 * stderr captured, no core dump, a 20 s alarm, and its end status kept. A
 * case that should crash or abort the process runs here, so the test can
 * look at how it ended and what bastion printed. */
#ifndef BST_TEST_CHILD_H
#define BST_TEST_CHILD_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct child {
	int status;     /* as waitpid gives it */
	char err[8192]; /* the child's stderr, cut to fit */
};

/* Runs fn in a forked child, or, with exec_case non-NULL, this program
 * again as "/proc/self/exe exec_case" with BASTION_OPTIONS=options (a
 * fresh process, so bastion starts with those options). fn returning, or
 * the program's main returning, ends the child with status 0. */
__attribute__((unused)) static void child_run(struct child *c, void (*fn)(void),
                                              const char *exec_case, const char *options)
{
	fflush(stdout);
	fflush(stderr);
	c->status = -1;
	c->err[0] = 0;
	int fds[2];
	if (pipe(fds) != 0)
		return;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		alarm(20);
		if (exec_case) {
			if (options)
				setenv("BASTION_OPTIONS", options, 1);
			char *argv[] = {"/proc/self/exe", (char *)exec_case, NULL};
			execv(argv[0], argv);
			_exit(3);
		}
		fn();
		_exit(0);
	}
	close(fds[1]);
	/* Read to the end (past a full buffer too, so the child never blocks
	 * on the pipe). */
	size_t len = 0;
	char spill[512];
	for (;;) {
		bool full = len == sizeof(c->err) - 1;
		ssize_t r = full ? read(fds[0], spill, sizeof(spill))
		                 : read(fds[0], c->err + len, sizeof(c->err) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (!full)
			len += (size_t)r;
	}
	c->err[len] = 0;
	close(fds[0]);
	while (waitpid(pid, &c->status, 0) < 0 && errno == EINTR)
		;
}

__attribute__((unused)) static bool child_signalled(const struct child *c, int sig)
{
	return c->status != -1 && WIFSIGNALED(c->status) && WTERMSIG(c->status) == sig;
}

__attribute__((unused)) static bool child_exited(const struct child *c, int code)
{
	return c->status != -1 && WIFEXITED(c->status) && WEXITSTATUS(c->status) == code;
}

/* Whether the child printed a report line (options notices aside). */
__attribute__((unused)) static bool child_reported(const struct child *c)
{
	for (const char *l = c->err; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, "bastion: ", 9) == 0 && strncmp(l, "bastion: options: ", 18) != 0)
			return true;
	return false;
}

#endif
