/*
 * cxx_new_free: memory from operator new released with free().
 *
 * Two cases, both must be stopped:
 *  1. plain `new Widget` (a class object) then free(), in a forked child;
 *  2. `new int[16]` then free(), in the process itself.
 * bastion marks how each block was allocated (the kind is folded into its
 * canary), so free() of a new/new[] block is told apart from an overflow.
 * The child must die by SIGABRT, and if it printed a bastion report that
 * report must be an alloc-dealloc-mismatch; then the parent's own
 * mismatch ends the program. Deterministic.
 *
 * EXPECT: abort:alloc-dealloc-mismatch
 */
#include "attack.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

struct Widget {
	int values[12];
	Widget()
	{
		for (int i = 0; i < 12; i++)
			values[i] = i;
	}
};

__attribute__((noinline)) static void free_class_object()
{
	Widget *w = new Widget;
	free(escape(w));
	attack_won("free() of an object from plain operator new was accepted");
}

int main()
{
	int fds[2];
	if (pipe(fds) != 0)
		return 2;
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		free_class_object();
	}
	close(fds[1]);
	char buf[4096];
	size_t len = 0;
	ssize_t r;
	while ((r = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = '\0';
	close(fds[0]);
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		return 2;
	bool reported = strstr(buf, "bastion: ") != NULL;
	bool right_kind = strstr(buf, "bastion: alloc-dealloc-mismatch:") != NULL;
	/* Echo the child's stderr with its report defused ("bastion> "), so
	 * that only the parent's own report can match "bastion: <kind>:". */
	for (char *s = strstr(buf, "bastion: "); s; s = strstr(s, "bastion: "))
		s[7] = '>';
	fprintf(stderr, "child (new Widget, free): %s", len ? buf : "(no output)\n");
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		attack_won("free() of a plain new object was not stopped by an abort");
	if (reported && !right_kind)
		attack_won("free() of a plain new object was reported as something else");

	int *a = new int[16];
	for (int i = 0; i < 16; i++)
		a[i] = i;
	free(escape(a));
	attack_won("free() of a block from operator new[] was accepted");
}
