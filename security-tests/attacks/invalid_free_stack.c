/*
 * invalid_free_stack: free() the address of a stack buffer.
 *
 * The address is in no zone and is no large allocation, so bastion must
 * refuse it. Deterministic.
 *
 * EXPECT: abort:invalid-free
 */
#include "attack.h"

__attribute__((noinline)) static void victim(void)
{
	_Alignas(16) char buf[256];
	memset(buf, 'A', sizeof(buf));
	free(escape(buf + 64));
	attack_won("free of a stack address was accepted");
}

int main(void)
{
	victim();
}
