/*
 * Shared helpers for bastion's attack programs. Each program in attacks/
 * performs one attack through the standard malloc API, so it runs under
 * any allocator (LD_PRELOAD), and declares its expected outcome under
 * bastion in a comment line of the form
 *
 *     EXPECT: abort:<kind>           killed by SIGABRT after printing
 *                                    "bastion: <kind>:" on stderr
 *     EXPECT: segv                   killed by SIGSEGV or SIGBUS (a guard
 *                                    page or an inaccessible chunk)
 *     EXPECT: abort:<kind> or segv   either of the two
 *     EXPECT: defend                 exits 0: the property held
 *
 * A program whose attack succeeds says what happened on stderr and exits
 * 1 (attack_won). Exiting 0 after an attack that should have been stopped
 * is therefore a miss, never a pass. Programs are built with -O0 and use
 * the helpers below so the compiler cannot remove the bug.
 */
#ifndef BST_ATTACK_H
#define BST_ATTACK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hides a pointer from the optimiser: the compiler must assume it escapes
 * and that its memory is read. */
static inline void *escape(void *p)
{
	__asm__ __volatile__("" : "+r"(p)::"memory");
	return p;
}

/* The attack worked: the allocator did not stop it. */
__attribute__((noreturn)) static inline void attack_won(const char *what)
{
	fprintf(stderr, "attack succeeded: %s\n", what);
	exit(1);
}

/* The property held. */
__attribute__((noreturn)) static inline void defended(const char *what)
{
	fprintf(stderr, "defended: %s\n", what);
	exit(0);
}

#endif
