/*
 * A program built against an installed bastion (tests/install_test.sh
 * builds it four ways: CMake package and pkg-config, shared and static).
 * It passes only if its own malloc is bastion's, not glibc's, which is the
 * point of linking bastion. Usage: consumer LABEL
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bastion.h>

/* bastion's bounds are byte-exact: malloc_usable_size gives the requested
 * size, so malloc(1) has 1 usable byte (glibc's has 24). Tried a few times,
 * as a check that cannot pass by chance under another allocator. */
static int usable_size_is_bastions(void)
{
	size_t want = 1;
	for (int i = 0; i < 4; i++) {
		void *p = malloc(1);
		size_t got = malloc_usable_size(p);
		free(p);
		if (got == want)
			return 1;
		fprintf(stderr, "consumer: malloc_usable_size(malloc(1)) = %zu, want %zu\n", got,
		        want);
	}
	return 0;
}

/* A double free must end the process with bastion's report. In a child, so
 * this process lives on; stderr goes to a pipe to read the report back. */
static int double_free_is_caught(void)
{
	int fd[2];
	if (pipe(fd) != 0)
		return 0;
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core); /* the abort is expected */
		dup2(fd[1], STDERR_FILENO);
		close(fd[0]);
		/* volatile: the compiler may neither see nor drop the bug. */
		char *volatile p = malloc(32);
		free(p);
		free(p);
		_exit(0);
	}
	close(fd[1]);
	char buf[4096];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(buf) - 1 && (r = read(fd[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(fd[0]);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return 0;
	const char *kind = "bastion: double-free";
	int reported = strncmp(buf, kind, strlen(kind)) == 0;
	for (const char *nl = strchr(buf, '\n'); !reported && nl; nl = strchr(nl + 1, '\n'))
		reported = strncmp(nl + 1, kind, strlen(kind)) == 0;
	if (!reported || !WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
		fprintf(stderr, "consumer: double free: status %#x, stderr '%s'\n", status, buf);
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	const char *label = argc > 1 ? argv[1] : "consumer";
	/* The prefixed API from the installed header links too. */
	void *q = bastion_malloc(100);
	int ok = q != NULL;
	bastion_free(q);
	ok = usable_size_is_bastions() && ok;
	ok = double_free_is_caught() && ok;
	printf("%s: %s\n", label, ok ? "malloc is bastion's" : "FAIL");
	return ok ? 0 : 1;
}
