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

#include "chunk.h"

/* The handler the program believes installed, per signal (0: SIGSEGV, 1:
 * SIGBUS). Written under prog_lock with every signal blocked (so no
 * handler of this thread can interrupt the holder), as a seqlock: the
 * signal handler reads without the lock and retries a read that a writer
 * in another thread overlapped. */
static struct sigaction prog[2];
static _Atomic unsigned prog_seq[2]; /* odd while a write is under way */
static bst_lock_t prog_lock;
static _Atomic bool hooked[2]; /* our handler is installed */

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

/* A consistent copy of the program's handler for signal k. */
BST_RACY_READS static struct sigaction prog_get(int k)
{
	struct sigaction h;
	for (;;) {
		unsigned s = atomic_load_explicit(&prog_seq[k], memory_order_acquire);
		if (s & 1)
			continue;
		memcpy(&h, &prog[k], sizeof(h));
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&prog_seq[k], memory_order_relaxed) == s)
			return h;
	}
}

/* Replaces the program's handler for signal k (and gives the old one in
 * *old) under the lock, every signal blocked meanwhile. */
static void prog_swap(int k, const struct sigaction *act, struct sigaction *old)
{
	sigset_t all, saved;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &saved);
	bst_lock(&prog_lock);
	struct sigaction was = prog[k];
	if (act) {
		unsigned s = atomic_load_explicit(&prog_seq[k], memory_order_relaxed);
		atomic_store_explicit(&prog_seq[k], s + 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
		prog[k] = *act;
		atomic_store_explicit(&prog_seq[k], s + 2, memory_order_release);
	}
	bst_unlock(&prog_lock);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (old)
		*old = was;
}

/* Whether bastion's handler is still the kernel's for sig: something may
 * have replaced it with the raw system call (some language runtimes do). */
static void on_fault(int sig, siginfo_t *si, void *uc);
static bool still_ours(int sig)
{
	struct sigaction cur;
	return real_sigaction(sig, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
	       cur.sa_sigaction == on_fault;
}

bool bst_fault_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	int k = sig_index(sig);
	if (k < 0 || !atomic_load_explicit(&hooked[k], memory_order_acquire))
		return false;
	if (!still_ours(sig)) {
		atomic_store_explicit(&hooked[k], false, memory_order_release);
		return false; /* glibc's sigaction installs it, as without bastion */
	}
	prog_swap(k, act, old);
	return true;
}

void bst_fault_atfork_child(void)
{
	/* Only this thread is left: a lock another thread held is free, and
	 * a write it had begun is over (its handler may be half written,
	 * the price of not taking the lock across fork). */
	bst_lock_reset(&prog_lock);
	for (int k = 0; k < 2; k++) {
		unsigned s = atomic_load_explicit(&prog_seq[k], memory_order_relaxed);
		atomic_store_explicit(&prog_seq[k], (s + 1) & ~1u, memory_order_relaxed);
	}
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
	if (a < end) {
		/* Inside a canary chunk's guard: most likely an overflow from
		 * the chunk below, or a wild pointer. A fault anywhere else in
		 * the window is a protected private zone's: not described. */
		uint32_t i = bst_chunk_index(z, off);
		uintptr_t q = z->user + (uintptr_t)i * z->size, lo, hi;
		if (i >= frontier || bst_state_get(z, i) != BST_STATE_CANARY ||
		    !bst_canary_guard(z, q, &lo, &hi) || a < lo || a >= hi)
			return false;
		say(msg, sizeof(msg), what, a - q,
		    " of a canary chunk (an overflow from the chunk before it, or a wild pointer)",
		    "");
		bst_report(BST_E_HEAP_OVERFLOW, msg, (void *)q, z->size);
		return true;
	}
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
		prog_swap(k, &dfl, NULL);
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

/* The address of the fault this thread last handed to the program's
 * handler: when that handler restores the default and returns (the usual
 * crash-handler ending), the same fault comes again and is not described
 * twice. */
static __thread uintptr_t handed_on __attribute__((tls_model("initial-exec")));

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	uintptr_t a = (uintptr_t)si->si_addr, again = handed_on;
	handed_on = 0;
	/* A fault of the MMU, not a kill(2) of the signal. */
	if (si->si_code > 0 && bst_ready() && !(again != 0 && a == again)) {
		const char *what = access_word(uc);
		if (!describe_zone(a, what))
			describe_large(a, what);
	}
	int k = sig_index(sig);
	struct sigaction h = prog_get(k);
	/* The kernel tells SIG_IGN and SIG_DFL by the handler's value
	 * whatever the flags say. */
	bool ign = h.sa_handler == SIG_IGN, dfl = h.sa_handler == SIG_DFL;
	if (ign && si->si_code <= 0) {
		/* A sent signal the program chose to ignore: still ignored. */
	} else if (!ign && !dfl) {
		handed_on = si->si_code > 0 ? a : 0;
		call_program(k, &h, sig, si, uc);
	} else {
		/* The default action, for the fault that happens again when we
		 * return (or, for a sent signal, when it is unblocked). An
		 * ignored fault is not ignored by the kernel either. From here
		 * on the program sees the default as installed, which it is. */
		struct sigaction d;
		memset(&d, 0, sizeof(d));
		d.sa_handler = SIG_DFL;
		atomic_store_explicit(&hooked[k], false, memory_order_release);
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
	real_sigaction(SIGSEGV, &sa, &prog[0]);
	real_sigaction(SIGBUS, &sa, &prog[1]);
	atomic_store_explicit(&hooked[0], true, memory_order_release);
	atomic_store_explicit(&hooked[1], true, memory_order_release);
}
