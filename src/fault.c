/*
 * Faults that name themselves. bastion stops many bugs with the MMU: guard
 * pages after large and sampled blocks and around zones, freed sampled and
 * large blocks made inaccessible, the part of a zone past its window, and
 * malloc(0) chunks. The kernel reports those as a bare SIGSEGV. This
 * handler looks at the faulting address first: if it is one of bastion's,
 * it prints one line,
 *
 *     bastion: <kind>: <read|write> at byte <n> <where> ptr=<block> size-class=N
 *
 * and then lets the fault happen as it would have: with the default
 * action restored it returns, the instruction faults again, and core
 * dumps, debuggers and fuzzers see the original crash. The program's own
 * handler, if it has one, is called instead of the default, with the mask
 * and flags it asked for. Everything here is async-signal-safe: no
 * allocation, no lock it waits for, one write(2).
 *
 * The program's handler: the one installed before bastion started, or one
 * it installs later. libbastion.so exports sigaction and signal
 * (signals.c): for SIGSEGV and SIGBUS they record the program's handler
 * here and report the one it would see without bastion, and this handler
 * stays installed, so a crash handler (python's faulthandler, say) still
 * runs, after bastion's line. Option fault_reports=0 leaves the signals
 * alone.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "internal.h"

/* The handler the program believes installed, per signal (0: SIGSEGV, 1:
 * SIGBUS), in two slots: a change writes the other slot under the lock,
 * then switches cur, so the signal handler, which takes no lock, reads a
 * whole one. */
static struct sigaction prog[2][2];
static _Atomic unsigned prog_cur[2];
static bst_lock_t prog_lock;
static _Atomic bool hooked; /* our handler is installed */

static int sig_index(int sig)
{
	return sig == SIGSEGV ? 0 : sig == SIGBUS ? 1 : -1;
}

/* glibc's sigaction: in libbastion.so the name sigaction is signals.c's. */
static int real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return bst_g.libc.sigaction ? bst_g.libc.sigaction(sig, act, old)
	                            : sigaction(sig, act, old);
}

static void prog_set(int k, const struct sigaction *act)
{
	unsigned cur = atomic_load_explicit(&prog_cur[k], memory_order_relaxed);
	prog[k][cur ^ 1] = *act;
	atomic_store_explicit(&prog_cur[k], cur ^ 1, memory_order_release);
}

bool bst_fault_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	int k = sig_index(sig);
	if (k < 0 || !atomic_load_explicit(&hooked, memory_order_acquire))
		return false;
	bst_lock(&prog_lock);
	if (old)
		*old = prog[k][atomic_load_explicit(&prog_cur[k], memory_order_relaxed)];
	if (act)
		prog_set(k, act);
	bst_unlock(&prog_lock);
	return true;
}

static const char *access_word(void *uc)
{
#if defined(__x86_64__)
	/* Bit 1 of the page-fault error code: the access was a write. */
	const ucontext_t *u = uc;
	return (u->uc_mcontext.gregs[REG_ERR] & 2) ? "write" : "read";
#else
	(void)uc;
	return "access";
#endif
}

/* "<what> at byte <n><where><of>", into msg. */
static void say(char *msg, size_t cap, const char *what, size_t n, const char *where,
                const char *of)
{
	size_t k = 0;
	k = bst_append(msg, k, cap - 1, what);
	k = bst_append(msg, k, cap - 1, " at byte ");
	k = bst_append_dec(msg, k, cap - 1, n);
	k = bst_append(msg, k, cap - 1, where);
	k = bst_append(msg, k, cap - 1, of);
	msg[k] = 0;
}

static bool describe_large(uintptr_t a, const char *what)
{
	bst_large_fault_t f;
	if (!bst_large_describe(a, &f))
		return false;
	char msg[200];
	const char *of = f.sampled ? " of a sampled block" : " of a large block";
	if (f.freed) {
		bool before = a < f.block;
		say(msg, sizeof(msg), what, before ? f.block - a : a - f.block,
		    before ? " before the start of the freed block" : " of the freed block", "");
		bst_report(BST_E_USE_AFTER_FREE, msg, (void *)f.block, f.usable);
	} else if (a >= f.block && a < f.block + f.usable) {
		return false; /* inside a live block: not a fault of bastion's making */
	} else if (a < f.block) {
		say(msg, sizeof(msg), what, f.block - a, " before the start", of);
		bst_report(BST_E_HEAP_UNDERFLOW, msg, (void *)f.block, f.usable);
	} else {
		say(msg, sizeof(msg), what, a - (f.block + f.usable), " past the end", of);
		bst_report(BST_E_HEAP_OVERFLOW, msg, (void *)f.block, f.usable);
	}
	return true;
}

