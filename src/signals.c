/*
 * sigaction and signal (libbastion.so only), so that a SIGSEGV or SIGBUS
 * handler the program installs after bastion started does not silently
 * replace bastion's fault handler (fault.c): for those two signals the
 * handler is recorded as the program's, bastion's stays installed and
 * calls it after its report line, and the program is told what it would
 * have been told without bastion (the handler it installed last, or the
 * one in place before bastion started). Every other call goes to glibc's
 * function unchanged, as do all calls when fault_reports=0.
 *
 * Not covered: a handler installed with the rt_sigaction system call
 * directly (some language runtimes do), or through sigset, sysv_signal or
 * bsd_signal; those replace bastion's handler as before.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "internal.h"

/* glibc's function behind ours: kept in the read-only globals once
 * bastion has started (copy.c looks it up); a call before that (from a
 * constructor that runs before bastion's) starts bastion first. */
static void *glibc_fn(void *const *slot, const char *name)
{
	if (!*slot && !bst_ready())
		bst_ensure_init();
	return *slot ? *slot : dlsym(RTLD_NEXT, name);
}

BST_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!bst_ready() && (sig == SIGSEGV || sig == SIGBUS))
		bst_ensure_init(); /* so that the handler is recorded as the program's */
	if (bst_ready() && bst_fault_sigaction(sig, act, old))
		return 0;
	int (*real)(int, const struct sigaction *, struct sigaction *) =
	    glibc_fn((void *const *)&bst_g.libc.sigaction, "sigaction");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(sig, act, old);
}

BST_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	if (!bst_ready() && (sig == SIGSEGV || sig == SIGBUS))
		bst_ensure_init();
	if (handler == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	if (bst_ready() && (sig == SIGSEGV || sig == SIGBUS)) {
		/* glibc's signal: BSD semantics, the signal blocked in its
		 * handler, interrupted calls restarted. */
		struct sigaction act, old;
		memset(&act, 0, sizeof(act));
		act.sa_handler = handler;
		sigemptyset(&act.sa_mask);
		sigaddset(&act.sa_mask, sig);
		act.sa_flags = SA_RESTART;
		if (bst_fault_sigaction(sig, &act, &old))
			return old.sa_handler;
	}
	sighandler_t (*real)(int, sighandler_t) =
	    glibc_fn((void *const *)&bst_g.libc.signal, "signal");
	if (!real) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	return real(sig, handler);
}
