/*
 * bastion: a hardened memory allocator.
 *
 * The standard functions (malloc, free, ...) need no header of ours: link or
 * preload libbastion and they are bastion's. This header declares the same
 * functions under a bastion_ prefix, so tests, fuzzers and programs built
 * with sanitizers can use the allocator without replacing the process
 * malloc, plus bastion's own extensions.
 *
 * Contract shared by every function here:
 *   - Invalid requests (impossible sizes, bad alignments) return NULL (or an
 *     error number for bastion_posix_memalign) with errno set, and change
 *     nothing.
 *   - Detected heap corruption (double free, invalid free, a corrupted
 *     canary, ...) writes one line "bastion: <kind>: ..." to stderr and
 *     aborts the process. It never returns.
 */
#ifndef BASTION_H
#define BASTION_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *bastion_malloc(size_t size);
void bastion_free(void *ptr);
void *bastion_calloc(size_t count, size_t size);
void *bastion_realloc(void *ptr, size_t size);
void *bastion_reallocarray(void *ptr, size_t count, size_t size);
int bastion_posix_memalign(void **out, size_t alignment, size_t size);
void *bastion_aligned_alloc(size_t alignment, size_t size);
void *bastion_memalign(size_t alignment, size_t size);
void *bastion_valloc(size_t size);
void *bastion_pvalloc(size_t size);
size_t bastion_malloc_usable_size(void *ptr);
/* C23: size must be the size the block was requested with. */
void bastion_free_sized(void *ptr, size_t size);
void bastion_free_aligned_sized(void *ptr, size_t alignment, size_t size);

/* ---- private zones ----
 * A private zone holds objects of one size and nothing else: its 4 MiB
 * zone slots are never shared with malloc or with another private zone, so
 * a dangling pointer to one of its objects can only ever meet another
 * object of the same zone (or fault). Give each sensitive type (sessions,
 * keys, parser nodes) its own zone. All functions are thread-safe.
 *
 *   bastion_zone_create   a zone for objects of object_size bytes
 *                         (1 .. 65528); NULL with errno EINVAL for a bad
 *                         size or unknown flags, ENOMEM when out of memory.
 *   bastion_zone_alloc    one object, zero-filled, 16-byte aligned; NULL
 *                         with errno ENOMEM (or EACCES while the zone is
 *                         protected).
 *   bastion_zone_free     gives an object back (NULL is ignored). Freed
 *                         objects are wiped and quarantined like heap
 *                         chunks. Freeing a zone object with free(), a heap
 *                         block with bastion_zone_free, or an object of
 *                         another zone is reported ("bastion: zone-mismatch")
 *                         and aborts.
 *   bastion_zone_destroy  frees every object and retires the zone's memory:
 *                         any later access through a pointer into it faults
 *                         (its address space is not reused while unused
 *                         slots remain). The handle is dead afterwards.
 *   bastion_zone_protect  makes every object inaccessible (PROT_NONE) until
 *   bastion_zone_unprotect  is called; 0 on success, -1 with errno set.
 * A handle bastion did not make (or a destroyed one) is reported
 * ("bastion: invalid-zone") and aborts. */
typedef struct bastion_zone bastion_zone_t;
/* bastion_zone_create flags. */
#define BASTION_ZONE_NODUMP 1u /* leave the zone's objects out of core dumps */

bastion_zone_t *bastion_zone_create(size_t object_size, unsigned flags);
void *bastion_zone_alloc(bastion_zone_t *zone);
void bastion_zone_free(bastion_zone_t *zone, void *ptr);
void bastion_zone_destroy(bastion_zone_t *zone);
int bastion_zone_protect(bastion_zone_t *zone);
int bastion_zone_unprotect(bastion_zone_t *zone);

/* Walks the whole heap and checks everything it can: the canary of every
 * live chunk and large allocation, the wipe and canary of every freed
 * chunk, every canary chunk. A problem is fatal (one "bastion: <kind>:"
 * line, abort) unless BASTION_OPTIONS has verify_abort=0, in which case
 * each is reported and counted. Returns the number of problems found. */
size_t bastion_verify(void);

/* Size class of a small chunk size: the smallest chunk that holds a request
 * of `size` bytes. Exposed for tests and tools. Returns 0 for sizes served
 * by dedicated mappings ("large" allocations). */
size_t bastion_chunk_size(size_t size);

#ifdef __cplusplus
}
#endif

#endif /* BASTION_H */
