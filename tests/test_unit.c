/* Unit tests of bastion's internals: size classes, the division by
 * multiplication behind chunk lookup, the state bitmap transitions and
 * pointer-to-zone lookup. */
#include <stdint.h>
#include <string.h>

#include "bastion.h"
#include "check.h"
#include "chunk.h"
#include "internal.h"

static void test_size_classes(void)
{
	/* Classes strictly increase and are 16-byte multiples. */
	for (unsigned c = 2; c < BST_NUM_CLASSES; c++) {
		CHECK(bst_class_size[c] > bst_class_size[c - 1]);
		CHECK(bst_class_size[c] % 16 == 0);
	}
	CHECK(bst_class_size[BST_NUM_CLASSES - 1] == BST_MAX_SMALL);
	CHECK(bst_size_to_class(0) == 0);
	/* Every request maps to the smallest class that holds it plus its
	 * canary, and waste above 128 bytes stays under 25%. */
	for (size_t n = 1; n <= BST_MAX_SMALL_REQ; n++) {
		unsigned c = bst_size_to_class(n);
		if (c < 1 || c >= BST_NUM_CLASSES) {
			CHECK(c >= 1 && c < BST_NUM_CLASSES);
			break;
		}
		CHECK(bst_class_usable(c) >= n);
		if (c > 1)
			CHECK(bst_class_usable(c - 1) < n);
		if (n + BST_CANARY_SIZE > 128) {
			double waste =
			    (double)(bst_class_size[c] - n - BST_CANARY_SIZE) / bst_class_size[c];
			CHECK(waste < 0.25);
		}
		if (check_failures)
			break;
	}
	CHECK(bastion_chunk_size(BST_MAX_SMALL_REQ + 1) == 0);
	CHECK(bastion_chunk_size(1) == 16);
	CHECK(bastion_chunk_size(9) == 32);
	/* Aligned classes: size is a multiple of the alignment. */
	for (size_t a = 16; a <= BST_MAX_SMALL; a <<= 1)
		for (size_t n = 1; n <= BST_MAX_SMALL_REQ; n = n * 3 + 1) {
			int c = bst_class_for_aligned(n, a);
			if (c < 0) {
				CHECK(n + BST_CANARY_SIZE > BST_MAX_SMALL - (BST_MAX_SMALL % a));
				continue;
			}
			CHECK(bst_class_size[c] % a == 0);
			CHECK(bst_class_usable((unsigned)c) >= n);
		}
}

static void test_chunk_index(void)
{
	/* (off * magic) >> 40 must equal off / size for every offset in a zone. */
	for (unsigned c = 1; c < BST_NUM_CLASSES; c++) {
		bst_zone_t z;
		memset(&z, 0, sizeof(z));
		z.size = bst_class_size[c];
		z.magic = ((uint64_t)1 << 40) / z.size + 1;
		for (uintptr_t off = 0; off < BST_ZONE_SIZE; off += (c < 4 ? 1 : 7))
			if (bst_chunk_index(&z, off) != off / z.size) {
				CHECK(bst_chunk_index(&z, off) == off / z.size);
				break;
			}
		CHECK(bst_chunk_index(&z, BST_ZONE_SIZE - 1) == (BST_ZONE_SIZE - 1) / z.size);
	}
}

static void test_state_bitmap(void)
{
	_Atomic uint64_t words[4] = {0};
	bst_zone_t z;
	memset(&z, 0, sizeof(z));
	z.state = words;
	z.size = 16;
	/* claim moves 00 and 01 to 10 without touching neighbours. */
	for (uint32_t i = 0; i < 128; i += 3)
		bst_state_claim(&z, i, 0, bst_state_get(&z, i));
	for (uint32_t i = 0; i < 128; i++) {
		unsigned st = (unsigned)(words[i >> 5] >> ((i & 31) * 2)) & 3;
		CHECK(st == (i % 3 == 0 ? BST_STATE_USED : BST_STATE_NEVER));
	}
	/* Set chunk 5 to freed by hand, then claim it again. */
	words[0] = (words[0] & ~(3ull << 10)) | ((uint64_t)BST_STATE_FREED << 10);
	bst_state_claim(&z, 5, 0, bst_state_get(&z, 5));
	CHECK(((words[0] >> 10) & 3) == BST_STATE_USED);
}

static void test_zone_lookup(void)
{
	void *p = bastion_malloc(100);
	CHECK(p != NULL);
	bst_zone_t *z = bst_zone_of(p);
	CHECK(z != NULL);
	CHECK(z->size == bst_class_size[bst_size_to_class(100)]);
	CHECK((uintptr_t)p >= z->user && (uintptr_t)p < z->user + BST_ZONE_USER);
	CHECK(bst_zone_of((char *)z->user + BST_ZONE_USER) == z); /* guard page: same slot */
	int local;
	CHECK(bst_zone_of(&local) == NULL);
	CHECK(bst_zone_of(NULL) == NULL);
	CHECK(bst_zone_of((void *)(bst_g.region + bst_g.region_size)) == NULL);
	void *big = bastion_malloc(1 << 20);
	CHECK(bst_zone_of(big) == NULL);
	bst_large_info_t info;
	CHECK(bst_large_info(big, &info, "test") && info.usable >= 1 << 20);
	CHECK(!bst_large_info(&local, &info, "test"));
	bastion_free(big);
	bastion_free(p);
}

int main(void)
{
	test_size_classes();
	test_chunk_index();
	test_state_bitmap();
	test_zone_lookup();
	CHECK_DONE();
}
