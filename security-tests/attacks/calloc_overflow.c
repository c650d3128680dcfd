/*
 * calloc multiplication overflow: count * size wraps around SIZE_MAX to a
 * small number. An allocator that multiplies without checking returns a
 * tiny block the caller believes holds count elements, and the first
 * loop over it overflows the heap. Every such call must return NULL.
 *
 * EXPECT: defend
 */
#include "attack.h"

#include <stdint.h>

int main(void)
{
	/* volatile: the compiler must not see (and warn about) the sizes. */
	static volatile size_t cases[][2] = {
	    {SIZE_MAX / 2 + 2, 2},                          /* wraps to 2 */
	    {2, SIZE_MAX / 2 + 2},                          /* the same, swapped */
	    {(SIZE_MAX >> 4) + 2, 16},                      /* wraps to 16 */
	    {(size_t)1 << 32, (size_t)1 << 32},             /* wraps to 0 */
	    {((size_t)1 << 32) + 1, ((size_t)1 << 32) - 1}, /* wraps to SIZE_MAX */
	    {SIZE_MAX, SIZE_MAX},                           /* wraps to 1 */
	    {65537, 18446462603027742721ull},               /* 1 / 65537 mod 2^64: wraps to 1 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *p = escape(calloc(cases[i][0], cases[i][1]));
		if (p) {
			fprintf(stderr, "calloc(%zu, %zu) = %p\n", cases[i][0], cases[i][1], p);
			attack_won("calloc with an overflowing count * size returned a block");
		}
	}
	defended("every overflowing calloc returned NULL");
}
