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
#include <stdio.h> /* FILE, for bastion_malloc_info */

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
 *                         (1 .. 131064); NULL with errno EINVAL for a bad
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

/* ---- statistics ----
 * bastion_stats fills *out with a snapshot of the heap, taken without
 * allocating and holding at most one of bastion's locks at a time; other
 * threads keep running, so the numbers of a busy heap are a moment's view,
 * not one consistent state. Set out->version to BASTION_STATS_VERSION
 * first: bastion fills the layout of that version (the struct only grows at
 * its end), or of its own if it is older, and says which in out->version.
 * Returns 0, or -1 with errno EINVAL for a NULL out or a version of 0.
 *
 * Every chunk a class's zones have exposed to allocation is in exactly one
 * of: in use (handed out), quarantined (freed, waiting in a thread's
 * quarantine ring, a drain buffer or a shared FIFO), cached (in a thread
 * cache's bin, not yet handed out), free (in its zone's available set) or
 * a canary chunk (never handed out). Chunks moving between two of these
 * while the snapshot is taken may be counted in neither. */
/* Version 2: 49 classes (the medium classes, 80-128 KiB, were added);
 * version 1 had 45. A version 1 caller gets the version 1 layout. */
#define BASTION_STATS_VERSION 2
#define BASTION_STATS_CLASSES 49 /* class 0 is malloc(0)'s */

struct bastion_stats_class {
	/* Bytes per chunk, canary included; 0 for class 0, whose chunks are
	 * inaccessible address space. */
	size_t chunk_size;
	size_t zones;          /* 4 MiB zones of the class */
	size_t chunks_exposed; /* chunks the zones have exposed so far */
	size_t chunks_in_use;
	size_t chunks_quarantined;
	size_t chunks_cached;
	size_t chunks_free;
	size_t chunks_canary;
	size_t bytes_in_use;   /* chunks_in_use * chunk_size */
	size_t bytes_mapped;   /* accessible user areas plus zone metadata */
	size_t bytes_resident; /* the part of bytes_mapped in memory (mincore) */
};

struct bastion_stats {
	unsigned version;  /* in: BASTION_STATS_VERSION; out: the version filled in */
	unsigned nclasses; /* out: BASTION_STATS_CLASSES */
	struct bastion_stats_class classes[BASTION_STATS_CLASSES];
	/* Allocations above the biggest class, one mapping each. bytes_mapped
	 * counts their data pages (guard pages are inaccessible). quarantined:
	 * freed large and sampled allocations still held inaccessible. */
	struct {
		size_t count, bytes_in_use, bytes_mapped, bytes_resident, quarantined;
	} large;
	/* Small allocations that sampling put on a page of their own. */
	struct {
		size_t count, bytes_in_use, bytes_mapped, bytes_resident;
	} sampled;
	/* Private zones (bastion_zone_*): handles, their 4 MiB slots, objects
	 * handed out and objects in their quarantines. Not in classes[]. */
	struct {
		size_t zones, slots, objects_in_use, objects_quarantined;
		size_t bytes_in_use, bytes_mapped, bytes_resident;
	} private_zones;
	/* classes[], large, sampled and private_zones added up. bastion's own
	 * bookkeeping outside the zones (thread caches, large-allocation
	 * records) is not counted. */
	struct {
		size_t bytes_in_use, bytes_mapped, bytes_resident;
	} total;
};

int bastion_stats(struct bastion_stats *out);

/* The same snapshot as one JSON object, for monitoring agents:
 *   {"format":"bastion-stats-1","pid":N,"program":"name",
 *    "classes":[{"class":N,"chunk_size":N,"zones":N,"chunks_exposed":N,
 *                "chunks_in_use":N,"chunks_quarantined":N,"chunks_cached":N,
 *                "chunks_free":N,"chunks_canary":N,"bytes_in_use":N,
 *                "bytes_mapped":N,"bytes_resident":N}, ...],
 *    "large":{"count":N,"bytes_in_use":N,"bytes_mapped":N,
 *             "bytes_resident":N,"quarantined":N},
 *    "sampled":{"count":N,"bytes_in_use":N,"bytes_mapped":N,"bytes_resident":N},
 *    "private_zones":{"zones":N,"slots":N,"objects_in_use":N,
 *                     "objects_quarantined":N,"bytes_in_use":N,
 *                     "bytes_mapped":N,"bytes_resident":N},
 *    "total":{"bytes_in_use":N,"bytes_mapped":N,"bytes_resident":N}}
 * with only the classes that have zones, fields as in struct bastion_stats.
 * Written into buf (at most size bytes, NUL included; buf may be NULL when
 * size is 0) without allocating; returns the object's length, which may be
 * more than fit, as snprintf does. With stats_at_exit=1,stats_format=json
 * the exit report is this object and a newline. */
