/*
 * Randomness. libsodium's randombytes_buf (getrandom(2)) seeds a ChaCha20
 * key per generator; crypto_stream_chacha20 turns it into a 1 KiB buffer,
 * so a draw on the hot path is a buffer read and a refill is one stream call
 * per 256 draws, never a system call.
 */
#include <sodium.h>

#include "internal.h"

void bst_random_init(void)
{
	if (sodium_init() < 0)
		bst_fatal("init", "libsodium failed to initialise", NULL, 0);
}

void bst_random_bytes(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

void bst_rng_seed(bst_rng_t *r)
{
	randombytes_buf(r->key, sizeof(r->key));
	r->nonce = 0;
	bst_rng_refill(r);
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
