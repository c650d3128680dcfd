/*
 * cxx_new_array_delete: a block from new[] released with plain delete.
 *
 * Widget has a trivial destructor, so new[] adds no array cookie and
 * delete gets the very pointer new[] returned; the array has one element,
 * so the sized operator delete the compiler may call gets the right size.
 * The only error is the wrong operator, which bastion sees in the block's
 * kind (folded into the canary). Deterministic.
 *
 * EXPECT: abort:alloc-dealloc-mismatch
 */
#include "attack.h"

struct Widget {
	int values[16];
};

int main()
{
	Widget *a = new Widget[1];
	for (int i = 0; i < 16; i++)
		a[0].values[i] = i;
	delete static_cast<Widget *>(escape(a));
	attack_won("plain delete of a new[] block was accepted");
}
