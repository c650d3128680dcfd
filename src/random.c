/*
 * Randomness. libsodium's randombytes_buf (getrandom(2)) seeds a ChaCha20
 * key per generator; crypto_stream_chacha20 turns it into a 1 KiB buffer,
 * so a draw on the hot path is a buffer read and a refill is one stream call
 * per 256 draws, never a system call.
 *
 * Thread generators take their keys from one process-wide ChaCha20 stream
 * (the seeder), itself keyed from getrandom at start-up and again in every
 * fork child: a getrandom call per thread cost ~9 us of thread start-up.
 * ChaCha20 output does not reveal its key, so one thread's key tells
 * nothing of another's or of the seeder's.
 */
#include <sodium.h>

#include "internal.h"

static bst_lock_t seeder_lock;
static bst_rng_t seeder; /* seeder_lock */

void bst_random_init(void)
{
	if (!bst_sodium_start())
		bst_fatal(BST_E_INIT, "libsodium failed to initialise", NULL, 0);
	bst_random_reseed();
}

void bst_random_bytes(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

static void rng_key(bst_rng_t *r, const unsigned char *key)
{
	__builtin_memcpy(r->key, key, sizeof(r->key));
	r->nonce = 0;
	bst_rng_refill(r);
}

void bst_random_reseed(void)
{
	unsigned char key[32];
	randombytes_buf(key, sizeof(key));
	bst_lock_reset(&seeder_lock);
	rng_key(&seeder, key);
	sodium_memzero(key, sizeof(key));
}

void bst_rng_seed(bst_rng_t *r)
{
	unsigned char key[32];
	bst_lock(&seeder_lock);
	for (size_t i = 0; i < sizeof(key); i += 4) {
		uint32_t v = bst_rng_u32(&seeder);
		__builtin_memcpy(key + i, &v, 4);
	}
	bst_unlock(&seeder_lock);
	rng_key(r, key);
	sodium_memzero(key, sizeof(key));
}

void bst_rng_refill(bst_rng_t *r)
{
	unsigned char nonce[crypto_stream_chacha20_NONCEBYTES];
	_Static_assert(sizeof(nonce) == sizeof(r->nonce), "chacha20 nonce is 64 bits");
	__builtin_memcpy(nonce, &r->nonce, sizeof(nonce));
	r->nonce++;
	crypto_stream_chacha20(r->buf, sizeof(r->buf), nonce, r->key);
	r->pos = 0;
}
