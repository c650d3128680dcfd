/*
 * Faults that name themselves (src/fault.c), and the backtrace option's
 * stack after a report line. A fault on one of bastion's
 * guard pages or inaccessible blocks prints one "bastion: <kind>:" line
 * and the process still dies of the original signal; any other fault
 * prints nothing of bastion's; fault_reports=0 prints nothing. Each case
 * runs in a child. Linked with libbastion.so (the handler is the
 * process allocator's); sampling is off so blocks are what they seem.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bastion.h"
#include "check.h"
#include "child.h"

static void *volatile keep;
static volatile size_t zero_size = 0;

/* Hides p from the compiler's bounds warnings. */
static volatile char *hide(void *p)
{
	keep = p;
	return (volatile char *)keep;
}

static void expect(const char *name, void (*fn)(void), const char *options, int sig,
                   const char *want)
{
	struct child c;
	child_run(&c, NULL, name, options);
	bool died = child_signalled(&c, sig);
	bool said = want ? strstr(c.err, want) != NULL : !child_reported(&c);
	CHECK_MSG(died && said, "%s: status %#x, stderr \"%s\", want signal %d and %s\"%s\"", name,
	          c.status, c.err, sig, want ? "" : "nothing like ", want ? want : "bastion: ");
	(void)fn;
}

static void c_large_end(void)
{
	hide(malloc(200000))[200000] = 1; /* the guard page */
}

static void c_large_before(void)
{
	hide(malloc(200000))[-4096] = 1; /* head slack, then the guard page */
}

static void c_large_freed(void)
{
	char *p = malloc(200000);
	free(p);
	(void)hide(p)[100];
}

static void c_zero(void)
{
	hide(malloc(zero_size))[0] = 1;
}

static void c_zone_far(void)
{
	hide(malloc(16))[1 << 20] = 1; /* past the zone's window */
}

/* Whether the byte at p can be read, found without touching it: write(2)
 * from an inaccessible address fails with EFAULT. */
static bool readable(const void *p)
{
	int fd[2];
	char b;
	if (pipe(fd) != 0)
		return true;
	bool ok = write(fd[1], p, 1) == 1 && read(fd[0], &b, 1) == 1;
	close(fd[0]);
	close(fd[1]);
	return ok;
}

/* A write into a canary chunk of 20480 bytes (five pages: its inner pages
 * are a guard). The zone's first window is 64 chunks and holds at least
 * one canary chunk; the inaccessible page inside the window is its. */
static void c_canary_guard(void)
{
	uintptr_t p = (uintptr_t)malloc(20000), zone = p & ~(((uintptr_t)4 << 20) - 1);
	for (uintptr_t j = 0; j < 64; j++) {
		uintptr_t page = (zone + j * 20480 + 4095) & ~(uintptr_t)4095;
		if (!readable((const void *)page))
			hide((void *)page)[0] = 1;
	}
}

static void c_null(void)
{
	volatile char *p = (volatile char *)(uintptr_t)keep;
	p[8] = 1;
}

static void c_double_free(void)
{
	void *p = (void *)(uintptr_t)hide(malloc(32));
	free(p);
	free((void *)(uintptr_t)hide(p));
}

/* The program's own SIGSEGV handler, installed after bastion started:
 * it runs after bastion's line, once (SA_RESETHAND), then the fault
 * happens again with the default action. */
static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	static const char m[] = "program handler ran\n";
	ssize_t w = write(STDERR_FILENO, m, sizeof(m) - 1);
	(void)w;
}

static void c_late_handler(void)
{
	free(malloc(1)); /* bastion has started */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		return;
	hide(malloc(200000))[200000] = 1;
}

static void on_segv_plain(int sig)
{
	(void)sig;
}

/* What the program is told about SIGSEGV's handler is what it would be
 * told without bastion: the default first, then its own. Ends in a fault
 * with the default action, after "query ok" if every answer was right. */
