/*
 * Attack harness: operation sequences that interleave heap corruption with
 * ordinary use, each run in a child process.
 *
 * The attacks: overflow past the usable size by k bytes, underflow before a
 * block, writes into freed blocks (attacker-chosen pointer values among
 * them: the address of a target buffer outside the heap, of a live block,
 * of the freed block itself), double free, free and realloc of stale
 * pointers, free of derived pointers (interior, neighbouring, misaligned),
 * free of addresses that were never the heap's (globals, stack), frees with
 * the wrong size, and bursts of allocations that would reclaim corrupted
 * memory.
 *
 * Every run must end in one of three ways:
 *   detected   bastion printed "bastion: <kind>: ..." and aborted;
 *   stopped    the attacker's own write faulted on a guard page or on
 *              memory that was given back (the MMU stopped it at the access);
 *   harmless   the sequence finished and the allocator kept its promises:
 *              no block it returned overlapped a live block or the target
 *              buffer, and bastion_verify() at the end found nothing.
 * Anything else is a finding and aborts the fuzzer: a returned block that
 * overlaps a live one or lands on the target, a fault that is not the
 * attacker's write (inside the allocator, say), a hang, a sanitizer report,
 * or an exit without the bastion line.
 *
 * Coverage: the child's edge counters are copied back into the parent's
 * (libFuzzer's inline 8-bit counters live in the __sancov_cntrs section), so
 * libFuzzer is guided by what the allocator did in the child. Under AFL++
 * the coverage map is shared memory already.
 */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bastion.h"
#include "common.h"

#define SLOTS      32
#define DANGLING   16
#define MAX_OPS    256
#define CHILD_SECS 20

enum { EXIT_STOPPED = 71, EXIT_FINDING = 72 };

/* ---- the child's state ---- */

typedef struct {
	unsigned char *p;
	size_t size;
	uint32_t seed;
	bool zeroed;
	bool live;
} slot_t;

typedef struct {
	unsigned char *p;
	size_t size;         /* requested size when it was freed */
	unsigned long epoch; /* large_frees when it was freed */
} stale_t;

/* Freed large blocks stay mapped PROT_NONE in the large quarantine (64
 * deep by default) and are then unmapped, after which the kernel may hand
 * the addresses to anyone. Writes through a stale large pointer are only
 * made while it is surely still quarantined, so they never hit memory the
 * heap no longer owns. */
#define LARGE        ((size_t)131072 - 8)
#define LARGE_RECENT 32
static unsigned long large_frees;

static slot_t slots[SLOTS];
static stale_t stale[DANGLING];
static unsigned stale_next;
static bool attacked; /* contents are no longer checked after an attack */
static unsigned step;
/* Memory that is not the heap's: no block may ever land on it. */
static unsigned char target[8192] __attribute__((aligned(4096)));

static volatile sig_atomic_t in_attack_write;

/* ---- coverage hand-back from the child ---- */

/* The counters are found through the executable's section table: naming
 * __start___sancov_cntrs in the program makes the linker drop libFuzzer's
 * registration of the section (seen with clang 14). */
static uint8_t *counters, *shared_counters;
static size_t counters_len;

static int first_object_base(struct dl_phdr_info *info, size_t size, void *out)
{
	(void)size;
	*(uintptr_t *)out = info->dlpi_addr;
	return 1; /* the executable comes first */
}

static void counters_find(void)
{
	FILE *f = fopen("/proc/self/exe", "rb");
	if (!f)
		return;
	Elf64_Ehdr eh;
	Elf64_Shdr names, sh;
	char name[32];
	if (fread(&eh, sizeof(eh), 1, f) != 1 || eh.e_shentsize != sizeof(sh) ||
	    fseek(f, (long)(eh.e_shoff + (Elf64_Off)eh.e_shstrndx * sizeof(sh)), SEEK_SET) ||
	    fread(&names, sizeof(names), 1, f) != 1)
		goto out;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		if (fseek(f, (long)(eh.e_shoff + (Elf64_Off)i * sizeof(sh)), SEEK_SET) ||
		    fread(&sh, sizeof(sh), 1, f) != 1 ||
		    fseek(f, (long)(names.sh_offset + sh.sh_name), SEEK_SET) ||
		    !fgets(name, sizeof(name), f))
			goto out;
		if (strcmp(name, "__sancov_cntrs") == 0 && sh.sh_size > 0) {
			uintptr_t base = 0;
			dl_iterate_phdr(first_object_base, &base);
			counters = (uint8_t *)(base + sh.sh_addr);
			counters_len = sh.sh_size;
			break;
		}
	}
