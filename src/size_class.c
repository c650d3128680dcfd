/*
 * Size classes. 16..128 in steps of 16, then four classes per power of two
 * up to 128 KiB, so above 128 bytes no class wastes more than a fifth of a
 * chunk. The classes above 64 KiB (the medium tier: 80, 96, 112, 128 KiB)
 * keep requests that programs make all the time (a 64 KiB buffer doubled
 * once, stdio and compression buffers) in zones, with every zone
 * protection, instead of a mapping and a handful of system calls each.
 * Every chunk ends in an 8-byte canary, so a request of n bytes needs a
 * chunk of at least n + 8.
 */
#include "internal.h"

#define Q(b) (b) + (b) / 4, (b) + (b) / 2, (b) + 3 * (b) / 4, 2 * (b)
const uint32_t bst_class_size[BST_NUM_CLASSES] = {
    16, /* class 0: malloc(0); never readable or writable */
    16,     32,     48,      64,      80,      96,      112,      128,      Q(128),
    Q(256), Q(512), Q(1024), Q(2048), Q(4096), Q(8192), Q(16384), Q(32768), Q(65536),
};
#undef Q

_Static_assert(sizeof(bst_class_size) / sizeof(bst_class_size[0]) == BST_NUM_CLASSES,
               "class table size");

int bst_class_for_aligned(size_t n, size_t align)
{
	if (n > BST_MAX_SMALL_REQ)
		return -1;
	for (unsigned c = bst_size_to_class(n ? n : 1); c < BST_NUM_CLASSES; c++)
		if ((bst_class_size[c] & (align - 1)) == 0)
			return (int)c;
	return -1;
}
