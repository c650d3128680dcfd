/*
 * double_free_zero_size: free() a malloc(0) block twice.
 *
 * malloc(0) returns a unique pointer to an (inaccessible) chunk of its
 * own class; its state is tracked like any other chunk, so the second free
 * finds it freed. Nothing runs between the two frees.
 *
 * EXPECT: abort:double-free
 */
#include "attack.h"

int main(void)
{
	void *p = malloc(0);
	if (!p)
		return 2;
	void *again = escape(p); /* the same pointer, hidden from the compiler */
	free(p);
	free(again);
	attack_won("the second free of a malloc(0) block was accepted");
}
