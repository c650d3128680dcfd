/*
 * The OS layer: every memory system call bastion makes (mmap, mprotect,
 * madvise, munmap, mremap, mincore, the VMA names, reads of
 * /proc/self/pagemap) goes through here, and nowhere else (the os_calls
 * test keeps it so). Failures are reported to the caller (NULL / false),
 * never fatal: running out of address space is an allocation failure, not
 * corruption.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <time.h>
#include <sys/prctl.h>

#include "internal.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA           0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

/* Reserves size bytes of inaccessible address space aligned to align (a
 * power of two >= the page size), near hint if that range is free. With
 * account, making it writable later is charged against the commit limit,
 * as a plain mmap would be, so absurd sizes fail like they do in glibc;
 * without, it is never charged (zones: address space, not memory). */
void *bst_os_reserve(size_t size, size_t align, uintptr_t hint, bool account)
{
	size_t span = size + (align > BST_PAGE ? align : 0);
	if (span < size)
		return NULL;
	int saved = errno;
	void *p = mmap((void *)hint, span, PROT_NONE,
	               MAP_PRIVATE | MAP_ANONYMOUS | (account ? 0 : MAP_NORESERVE), -1, 0);
	errno = saved;
	if (p == MAP_FAILED)
		return NULL;
	if (align <= BST_PAGE)
		return p;
	uintptr_t base = (uintptr_t)p;
	uintptr_t aligned = (base + align - 1) & ~(uintptr_t)(align - 1);
	if (aligned > base)
		munmap(p, aligned - base);
	uintptr_t end = base + span, want_end = aligned + size;
	if (end > want_end)
		munmap((void *)want_end, end - want_end);
	return (void *)aligned;
}

bool bst_os_commit(void *p, size_t size)
{
	int saved = errno;
	bool ok = mprotect(p, size, PROT_READ | PROT_WRITE) == 0;
	errno = saved;
	return ok;
}