out:
	fclose(f);
}

static void counters_export(void)
{
	if (shared_counters)
		memcpy(shared_counters, counters, counters_len);
}

static void counters_import(void)
{
	if (!shared_counters)
		return;
	for (size_t i = 0; i < counters_len; i++)
		if (shared_counters[i] > counters[i])
			counters[i] = shared_counters[i];
}

/* The coverage build (fuzz/coverage) writes its profile at exit; a child
 * that ends in _exit or a signal must write it itself. */
extern int __llvm_profile_write_file(void) __attribute__((weak));

/* Hands the child's coverage back before it ends, however it ends. */
static void child_flush(void)
{
	counters_export();
	if (__llvm_profile_write_file)
		__llvm_profile_write_file();
}

__attribute__((noreturn)) static void child_exit(int code)
{
	child_flush();
	_exit(code);
}

static void say(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));
	(void)r;
}

__attribute__((noreturn, format(printf, 1, 2))) static void finding(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(buf, sizeof(buf), "fuzz_attack: FINDING at step %u: ", step);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	say(buf);
	say("\n");
	child_exit(EXIT_FINDING);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (in_attack_write) {
		say("fuzz_attack: stopped: the attacker's write faulted\n");
		child_exit(EXIT_STOPPED);
	}
	char buf[160];
	snprintf(buf, sizeof(buf),
	         "fuzz_attack: FINDING at step %u: signal %d at %p outside an attacker write\n",
	         step, sig, si->si_addr);
	say(buf);
	child_exit(EXIT_FINDING);
}

static void on_abort(int sig)
{
	child_flush();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- blocks ---- */

static void check_contents(const slot_t *s, const char *when)
{
	if (attacked)
		return;
	size_t i = pat_find_bad(s->p, s->seed, s->zeroed, s->size);
	if (i != SIZE_MAX)
		finding("%s: block %p (size %zu) byte %zu changed before any attack", when,
		        (void *)s->p, s->size, i);
}

/* The allocator's promise for every block it hands out. */
static void check_new(unsigned char *p, size_t size, int self)
{
	uintptr_t a = (uintptr_t)p, e = a + block_extent(p, size);
	if (a % 16)
		finding("block %p is not 16-aligned", (void *)p);
	if (a < (uintptr_t)target + sizeof(target) && (uintptr_t)target < e)
		finding("block %p..%p (size %zu) lands on the attacker's target %p", (void *)a,
		        (void *)e, size, (void *)target);
	for (int i = 0; i < SLOTS; i++) {
		const slot_t *s = &slots[i];
		if (!s->live || i == self)
			continue;
		uintptr_t c = (uintptr_t)s->p, d = c + block_extent(s->p, s->size);
		if (a < d && c < e)
			finding("block %p..%p (size %zu) overlaps live %p..%p (size %zu)",
			        (void *)a, (void *)e, size, (void *)c, (void *)d, s->size);
	}
}

static void install(int idx, unsigned char *p, size_t size, bool zeroed)
{
	slot_t *s = &slots[idx];
	check_new(p, size, -1);
	s->p = p;
	s->size = size;
	s->seed = (uint32_t)(step * 2654435761u + (unsigned)idx);
	s->zeroed = zeroed;
	s->live = true;
	if (zeroed) {
		size_t i = pat_find_bad(p, 0, true, size);
		if (i != SIZE_MAX)
			finding("calloc'd block %p byte %zu is not zero", (void *)p, i);
	} else {
		pat_fill(p, s->seed, false, 0, size);
	}
}

static void remember_freed(unsigned char *p, size_t size)
{
	if (size > LARGE)
		large_frees++;
	stale[stale_next % DANGLING] = (stale_t){p, size, large_frees};
	stale_next++;
}

static void release(int idx, unsigned how)
{
	slot_t *s = &slots[idx];
	check_contents(s, "before free");
	if (how & 1)
		bastion_free_sized(s->p, s->size);
	else
		bastion_free(s->p);
	s->live = false;
	remember_freed(s->p, s->size);
}

/* A stale or derived pointer that is, by now, the start of a live block is
 * indistinguishable from that block: freeing it is a legitimate free. */
static int live_at(const void *p)
{
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].live && slots[i].p == p)
			return i;
	return -1;
}

