/*
 * Read through malloc(0): the bytes behind a zero-size allocation often
 * hold stale heap data (old contents, allocator pointers) that a program
 * reading "past" a zero-length buffer leaks. bastion returns a unique
 * pointer into a chunk whose pages are never accessible, so the first byte
 * read faults. (An allocator returning NULL faults here too.)
 *
 * EXPECT: segv
 */
#include "attack.h"

int main(void)
{
	const volatile char *p = escape(malloc(0));
	char c = p[0];
	fprintf(stderr, "read 0x%02x\n", (unsigned char)c);
	attack_won("read through the pointer malloc(0) returned");
}
