/*
 * Start-up. The first allocation (often from the dynamic loader or libc,
 * before any constructor) initialises bastion; so does a constructor, for
 * programs that never allocate. Calls that arrive while initialisation runs
 * in the same thread (libsodium or pthread_atfork allocating) are served
 * from a small static arena; other threads wait.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "internal.h"

_Atomic int bst_init_state;
union bst_globals_page bst_globals_page __attribute__((aligned(4096)));
static __thread bool in_init __attribute__((tls_model("initial-exec")));

/* Bootstrap arena: bump allocation, never reused. Each block starts with a
 * 16-byte header holding its size. */
#define BOOT_BYTES ((size_t)64 * 1024)
static unsigned char boot_arena[BOOT_BYTES] __attribute__((aligned(16)));
static _Atomic size_t boot_used;

void *bst_boot_alloc(size_t size)
{
	if (size > BOOT_BYTES)
		return NULL;
	size_t need = 16 + ((size + 15) & ~(size_t)15);
	size_t off = atomic_fetch_add(&boot_used, need);
	if (off + need > BOOT_BYTES)
		return NULL;
	memcpy(boot_arena + off, &size, sizeof(size));
	return boot_arena + off + 16;
}

bool bst_boot_owns(const void *p)
{
	return (const unsigned char *)p >= boot_arena &&
	       (const unsigned char *)p < boot_arena + BOOT_BYTES;
}

size_t bst_boot_usable(const void *p)
{
	size_t size;
	memcpy(&size, (const unsigned char *)p - 16, sizeof(size));
	return size;
}

/* Whether this process is privileged, so that its environment belongs to
 * whoever started it: the kernel set AT_SECURE (setuid, setgid, file
 * capabilities, an LSM transition), or the real and effective ids differ.
 * Decided once, at initialisation, into bst_g.secure. */
static bool privileged(void)
{
	/* getauxval is 0 both for "not secure" and for a missing entry (errno
	 * ENOENT); Linux always passes AT_SECURE, and the id comparison covers
	 * a process that changed its ids itself before bastion started. */
	return getauxval(AT_SECURE) != 0 || getuid() != geteuid() || getgid() != getegid();
}

const char *bst_getenv(const char *name, enum bst_env_use use)
{
	if (use == BST_ENV_TRUSTED && bst_g.secure)
		return NULL;
	return getenv(name);
}

/* Without copy.c (the static and prefixed libraries): no checked copies
 * to set up. */
__attribute__((weak)) void bst_copy_init(void)
{
}

/* Options a program bakes in (include/bastion.h): a weak reference, so a
 * program without it links and runs as before. */
extern const char *bastion_default_options(void) __attribute__((weak));

static void initialise(void)
{
	/* First: until it has run, the checked copies use byte loops. */
	bst_copy_init();
	bst_g.secure = privileged();
	bst_options_defaults(&bst_g.opt);
	unsigned got =
	    bst_options_load(&bst_g.opt, bastion_default_options ? bastion_default_options() : NULL,
	                     bst_getenv("BASTION_OPTIONS", BST_ENV_TIGHTEN_ONLY), bst_g.secure);
	/* help: the table was printed; the program is not run. */
	if (got & BST_OPTIONS_HELP)
		_exit(0);
	if ((got & BST_OPTIONS_BAD) && bst_g.opt.abort_on_bad_options)
		bst_fatal(BST_E_BAD_OPTIONS, "unknown option or bad value (abort_on_bad_options=1)",
		          NULL, 0);
	bst_random_init();
	bst_random_bytes(&bst_g.large_secret, sizeof(bst_g.large_secret));
	/* Without a zone region every small allocation fails with ENOMEM;
	 * large ones still work. Refusing to start would be worse. */
	(void)bst_zone_init();
	bst_private_init();
	bst_large_init();
	bst_tcache_init();
}

bool bst_ensure_init(void)
{
	if (atomic_load_explicit(&bst_init_state, memory_order_acquire) == 2)
		return true;
	if (in_init)
		return false;
	int expected = 0;
	if (atomic_compare_exchange_strong(&bst_init_state, &expected, 1)) {
		in_init = true;
		initialise();
		/* Nothing in bst_g changes after this: an attacker with a write
		 * primitive cannot redirect the region, the zone records or the
		 * options. */
		bst_os_protect(&bst_globals_page, sizeof(bst_globals_page), BST_ACCESS_READ);
		atomic_store_explicit(&bst_init_state, 2, memory_order_release);
		/* pthread_atfork allocates: register once the heap works. */
		pthread_atfork(bst_tcache_atfork_prepare, bst_tcache_atfork_parent,
		               bst_tcache_atfork_child);
		bst_stats_init(); /* atexit may allocate too */
		bst_backtrace_init();
#if BASTION_OVERRIDE_MALLOC
		/* The process's allocator names its guard-page faults; the
		 * prefixed library leaves the signals to its host (sanitizers,
		 * fuzzers). */
		bst_fault_init();
#endif
		in_init = false;
		return true;
	}
	while (atomic_load_explicit(&bst_init_state, memory_order_acquire) != 2)
		sched_yield();
	return true;
}

__attribute__((constructor)) static void bst_constructor(void)
{
	bst_ensure_init();
}
