/* Allocation before constructors and from inside the dynamic loader: this
 * program is linked against libbastion.so, allocates from a constructor
 * that runs at the earliest priority, and dlopen()s libraries (the loader
 * allocates and frees through bastion while it works). */
#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bastion.h"
#include "check.h"

static void *early[64];

__attribute__((constructor(101))) static void early_ctor(void)
{
	for (int i = 0; i < 64; i++) {
		early[i] = malloc((size_t)i * 37 + 1);
		if (early[i])
			memset(early[i], i, (size_t)i * 37 + 1);
	}
}

int main(void)
{
	/* Early blocks are real and bastion's: usable size is bastion's. */
	for (int i = 0; i < 64; i++) {
		CHECK(early[i] != NULL);
		CHECK(((uintptr_t)early[i] & 15) == 0);
		CHECK(((unsigned char *)early[i])[(size_t)i * 37] == (unsigned char)i);
		CHECK(malloc_usable_size(early[i]) == bastion_malloc_usable_size(early[i]));
		early[i] = realloc(early[i], 1000);
		CHECK(early[i] && ((unsigned char *)early[i])[0] == (unsigned char)i);
		free(early[i]);
	}
	CHECK(dlsym(RTLD_DEFAULT, "malloc") == dlsym(RTLD_DEFAULT, "bastion_malloc"));
	const char *libs[] = {"libm.so.6", "libz.so.1", "libsodium.so.23", "libresolv.so.2"};
	for (int round = 0; round < 20; round++)
		for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
			void *h = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);
			if (h)
				CHECK(dlclose(h) == 0);
		}
	void *h = dlopen("libm.so.6", RTLD_NOW);
	CHECK(h != NULL);
	CHECK(dlsym(h, "cos") != NULL);
	dlclose(h);
	CHECK_DONE();
}
