/*
 * fastbin_dup: free(a), free(b), free(a): the classic glibc fastbin dup.
 * glibc's fastbin check only compares a freed chunk with the top of its
 * list, so the b in between hides the second free of a, and later mallocs
 * return a twice. (The tcache of glibc >= 2.26 is filled first, so the
 * frees reach the fastbin.)
 *
 * Under bastion the third free finds a's state "freed": a is still in the
 * quarantine (only 9 frees happened), so it cannot have been reused.
 * Deterministic.
 *
 * EXPECT: abort:double-free
 */
#include "attack.h"

#define FILL 7 /* glibc's tcache bin capacity */

int main(void)
{
	char *fill[FILL];
	for (int i = 0; i < FILL; i++)
		fill[i] = malloc(24);
	char *a = malloc(24);
	char *b = malloc(24);
	if (!a || !b)
		return 2;
	for (int i = 0; i < FILL; i++)
		free(fill[i]);

	char *again = escape(a); /* the same pointer, hidden from the compiler */
	free(a);
	free(b);
	free(again);

	/* Empty the tcache, then look for a block handed out twice. */
	char *got[FILL + 3];
	for (int i = 0; i < FILL + 3; i++)
		got[i] = malloc(24);
	for (int i = 0; i < FILL + 3; i++)
		for (int j = i + 1; j < FILL + 3; j++)
			if (got[i] == got[j])
				attack_won(
				    "free a, free b, free a: malloc returned the same block twice");
	attack_won("free a, free b, free a was accepted");
}
