/*
 * Mapping names: where the kernel supports PR_SET_VMA_ANON_NAME
 * (CONFIG_ANON_VMA_NAME, Linux 5.17+), /proc/self/maps names a zone of
 * 64-byte chunks "[anon:bastion zone 64]" and a private zone of 224-byte
 * chunks "[anon:bastion private zone 224]", and the blocks handed out lie
 * inside those mappings. Kernels without it refuse the call with EINVAL;
 * the test then says so and is skipped (exit 77), since there is nothing
 * to see.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "bastion.h"
#include "check.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA           0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

static int kernel_names_mappings(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	int ok = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, 4096UL,
	               (unsigned long)"bastion probe") == 0;
	munmap(p, 4096);
	return ok;
}

/* True if /proc/self/maps has a mapping named [anon:<name>] holding p. */
static int named_mapping_holds(const char *name, const void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], want[128];
	int found = 0;
	snprintf(want, sizeof(want), "[anon:%s]", name);
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && strstr(line, want) &&
		    (uintptr_t)p >= lo && (uintptr_t)p < hi)
			found = 1;
	}
	if (f)
		fclose(f);
	return found;
}

int main(void)
{
	void *b = bastion_malloc(50); /* 50 + 8-byte canary: the 64-byte class */
	bastion_zone_t *z = bastion_zone_create(200, 0);
	void *o = z ? bastion_zone_alloc(z) : NULL;
	CHECK(b && o);
	if (!kernel_names_mappings()) {
		printf("skipped: this kernel refuses PR_SET_VMA_ANON_NAME (errno %d): "
		       "no CONFIG_ANON_VMA_NAME, mappings stay unnamed\n",
		       errno);
		return 77;
	}
	CHECK(named_mapping_holds("bastion zone 64", b));
	CHECK(named_mapping_holds("bastion private zone 224", o));
	bastion_zone_free(z, o);
	bastion_zone_destroy(z);
	bastion_free(b);
	CHECK_DONE();
}