static bool describe_zone(uintptr_t a, const char *what)
{
	if (a - bst_g.region >= bst_g.region_size)
		return false;
	const bst_zone_t *z = &bst_g.zones[(a - bst_g.region) >> BST_ZONE_SHIFT];
	char msg[200];
	if (!atomic_load_explicit(&z->active, memory_order_acquire)) {
		say(msg, sizeof(msg), what, a & (BST_ZONE_SIZE - 1),
		    " of an unused zone slot: a wild pointer", "");
		bst_report(BST_E_WILD_ACCESS, msg, (void *)a, 0);
		return true;
	}
	uintptr_t off = a - z->user;
	if (z->cls == 0 && off < BST_ZONE_USER) {
		uintptr_t q = z->user + (uintptr_t)bst_chunk_index(z, off) * z->size;
		say(msg, sizeof(msg), what, a - q, " of a malloc(0) block", "");
		bst_report(BST_E_ZERO_SIZE_ACCESS, msg, (void *)q, 0);
		return true;
	}
	/* Past the window (or on the guard page after the zone): an overflow
	 * from below, most likely from the window's last chunks. A fault
	 * inside the window is a protected private zone's: not described. */
	uint32_t frontier = atomic_load_explicit(&z->frontier, memory_order_relaxed);
	uintptr_t end = z->user + bst_zone_committed_bytes(z->size, frontier);
	if (a < end)
		return false;
	say(msg, sizeof(msg), what, a - end,
	    " past the used part of a zone (an overflow, or a pointer to a freed chunk whose "
	    "pages were given back)",
	    "");
	bst_report(BST_E_HEAP_OVERFLOW, msg, (void *)end, z->size);
	return true;
}

/* Calls the program's handler h for this signal as the kernel would
 * have: its mask blocked (and the signal too, unless SA_NODEFER), reset to
 * the default first with SA_RESETHAND. */
static void call_program(int k, const struct sigaction *h, int sig, siginfo_t *si, void *uc)
{
	if (h->sa_flags & SA_RESETHAND) {
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		prog_set(k, &dfl);
	}
	sigset_t mask = h->sa_mask, saved;
	if (h->sa_flags & SA_NODEFER)
		sigdelset(&mask, sig);
	else
		sigaddset(&mask, sig);
	pthread_sigmask(SIG_BLOCK, &mask, &saved);
	if (h->sa_flags & SA_NODEFER) {
		sigset_t self;
		sigemptyset(&self);
		sigaddset(&self, sig);
		pthread_sigmask(SIG_UNBLOCK, &self, NULL);
	}
	if (h->sa_flags & SA_SIGINFO)
		h->sa_sigaction(sig, si, uc);
	else
		h->sa_handler(sig);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	/* A fault of the MMU, not a kill(2) of the signal. */
	if (si->si_code > 0 && bst_ready()) {
		uintptr_t a = (uintptr_t)si->si_addr;
		const char *what = access_word(uc);
		if (!describe_zone(a, what))
			describe_large(a, what);
	}
	int k = sig_index(sig);
	struct sigaction h = prog[k][atomic_load_explicit(&prog_cur[k], memory_order_acquire)];
	bool ign = !(h.sa_flags & SA_SIGINFO) && h.sa_handler == SIG_IGN;
	bool dfl = !(h.sa_flags & SA_SIGINFO) && h.sa_handler == SIG_DFL;
	if (ign && si->si_code <= 0) {
		/* A sent signal the program chose to ignore: still ignored. */
	} else if (!ign && !dfl && h.sa_sigaction) {
		call_program(k, &h, sig, si, uc);
	} else {
		/* The default action, for the fault that happens again when we
		 * return (or, for a sent signal, when it is unblocked). An
		 * ignored fault is not ignored by the kernel either. From here
		 * on the program sees the default as installed, which it is. */
		struct sigaction d;
		memset(&d, 0, sizeof(d));
		d.sa_handler = SIG_DFL;
		atomic_store_explicit(&hooked, false, memory_order_release);
		real_sigaction(sig, &d, NULL);
		if (si->si_code <= 0)
			raise(sig);
	}
	errno = saved;
}

void bst_fault_init(void)
{
	if (!bst_g.opt.fault_reports)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	real_sigaction(SIGSEGV, &sa, &prog[0][0]);
	real_sigaction(SIGBUS, &sa, &prog[1][0]);
	atomic_store_explicit(&hooked, true, memory_order_release);
}
