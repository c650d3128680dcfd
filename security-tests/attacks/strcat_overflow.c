/*
 * strcat_overflow: strcat a 20-character string onto a 5-character one in
 * a 16-byte block: 10 bytes too many, in a block the program keeps.
 *
 * libbastion.so exports strcat (and strcpy, strncpy, strncat, stpcpy and
 * the fortified __*_chk forms): it measures both strings and stops a copy
 * that would end past the block's requested size. The block must be a
 * zone chunk (zone_chunk()).
 *
 * EXPECT: abort:heap-overflow
 */
#include "attack.h"

int main(void)
{
	char *p = zone_chunk(16);
	char more[] = " world, and more!!!!";
	if (!p)
		return 2;
	strcpy(escape(p), "hello");
	/* Through escape(): a known string would be inlined as stores. */
	strcat(escape(p), escape(more));
	attack_won("a strcat past the end of a heap block went unnoticed");
}