static void c_query(void)
{
	free(malloc(1));
	struct sigaction old, sa;
	bool ok = sigaction(SIGSEGV, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
	          old.sa_handler == SIG_DFL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv_plain;
	sigemptyset(&sa.sa_mask);
	ok = ok && sigaction(SIGSEGV, &sa, NULL) == 0;
	ok = ok && sigaction(SIGSEGV, NULL, &old) == 0 && old.sa_handler == on_segv_plain;
	ok = ok && signal(SIGSEGV, SIG_DFL) == on_segv_plain;
	ok = ok && signal(SIGSEGV, SIG_DFL) == SIG_DFL;
	/* Other signals are glibc's business. */
	ok = ok && signal(SIGUSR1, on_segv_plain) == SIG_DFL &&
	     signal(SIGUSR1, SIG_DFL) == on_segv_plain;
	if (ok) {
		static const char m[] = "query ok\n";
		ssize_t w = write(STDERR_FILENO, m, sizeof(m) - 1);
		(void)w;
	}
	hide(malloc(200000))[200000] = 1;
}

/* A report made while a zone lock is held (bastion_verify walks a zone
 * under its lock), with a SIGABRT handler that calls exit: the exit check
 * must not wait for that lock. The process ends with the handler's
 * status. */
static void exit_3(int sig)
{
	(void)sig;
	exit(3);
}

static void c_abort_then_exit(void)
{
	signal(SIGABRT, exit_3);
	char *p = malloc(64);
	free(p);
	hide(p)[5] = 'x';
	bastion_verify();
}

/* SIG_IGN set with SA_SIGINFO is still "ignore": a sent SIGBUS is ignored. */
static void c_ignored_siginfo(void)
{
	free(malloc(1));
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) != 0)
		exit(4);
	kill(getpid(), SIGBUS);
	exit(0);
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
    {"large_end", c_large_end},
    {"large_before", c_large_before},
    {"large_freed", c_large_freed},
    {"zero", c_zero},
    {"zone_far", c_zone_far},
    {"canary_guard", c_canary_guard},
    {"null", c_null},
    {"double_free", c_double_free},
    {"late_handler", c_late_handler},
    {"query", c_query},
    {"abort_then_exit", c_abort_then_exit},
    {"ignored_siginfo", c_ignored_siginfo},
};

int main(int argc, char **argv)
{
	if (argc == 2) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (strcmp(argv[1], cases[i].name) == 0)
				cases[i].fn();
		return 0; /* the case did not fault */
	}
	const char *o = "sample_rate=0";
	expect("large_end", c_large_end, o, SIGSEGV,
	       "bastion: heap-overflow: write at byte 0 past the end of a large block");
	expect("large_before", c_large_before, o, SIGSEGV,
	       "bastion: heap-underflow: write at byte 4096 before the start of a large block");
	expect("large_freed", c_large_freed, o, SIGSEGV,
	       "bastion: use-after-free: read at byte 100 of the freed block");
	expect("zero", c_zero, o, SIGSEGV,
	       "bastion: zero-size-access: write at byte 0 of a malloc(0) block");
	expect("zone_far", c_zone_far, o, SIGSEGV, "bastion: heap-overflow: write at byte ");
	expect("canary_guard", c_canary_guard, o, SIGSEGV,
	       "of a canary chunk (an overflow from the chunk before it");
	expect("null", c_null, o, SIGSEGV, NULL);
	expect("large_end", c_large_end, "sample_rate=0,fault_reports=0", SIGSEGV, NULL);
	/* A handler the program installs later runs after bastion's line. */
	expect("late_handler", c_late_handler, o, SIGSEGV,
	       "bastion: heap-overflow: write at byte 0 past the end of a large block");
	expect("late_handler", c_late_handler, o, SIGSEGV, "program handler ran");
	expect("late_handler", c_late_handler, "sample_rate=0,fault_reports=0", SIGSEGV,
	       "program handler ran");
	expect("query", c_query, o, SIGSEGV, "query ok");
	{
		/* The program's handler returned after restoring the default:
		 * the fault comes again, and is described once. */
		struct child c;
		child_run(&c, NULL, "late_handler", o);
		const char *l = strstr(c.err, "bastion: heap-overflow");
		CHECK_MSG(l && !strstr(l + 1, "bastion: heap-overflow"), "described twice: %s",
		          c.err);
		child_run(&c, NULL, "abort_then_exit", o);
		CHECK_MSG(child_exited(&c, 3) && strstr(c.err, "bastion: write-after-free"),
		          "a report under a zone lock, then exit: status %#x, %s", c.status, c.err);
		child_run(&c, NULL, "ignored_siginfo", o);
		CHECK_MSG(child_exited(&c, 0), "SIG_IGN with SA_SIGINFO: status %#x, %s", c.status,
		          c.err);
	}
	expect("query", c_query, "sample_rate=0,fault_reports=0", SIGSEGV, "query ok");
	/* Option backtrace: the report line, then the stack, with free in it. */
	expect("double_free", c_double_free, "sample_rate=0,backtrace=1", SIGABRT,
	       "bastion: double-free: chunk is already free");
	expect("double_free", c_double_free, "sample_rate=0,backtrace=1", SIGABRT, "(free+0x");
	CHECK_DONE();
}
