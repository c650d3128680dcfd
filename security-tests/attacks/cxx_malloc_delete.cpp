/*
 * cxx_malloc_delete: a block from malloc() released with delete.
 *
 * The block is malloc(sizeof(Widget)), so the sized operator delete the
 * compiler may call gets the right size: the only error is the wrong
 * family. bastion folds the allocation kind into the canary, so operator
 * delete finds a malloc block's canary and reports the mismatch.
 * Deterministic.
 *
 * EXPECT: abort:alloc-dealloc-mismatch
 */
#include "attack.h"

struct Widget {
	int values[16];
};

int main()
{
	Widget *w = static_cast<Widget *>(malloc(sizeof(Widget)));
	if (!w)
		return 2;
	for (int i = 0; i < 16; i++)
		w->values[i] = i;
	delete static_cast<Widget *>(escape(w));
	attack_won("delete of a malloc block was accepted");
}
