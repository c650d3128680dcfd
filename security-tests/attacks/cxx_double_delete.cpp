/*
 * cxx_double_delete: delete the same object twice.
 *
 * The second delete finds the chunk's state "freed". Nothing runs between
 * the two deletes (Widget's destructor touches nothing). Deterministic.
 *
 * EXPECT: abort:double-free
 */
#include "attack.h"

struct Widget {
	long values[6];
};

int main()
{
	Widget *w = new Widget();
	w->values[0] = 1;
	delete w;
	delete static_cast<Widget *>(escape(w));
	attack_won("a second delete of the same object was accepted");
}
