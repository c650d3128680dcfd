/*
 * Write through malloc(0): a zero-size request often gets a minimal chunk
 * that is quietly writable (glibc: 24 usable bytes), so code that trusts a
 * length of 0 and writes anyway corrupts the heap unnoticed. bastion
 * returns a unique pointer into a chunk whose pages are never accessible,
 * so the first byte written faults. (An allocator returning NULL faults
 * here too.)
 *
 * EXPECT: segv
 */
#include "attack.h"

int main(void)
{
	volatile char *p = escape(malloc(0));
	p[0] = 'A';
	p[8] = 'A';
	attack_won("wrote through the pointer malloc(0) returned");
}
