/*
 * cxx_sized_delete_wrong: sized operator delete with the wrong size:
 * ::operator new(100), then ::operator delete(p, 1000) (what a delete
 * through a wrong static type does with sized deallocation).
 *
 * 100 and 1000 bytes fall in different size classes, so bastion can tell
 * the size is wrong. Deterministic.
 *
 * EXPECT: abort:size-mismatch
 * BUILD-FLAGS: -fsized-deallocation
 */
#include "attack.h"
#include <new>

int main()
{
	void *p = ::operator new(100);
	memset(p, 'A', 100);
	::operator delete(escape(p), static_cast<size_t>(1000));
	attack_won("sized delete with the wrong size was accepted");
}
