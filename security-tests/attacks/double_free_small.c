/*
 * double_free_small: free() the same small block twice in a row.
 *
 * The second free finds the chunk's state "freed" (the state lives out of
 * line, so nothing the program wrote can hide it) and must stop the
 * process. Deterministic: nothing runs between the two frees, so the chunk
 * cannot have been handed out again.
 *
 * EXPECT: abort:double-free
 */
#include "attack.h"

int main(void)
{
	char *p = malloc(32);
	if (!p)
		return 2;
	memset(p, 'A', 32);
	char *again = escape(p); /* the same pointer, hidden from the compiler */
	free(p);
	free(again);
	attack_won("the second free of a 32-byte block was accepted");
}