/* Makes a committed range inaccessible again and gives its pages back. */
void bst_os_decommit(void *p, size_t size)
{
	int saved = errno;
	mmap(p, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	errno = saved;
}

/* madvise as a hint: a refusal changes nothing, errno included. */
static void advise(void *p, size_t size, int advice)
{
	int saved = errno;
	madvise(p, size, advice);
	errno = saved;
}

/* Gives the pages back; the range stays accessible and reads as zero.
 * False if the kernel refused (locked pages: mlockall(MCL_FUTURE)); the
 * range then holds what it held. */
bool bst_os_purge(void *p, size_t size)
{
	int saved = errno;
	bool ok = madvise(p, size, MADV_DONTNEED) == 0;
	errno = saved;
	return ok;
}

/* Asks for transparent huge pages (a hint: kernels without THP, or with
 * it off, refuse or ignore it). */
void bst_os_hugepages(void *p, size_t size)
{
	advise(p, size, MADV_HUGEPAGE);
}

/* Faults in every page of a fresh read-write range at once, where the
 * kernel can (MADV_POPULATE_WRITE, Linux 5.14): one system call instead of
 * one fault per page. */
void bst_os_populate(void *p, size_t size)
{
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
	advise(p, size, MADV_POPULATE_WRITE);
}

void bst_os_release(void *p, size_t size)
{
	int saved = errno;
	munmap(p, size);
	errno = saved;
}

/* Sets the access of committed range [p, p + size): BST_ACCESS_NONE,
 * _READ or _RW. False with errno set on failure (private zones report
 * it). */
bool bst_os_protect(void *p, size_t size, unsigned access)
{
	int prot = access == BST_ACCESS_RW     ? PROT_READ | PROT_WRITE
	           : access == BST_ACCESS_READ ? PROT_READ
	                                       : PROT_NONE;
	return mprotect(p, size, prot) == 0;
}

/* Leaves [p, p + size) out of core dumps (a hint). */
void bst_os_nodump(void *p, size_t size)
{
	advise(p, size, MADV_DONTDUMP);
}

/* Reserves exactly [p, p + size), inaccessible, if nothing is mapped there;
 * else false and nothing changes. */
bool bst_os_reserve_at(void *p, size_t size)
{
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
	int saved = errno;
	void *q =
	    mmap(p, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	errno = saved;
	if (q == MAP_FAILED)
		return false;
	/* Kernels before 4.17 take the address as a hint. */
	if (q != p) {
		bst_os_release(q, size);
		return false;
	}
	return true;
}

/* Moves the pages of [from, from + size) to to, whose reservation of
 * new_size bytes (>= size) it replaces; the pages past size are new and
 * read as zero. False (nothing moved) on failure. */
bool bst_os_move(void *from, size_t size, void *to, size_t new_size)
{
	int saved = errno;
	void *q = mremap(from, size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	errno = saved;
	return q != MAP_FAILED;
}

/* Names a mapping in /proc/PID/maps ("[anon:bastion ...]"). Kernels
 * without CONFIG_ANON_VMA_NAME refuse with EINVAL; after the first refusal
 * we stop asking. */
static _Atomic bool names_refused;

void bst_os_name(void *p, size_t size, const char *name)
{
	if (atomic_load_explicit(&names_refused, memory_order_relaxed))
		return;
	int saved = errno;
	if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, size, (unsigned long)name) !=
	        0 &&
	    errno == EINVAL)
		atomic_store_explicit(&names_refused, true, memory_order_relaxed);
	errno = saved;
}

/* A read-write mapping of size bytes (a page multiple) with an inaccessible
 * guard page on each side, for allocator metadata. */
void *bst_os_map_guarded(size_t size)
{
	char *base = bst_os_reserve(size + 2 * BST_PAGE, BST_PAGE, 0, true);
	if (!base)
		return NULL;
	if (!bst_os_commit(base + BST_PAGE, size)) {
		bst_os_release(base, size + 2 * BST_PAGE);
		return NULL;
	}
	return base + BST_PAGE;
}

void bst_os_unmap_guarded(void *p, size_t size)
{
	bst_os_release((char *)p - BST_PAGE, size + 2 * BST_PAGE);
}

/* mincore in steps of a stack vector's pages: no allocation, and a zone's
 * user area (1023 pages) takes one call. */
size_t bst_os_resident(const void *p, size_t size)
{
	unsigned char vec[1024];
	size_t resident = 0;
	int saved = errno;
	for (size_t off = 0; off < size; off += sizeof(vec) * BST_PAGE) {
		size_t len =
		    size - off < sizeof(vec) * BST_PAGE ? size - off : sizeof(vec) * BST_PAGE;
		if (mincore((void *)((uintptr_t)p + off), len, vec) != 0)
			continue;
		for (size_t k = 0; k < (len + BST_PAGE - 1) / BST_PAGE; k++)
			resident += (vec[k] & 1) * BST_PAGE;
	}
	errno = saved;
	return resident;
}

bool bst_os_pages_in_use(const void *p, size_t pages, uint64_t *map)
{
	/* /proc/self/pagemap: one 64-bit entry per page, bit 63 present, bit
	 * 62 swapped out. mincore cannot tell a swapped-out page (which holds
	 * data) from one never touched. Opened and closed each time: a
	 * descriptor kept open would follow the process into fork children
	 * (and describe the parent there) and could be closed under us. */
	int saved = errno;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errno = saved;
		return false;
	}
	uint64_t buf[256];
	uintptr_t first = (uintptr_t)p / BST_PAGE;
	bool ok = true;
	for (size_t k = 0; k < (pages + 63) / 64; k++)
		map[k] = 0;
	for (size_t done = 0; done < pages && ok;) {
		size_t n = pages - done < 256 ? pages - done : 256;
		ssize_t got = pread(fd, buf, n * 8, (off_t)((first + done) * 8));
		ok = got == (ssize_t)(n * 8);
		for (size_t k = 0; ok && k < n; k++)
			if (buf[k] >> 62)
				map[(done + k) / 64] |= 1ull << ((done + k) % 64);
		done += n;
	}
	close(fd);
	errno = saved;
	return ok;
}

uint32_t bst_os_now_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
		return 0;
	return (uint32_t)((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}
