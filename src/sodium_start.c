/*
 * libsodium's start-up, in a file of its own because libbastion.so and
 * the archives start it differently.
 *
 * sodium_init picks the fastest code for every primitive libsodium has,
 * so linking it pulls in Argon2, BLAKE2b, Poly1305, Curve25519 and
 * Salsa20 as well: 175 KB of the text of a libbastion.so that links
 * libsodium's archive, which every process then maps and, through the
 * kernel's fault-around, counts in its resident set. bastion uses
 * randombytes_buf, crypto_stream_chacha20 and sodium_memzero. Built with
 * BST_SODIUM_SLIM (CMakeLists.txt turns it on only where a test link with
 * the archive at hand succeeds), libbastion.so asks libsodium for just
 * what sodium_init would have done for those: the CPU's features, then
 * the ChaCha20 implementation for them. randombytes starts itself on its
 * first use. The archives (libbastion.a, the prefixed test library) call
 * sodium_init: the program links libsodium itself there.
 *
 * This file must not include <sodium.h>: its declaration of sodium_misuse
 * would export the definition below.
 */
#include "internal.h"

#ifdef BST_SODIUM_SLIM

/* libsodium's own entry points behind sodium_init (private, stable in the
 * 1.0 series; the configure-time link test catches a change). */
int _sodium_runtime_get_cpu_features(void);
int _crypto_stream_chacha20_pick_best_implementation(void);

/* ChaCha20's code reports a misuse (a length past 2^38 bytes, which
 * bastion never asks for) through this function. libsodium's own lives in
 * the object that also holds sodium_init, so defining it here is what
 * keeps that object, and everything sodium_init picks, out of the link.
 * Hidden: it must never stand in for a program's own libsodium. */
BST_NORETURN void sodium_misuse(void) __attribute__((visibility("hidden")));
void sodium_misuse(void)
{
	bst_fatal(BST_E_INIT, "libsodium reported a misuse", NULL, 0);
}

bool bst_sodium_start(void)
{
	_sodium_runtime_get_cpu_features();
	_crypto_stream_chacha20_pick_best_implementation();
	return true;
}

#else

#include <sodium.h>

bool bst_sodium_start(void)
{
	return sodium_init() >= 0;
}

#endif