size_t bastion_stats_json(char *buf, size_t size);

/* glibc's introspection functions, built on bastion_stats; with
 * BASTION_OVERRIDE_MALLOC the standard names are these.
 *   bastion_malloc_stats  a table to stderr (write(2), no allocation): a line
 *                         per class that has zones, then large, sampled,
 *                         private zones and totals.
 *   bastion_malloc_info   the same numbers as XML on fp (glibc's layout, with
 *                         <malloc version="bastion-1" pid="N" program="name">);
 *                         options must be 0.
 *                         Returns 0, or -1 with errno EINVAL (options != 0,
 *                         fp NULL) or the error of a failed write.
 *   bastion_mallinfo2     arena: bytes mapped outside large allocations;
 *                         ordblks/fordblks: free and cached chunks and their
 *                         bytes; hblks/hblkhd: large allocations and their
 *                         bytes mapped; uordblks: bytes in use outside large
 *                         allocations; the rest 0.
 *   bastion_mallinfo      the same, each field clamped to INT_MAX.
 * The structs come from <malloc.h> (glibc); they are only declared here, so
 * this header does not need it. */
struct mallinfo;
struct mallinfo2;
void bastion_malloc_stats(void);
int bastion_malloc_info(int options, FILE *fp);
struct mallinfo2 bastion_mallinfo2(void);
struct mallinfo bastion_mallinfo(void);

/* Walks the whole heap and checks everything it can: the canary of every
 * live chunk and large allocation, the wipe and canary of every freed
 * chunk, every canary chunk. A problem is fatal (one "bastion: <kind>:"
 * line, abort) unless BASTION_OPTIONS has verify_abort=0, in which case
 * each is reported and counted. Returns the number of problems found. */
size_t bastion_verify(void);

/* Run-time control.
 *   bastion_purge        gives back to the system every page the heap can
 *                        spare now: emptied zones whole, and whole pages of
 *                        idle chunks in the others (quarantined chunks stay
 *                        quarantined). Returns the bytes given back.
 *   bastion_malloc_trim  glibc's malloc_trim: bastion_purge; 1 if anything
 *                        was given back, else 0. pad is ignored.
 *   bastion_mallopt      glibc's mallopt: M_MXFAST (in glibc's range),
 *                        M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD,
 *                        M_MMAP_MAX, M_CHECK_ACTION, M_ARENA_TEST and
 *                        M_ARENA_MAX are accepted (1) and change nothing;
 *                        M_PERTURB (use the options alloc_fill and
 *                        free_fill) and unknown parameters give 0.
 * With BASTION_OVERRIDE_MALLOC the standard names are these. */
size_t bastion_purge(void);
int bastion_malloc_trim(size_t pad);
int bastion_mallopt(int param, int value);

/* Options a program bakes in: define this function in a program linked
 * with bastion (statically, or against libbastion.so) and bastion applies
 * the string it returns, "name=value,..." as in BASTION_OPTIONS, before
 * the environment's, which can change any of them, except in a privileged
 * process (setuid, setgid, file capabilities), where the environment may
 * only tighten bastion and cannot change what the program set. A program
 * that is only preloaded must export it (-rdynamic) for bastion to see it.
 * bastion calls it once, while it starts: it must not allocate. Declared
 * with default visibility, so that a definition after this header is
 * exported even from a program built with -fvisibility=hidden. */
__attribute__((visibility("default"))) const char *bastion_default_options(void);

/* Size class of a small chunk size: the smallest chunk that holds a request
 * of `size` bytes. Exposed for tests and tools. Returns 0 for sizes served
 * by dedicated mappings ("large" allocations). */
size_t bastion_chunk_size(size_t size);

#ifdef __cplusplus
}
#endif

#endif /* BASTION_H */