/* ---- attacker-chosen bytes ---- */

static uint64_t attacker_value(reader_t *r)
{
	uint8_t k = u8(r);
	switch (k % 8) {
	case 0:
		return (uint64_t)(uintptr_t)target;
	case 1:
		return (uint64_t)(uintptr_t)(target + 16 * (u8(r) % 64));
	case 2: {
		const slot_t *s = &slots[u8(r) % SLOTS];
		return (uint64_t)(uintptr_t)(s->live ? s->p : target);
	}
	case 3: {
		const stale_t *d = &stale[u8(r) % DANGLING];
		return (uint64_t)(uintptr_t)(d->p ? d->p : target);
	}
	case 4:
		return 0;
	case 5:
		return 0x4141414141414141ull;
	case 6:
		return u8(r);
	default:
		return uN(r, 8);
	}
}

/* Writes k bytes from p: the 8-byte value repeated, or raw input bytes;
 * upwards, or (an underflow) downwards from p + k - 1, so that a guard page
 * next to the block is hit before anything beyond it. The write is the
 * attack; a fault inside it is the MMU stopping it. */
static void attack_write(unsigned char *p, size_t k, bool downwards, reader_t *r)
{
	bool raw = u8(r) & 1;
	uint64_t v = raw ? 0 : attacker_value(r);
	in_attack_write = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	for (size_t j = 0; j < k; j++) {
		size_t i = downwards ? k - 1 - j : j;
		((volatile unsigned char *)p)[i] =
		    raw ? u8(r) : (unsigned char)(v >> (8 * (i % 8)));
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	in_attack_write = 0;
	attacked = true;
}

static size_t attack_len(reader_t *r)
{
	uint8_t b = u8(r);
	if (b < 128)
		return 1 + b % 16;
	if (b < 224)
		return 1 + (size_t)u8(r);
	return (size_t)4096 * (1 + b % 2) + u8(r);
}

/* ---- operations ---- */

enum {
	OP_MALLOC,
	OP_CALLOC,
	OP_ALIGNED,
	OP_REALLOC,
	OP_FREE,
	OP_BURST,
	OP_OVERFLOW,
	OP_UNDERFLOW,
	OP_UAF_WRITE,
	OP_DOUBLE_FREE,
	OP_FREE_DERIVED,
	OP_FREE_FOREIGN,
	OP_REALLOC_STALE,
	OP_WRONG_SIZE,
	OP_VERIFY,
	OP_NUM
};

/* Sizes up to 256 KiB: large enough for guarded large blocks, small
 * enough that a child does not spend its time faulting pages in. */
static size_t small_size(reader_t *r)
{
	size_t n = pick_size(r);
	return n >= IMPOSSIBLE ? u8(r) : n & 0x3ffff;
}

static void do_op(reader_t *r)
{
	uint8_t opb = u8(r);
	int idx = u8(r) % SLOTS;
	slot_t *s = &slots[idx];
	unsigned how = opb >> 4;

	switch (opb % OP_NUM) {
	case OP_MALLOC:
	case OP_CALLOC:
	case OP_ALIGNED: {
		size_t n = small_size(r);
		unsigned char *p;
		if (s->live)
			release(idx, how);
		if (opb % OP_NUM == OP_CALLOC)
			p = bastion_calloc(1, n);
		else if (opb % OP_NUM == OP_ALIGNED)
			p = bastion_aligned_alloc((size_t)16 << (u8(r) % 9), n);
		else
			p = bastion_malloc(n);
		if (!p)
			finding("allocation of %zu bytes failed (errno %d)", n, errno);
		install(idx, p, n, opb % OP_NUM == OP_CALLOC);
		break;
	}
	case OP_REALLOC: {
		size_t n = small_size(r);
		if (!s->live || n == 0)
			break;
		check_contents(s, "before realloc");
		unsigned char *p = bastion_realloc(s->p, n);
		if (!p)
			finding("realloc to %zu failed", n);
		if (p != s->p && s->size <= LARGE)
			remember_freed(s->p, s->size);
		else if (p != s->p)
			large_frees++; /* moved by mremap: the old range is gone */
		s->live = false;
		install(idx, p, n, false);
		break;
	}
	case OP_FREE:
		if (s->live)
			release(idx, how);
		break;
	case OP_BURST: {
		/* Allocations that would reclaim corrupted or stale memory;
		 * each must keep the promises, then all are freed. */
		size_t n = small_size(r);
		unsigned count = 1 + u8(r) % 64;
		unsigned char *burst[64];
		for (unsigned i = 0; i < count; i++) {
			burst[i] = bastion_malloc(n);
			if (!burst[i])
				finding("burst allocation of %zu failed", n);
			check_new(burst[i], n, -1);
			for (unsigned j = 0; j < i; j++)
				if (burst[j] == burst[i])
					finding("burst returned %p twice", (void *)burst[i]);
		}
		for (unsigned i = 0; i < count; i++)
			bastion_free(burst[i]);
		if (n > LARGE)
			large_frees += count;
		break;
	}
	case OP_OVERFLOW:
		if (s->live) {
			size_t k = attack_len(r);
			attack_write(s->p + bastion_malloc_usable_size(s->p), k, false, r);
		}
		break;
	case OP_UNDERFLOW:
		if (s->live) {
			size_t k = attack_len(r);
			attack_write(s->p - k, k, true, r);
		}
		break;
	case OP_UAF_WRITE: {
		stale_t *d = &stale[u8(r) % DANGLING];
		if (!d->p || d->size == 0 ||
		    (d->size > LARGE && large_frees - d->epoch >= LARGE_RECENT))
			break;
		size_t off = (size_t)uN(r, 2) % d->size;
		size_t k = attack_len(r);
		if (k > d->size - off)
			k = d->size - off;
		attack_write(d->p + off, k, false, r);
		break;
	}
	case OP_DOUBLE_FREE: {
		stale_t *d = &stale[u8(r) % DANGLING];
		if (!d->p)
			break;
		int again = live_at(d->p);
		if (again >= 0) { /* reused: this is a free of a live block */
			release(again, how);
			break;
		}
		attacked = true;
		if (how & 1)
			bastion_free_sized(d->p, d->size);
		else
			bastion_free(d->p);
		break;
	}
	case OP_FREE_DERIVED: {
		if (!s->live)
			break;
		static const ptrdiff_t offs[] = {1, 8, 15, 16, 32, -16, -8, 4096, -4096, 64, 48};
		uint8_t k = u8(r);
		ptrdiff_t off = k < 128 ? offs[k % (sizeof(offs) / sizeof(offs[0]))]
		                        : (ptrdiff_t)bastion_malloc_usable_size(s->p) + (k & 31);
		unsigned char *q = s->p + off;
		int other = live_at(q);
		if (other >= 0) { /* q is exactly another live block */
			release(other, how);
			break;
		}
		attacked = true;
		bastion_free(q);
		break;
	}
	case OP_FREE_FOREIGN: {
		unsigned char local[64];
		void *q;
		switch (u8(r) % 4) {
		case 0:
			q = target + 16 * (u8(r) % 64);
			break;
		case 1:
			q = local;
			break;
		case 2:
			q = (void *)(uintptr_t)(attacker_value(r) & ~(uint64_t)15);
			break;
		default:
			q = (void *)&slots;
			break;
		}
		if (!q || live_at(q) >= 0)
			break;
		attacked = true;
		bastion_free(q);
		break;
	}
	case OP_REALLOC_STALE: {
		stale_t *d = &stale[u8(r) % DANGLING];
		size_t n = small_size(r);
		if (!d->p || n == 0 || live_at(d->p) >= 0)
			break;
		attacked = true;
		if (s->live)
			release(idx, how);
		unsigned char *p = bastion_realloc(d->p, n);
		if (p)
			install(idx, p, n, false);
		break;
	}
	case OP_WRONG_SIZE: {
		if (!s->live)
			break;
		size_t wrong = s->size + 1 + (size_t)uN(r, 2);
		attacked = true;
		s->live = false;
		remember_freed(s->p, s->size);
		bastion_free_sized(s->p, wrong);
		break;
	}
	default:
		if (bastion_verify() != 0)
			say("fuzz_attack: bastion_verify() reported problems\n");
		break;
	}
}

static void child(const uint8_t *data, size_t size, int errfd)
{
	dup2(errfd, STDERR_FILENO);
	close(errfd);
	alarm(CHILD_SECS);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGABRT, on_abort);

	reader_t r = {data, size};
	for (step = 1; step <= MAX_OPS && r.n > 0; step++)
		do_op(&r);
	/* Whatever the corruption was, the heap must still pass its own walk.
	 * verify aborts with the bastion line if it does not; with
	 * verify_abort=0 it prints the lines and counts, and the run still
	 * ends as a detection. */
	if (bastion_verify() != 0)
		abort();
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].live)
			release(i, (unsigned)i);
	child_exit(0);
}

