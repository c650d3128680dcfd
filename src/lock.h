/*
 * A small futex mutex (three states: 0 free, 1 locked, 2 locked with
 * waiters). bastion cannot use pthread mutexes everywhere: it runs before
 * libpthread is ready and inside fork handlers, and its locks must be
 * resettable in a fork child. Built only from C11 atomics with acquire and
 * release ordering so ThreadSanitizer understands it.
 */
#ifndef BST_LOCK_H
#define BST_LOCK_H

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct {
	_Atomic int v;
} bst_lock_t;

#define BST_LOCK_INIT                                                                              \
	{                                                                                          \
		0                                                                                  \
	}

static inline void bst_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* free() must not change errno, and FUTEX_WAIT often fails with EAGAIN. */
static inline void bst_futex(_Atomic int *addr, int op, int val)
{
	int saved = errno;
	syscall(SYS_futex, (int *)addr, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
	errno = saved;
}

static inline void bst_lock_slow(bst_lock_t *l)
{
	for (int spin = 0; spin < 64; spin++) {
		int c = 0;
		if (atomic_load_explicit(&l->v, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_weak_explicit(&l->v, &c, 1, memory_order_acquire,
		                                          memory_order_relaxed))
			return;
		bst_cpu_relax();
	}
	while (atomic_exchange_explicit(&l->v, 2, memory_order_acquire) != 0)
		bst_futex(&l->v, FUTEX_WAIT, 2);
}

static inline void bst_lock(bst_lock_t *l)
{
	int c = 0;
	if (__builtin_expect(atomic_compare_exchange_strong_explicit(
	                         &l->v, &c, 1, memory_order_acquire, memory_order_relaxed),
	                     1))
		return;
	bst_lock_slow(l);
}

/* One attempt, for code that must not wait (the fault handler). */
static inline bool bst_trylock(bst_lock_t *l)
{
	int c = 0;
	return atomic_compare_exchange_strong_explicit(&l->v, &c, 1, memory_order_acquire,
	                                               memory_order_relaxed);
}

static inline void bst_unlock(bst_lock_t *l)
{
	if (__builtin_expect(atomic_exchange_explicit(&l->v, 0, memory_order_release) == 2, 0))
		bst_futex(&l->v, FUTEX_WAKE, 1);
}

/* Only in a fork child, where the one thread left owns every lock. */
static inline void bst_lock_reset(bst_lock_t *l)
{
	atomic_store_explicit(&l->v, 0, memory_order_relaxed);
}

#endif /* BST_LOCK_H */
