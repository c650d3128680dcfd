/*
 * invalid_free_global: free() the address of a global array.
 *
 * The address is in no zone and is no large allocation, so bastion must
 * refuse it. Deterministic.
 *
 * EXPECT: abort:invalid-free
 */
#include "attack.h"

static _Alignas(64) char global_buf[4096];

int main(void)
{
	memset(global_buf, 'A', sizeof(global_buf));
	free(escape(global_buf + 64));
	attack_won("free of a global address was accepted");
}