/* ---- the parent ---- */

static unsigned long runs, detected, stopped, harmless;

static void print_tally(void)
{
	fprintf(stderr,
	        "fuzz_attack: %lu runs: %lu detected by bastion, %lu stopped by a fault in the "
	        "attacker's write, %lu harmless\n",
	        runs, detected, stopped, harmless);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	counters_find();
	if (counters) {
		void *m = mmap(NULL, counters_len, PROT_READ | PROT_WRITE,
		               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (m != MAP_FAILED)
			shared_counters = m;
	}
	atexit(print_tally);
	/* Initialise the allocator once here, so that each child starts from
	 * a ready heap instead of paying for start-up. */
	bastion_free(bastion_malloc(1));
	return 0;
}

/* True if the child's stderr holds a bastion detection line. */
static bool has_bastion_line(const char *out)
{
	for (const char *l = out; l; l = strchr(l, '\n')) {
		if (*l == '\n')
			l++;
		if (strncmp(l, "bastion: ", 9) == 0 && strncmp(l, "bastion: options: ", 18) != 0)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pipefd[2];
	if (pipe(pipefd) != 0)
		abort();
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		close(pipefd[0]);
		child(data, size, pipefd[1]);
	}
	close(pipefd[1]);
	char out[8192];
	size_t n = 0;
	for (;;) {
		char tmp[1024];
		ssize_t got = read(pipefd[0], tmp, sizeof(tmp));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		size_t room = sizeof(out) - 1 - n;
		size_t take = (size_t)got < room ? (size_t)got : room;
		memcpy(out + n, tmp, take);
		n += take;
	}
	out[n] = 0;
	close(pipefd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			abort();
	counters_import();
	runs++;

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		harmless++;
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_STOPPED) {
		stopped++;
		return 0;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && has_bastion_line(out)) {
		detected++;
		return 0;
	}
	fprintf(stderr, "fuzz_attack: the child ended badly (%s %d); its stderr:\n%s\n",
	        WIFEXITED(status) ? "exit" : "signal",
	        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), out);
	abort();
}
