/*
 * double_free_large: free() a large (1 MiB, own mapping) allocation twice.
 *
 * A freed large allocation stays in bastion's virtual-memory quarantine
 * (PROT_NONE, record kept), so its address is not reused at once and the
 * second free is recognised as a double free rather than freeing a new
 * owner's mapping. Nothing is allocated between the two frees.
 *
 * EXPECT: abort:double-free
 */
#include "attack.h"

int main(void)
{
	size_t n = (size_t)1 << 20;
	char *p = malloc(n);
	if (!p)
		return 2;
	memset(p, 'A', n);
	char *again = escape(p); /* the same pointer, hidden from the compiler */
	free(p);
	free(again);
	attack_won("the second free of a 1 MiB block was accepted");
}
