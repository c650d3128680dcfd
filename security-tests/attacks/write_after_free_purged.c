/*
 * Write after free into a 30,000-byte block, whose zone gives free pages
 * back to the system. The flushing that makes the freed chunk come back
 * (write_after_free_attack in attack.h, as in write_after_free_small.c)
 * frees enough of the class that the zone purges runs of free pages
 * (MADV_DONTNEED) before the chunk is handed out again; the write must not
 * vanish with its page. bastion checks a freed chunk in full before its
 * pages go, so the write is reported then, or at the hand-out if the
 * chunk comes back first. (Before that check, 8 runs in 20 missed it.)
 *
 * EXPECT: abort:write-after-free
 */
#define _GNU_SOURCE
#include "attack.h"

int main(void)
{
	write_after_free_attack(30000, 4000);
	attack_won("a write into a freed chunk was never reported");
}
