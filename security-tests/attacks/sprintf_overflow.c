/*
 * sprintf_overflow: sprintf a name and a number into a 16-byte block the
 * program keeps, with a name longer than the programmer assumed: the
 * output runs 12 bytes past the block.
 *
 * libbastion.so exports sprintf and snprintf (and the fortified
 * __sprintf_chk and __snprintf_chk): into a live block the output is
 * formatted with the block's room as its limit, so nothing is written
 * past it, and output that did not fit is reported. The block must be a
 * zone chunk (zone_chunk()).
 *
 * EXPECT: abort:heap-overflow
 */
#include "attack.h"

int main(void)
{
	char *p = zone_chunk(16);
	char name[] = "a-rather-long-name";
	if (!p)
		return 2;
	sprintf(escape(p), "%s:%d", (char *)escape(name), 12345);
	attack_won("a sprintf past the end of a heap block went unnoticed");
}
