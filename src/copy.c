/*
 * Checked copies (libbastion.so only): memcpy, memmove, memset, mempcpy,
 * the str*cpy/str*cat family and glibc's fortified __*_chk entry points
 * are exported here, so a program's copies reach them instead of glibc's.
 * When the destination lies in a zone chunk, the write must stay within
 * the bytes that chunk was allocated for (byte-exact bounds, chunk.h): a
 * write past its requested end, or one that starts in another chunk's
 * slack, canary or an idle chunk (an underflow from the block after it),
 * is reported as heap-overflow; into a freed chunk, as write-after-free.
 * Anything else goes to glibc's implementation unchanged: the test for
 * "in a zone" is one subtraction and one compare.
 *
 * glibc's functions are looked up once, at initialisation, and kept in
 * the read-only globals (bst_g.libc). Until then (copies made by
 * constructors that run before bastion's, or by the lookup itself) plain
 * byte loops do the work. Large and sampled blocks are not looked up
 * here (that takes a lock): they end against guard pages, which stop a
 * long copy at the first byte past them.
 *
 * Nothing inside bastion may write a chunk through these names while the
 * chunk is not live: the wipe of a freed chunk uses bst_wipe.
 */
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chunk.h"

void __chk_fail(void) __attribute__((noreturn));
int __vsprintf_chk(char *, int, size_t, const char *, va_list);
int __vsnprintf_chk(char *, size_t, int, size_t, const char *, va_list);

/* ---- glibc's functions ---- */

static void *lookup(void *libc, const char *name, void *ours)
{
	void *f = dlsym(RTLD_NEXT, name);
	if ((!f || f == ours) && libc)
		f = dlsym(libc, name);
	return f == ours ? NULL : f;
}

void bst_copy_init(void)
{
	/* With libbastion.so linked after libc, RTLD_NEXT finds nothing:
	 * then libc's own definitions. */
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	bst_g.libc.memcpy = lookup(libc, "memcpy", (void *)memcpy);
	bst_g.libc.memmove = lookup(libc, "memmove", (void *)memmove);
	bst_g.libc.memset = lookup(libc, "memset", (void *)memset);
	bst_g.libc.sigaction = lookup(libc, "sigaction", (void *)sigaction);
	bst_g.libc.signal = lookup(libc, "signal", (void *)signal);
	if (libc)
		dlclose(libc);
}

/* The byte loops used until then; volatile, so that the compiler does
 * not turn them back into calls to memcpy and memset. */
static void *loop_move(void *d, const void *s, size_t n)
{
	volatile unsigned char *dv = d;
	const volatile unsigned char *sv = s;
	if ((uintptr_t)d <= (uintptr_t)s) {
		for (size_t i = 0; i < n; i++)
			dv[i] = sv[i];
	} else {
		for (size_t i = n; i-- > 0;)
			dv[i] = sv[i];
	}
	return d;
}

static void *loop_set(void *d, int c, size_t n)
{
	volatile unsigned char *dv = d;
	for (size_t i = 0; i < n; i++)
		dv[i] = (unsigned char)c;
	return d;
}

static void *real_memcpy(void *d, const void *s, size_t n)
{
	void *(*f)(void *, const void *, size_t) = bst_g.libc.memcpy;
	return f ? f(d, s, n) : loop_move(d, s, n);
}

static void *real_memmove(void *d, const void *s, size_t n)
{
	void *(*f)(void *, const void *, size_t) = bst_g.libc.memmove;
	return f ? f(d, s, n) : loop_move(d, s, n);
}

static void *real_memset(void *d, int c, size_t n)
{
	void *(*f)(void *, int, size_t) = bst_g.libc.memset;
	return f ? f(d, c, n) : loop_set(d, c, n);
}

void bst_wipe(void *p, int c, size_t n)
{
	real_memset(p, c, n);
}

/* ---- the check ---- */

BST_NORETURN BST_COLD static void overflow(enum bst_error kind, const char *fn, uintptr_t q,
                                           size_t n, size_t off, size_t req, const bst_zone_t *z)
{
	char msg[160];
	size_t k = 0, cap = sizeof(msg) - 1;
	k = bst_append(msg, k, cap, fn);
	k = bst_append(msg, k, cap, " of ");
	k = bst_append_dec(msg, k, cap, n);
	k = bst_append(msg, k, cap, " bytes at offset ");
	k = bst_append_dec(msg, k, cap, off);
	k = bst_append(msg, k, cap, req == SIZE_MAX ? " of an idle chunk" : " of a block of ");
	if (req != SIZE_MAX) {
		k = bst_append_dec(msg, k, cap, req);
		k = bst_append(msg, k, cap, " bytes");
	}
	msg[k] = 0;
	bst_fatal(kind, msg, (void *)q, z->size);
}

/* Bytes from a, which lies in the zone region, to the end of the live
 * block it is in; SIZE_MAX where bastion cannot judge (nothing writable
 * there: the write faults by itself; or a chunk whose bounds are moving).
 * A write that starts in an idle chunk is reported at once. */
BST_NOINLINE static size_t zone_room(uintptr_t a, const char *fn, size_t n)
{
	bst_zone_t *z = &bst_g.zones[(a - bst_g.region) >> BST_ZONE_SHIFT];
	if (!atomic_load_explicit(&z->active, memory_order_acquire) || z->cls == 0 || a < z->user)
		return SIZE_MAX;
	uint32_t i = bst_chunk_index(z, a - z->user);
	if (i >= atomic_load_explicit(&z->frontier, memory_order_relaxed))
		return SIZE_MAX; /* past the window: inaccessible */
	uintptr_t q = z->user + (uintptr_t)i * z->size;
	size_t off = a - q;
	unsigned st = bst_state_get(z, i);
	if (st == BST_STATE_FREED)
		overflow(BST_E_WRITE_AFTER_FREE, fn, q, n, off, SIZE_MAX, z);
	if (st != BST_STATE_USED)
		overflow(BST_E_HEAP_OVERFLOW, fn, q, n, off, SIZE_MAX, z);
	uint64_t t = bst_tail_load(bst_chunk_canary_slot(z, (void *)q));
	for (unsigned kind = BST_KIND_MALLOC; kind < BST_KIND_CANARY_CHUNK; kind++) {
		uint32_t slack = bst_tail_slack(z, q, kind, t);
		if (slack == UINT32_MAX)
			continue;
		size_t req = z->size - BST_CANARY_SIZE - slack;
		if (off >= req)
			overflow(BST_E_HEAP_OVERFLOW, fn, q, n, off, req, z);
		return req - off;
	}
	/* A tail of no live kind: a realloc moving the chunk's bounds, or an
	 * overwritten canary, which the free reports. */
	return SIZE_MAX;
}

/* Reports a write of n bytes at a past the block it starts in. */
BST_NORETURN BST_COLD static void overflow_at(uintptr_t a, size_t n, const char *fn)
{
	bst_zone_t *z = &bst_g.zones[(a - bst_g.region) >> BST_ZONE_SHIFT];
	uintptr_t q = z->user + (uintptr_t)bst_chunk_index(z, a - z->user) * z->size;
	size_t room = zone_room(a, fn, n);
	overflow(BST_E_HEAP_OVERFLOW, fn, q, n, a - q, a - q + room, z);
}

static inline bool in_zones(const void *d)
{
	return bst_unlikely((uintptr_t)d - bst_g.region < bst_g.region_size) &&
	       bst_g.opt.checked_copies;
}

static inline void check_write(const void *d, size_t n, const char *fn)
{
	if (!in_zones(d) || n == 0)
		return;
	size_t room = zone_room((uintptr_t)d, fn, n);
	if (room != SIZE_MAX && n > room)
		overflow_at((uintptr_t)d, n, fn);
}

/* ---- the exported functions ---- */

#define BST_COPY_EXPORT __attribute__((visibility("default")))

BST_COPY_EXPORT void *memcpy(void *d, const void *s, size_t n)
{
	check_write(d, n, "memcpy");
	return real_memcpy(d, s, n);
}

BST_COPY_EXPORT void *memmove(void *d, const void *s, size_t n)
{
	check_write(d, n, "memmove");
	return real_memmove(d, s, n);
}

BST_COPY_EXPORT void *memset(void *d, int c, size_t n)
{
	check_write(d, n, "memset");
	return real_memset(d, c, n);
}

BST_COPY_EXPORT void *mempcpy(void *d, const void *s, size_t n)
{
	check_write(d, n, "mempcpy");
	return (char *)real_memcpy(d, s, n) + n;
}

BST_COPY_EXPORT char *strcpy(char *d, const char *s)
{
	size_t n = strlen(s) + 1;
	check_write(d, n, "strcpy");
	return real_memcpy(d, s, n);
}

BST_COPY_EXPORT char *stpcpy(char *d, const char *s)
{
	size_t n = strlen(s);
	check_write(d, n + 1, "stpcpy");
	real_memcpy(d, s, n + 1);
	return d + n;
}

/* strncpy writes exactly n bytes: the string, then NULs. */
static char *ncpy(char *d, const char *s, size_t n, const char *fn)
{
	size_t k = strnlen(s, n);
	check_write(d, n, fn);
	real_memcpy(d, s, k);
	real_memset(d + k, 0, n - k);
	return d;
}

BST_COPY_EXPORT char *strncpy(char *d, const char *s, size_t n)
{
	return ncpy(d, s, n, "strncpy");
}

BST_COPY_EXPORT char *stpncpy(char *d, const char *s, size_t n)
{
	size_t k = strnlen(s, n);
	ncpy(d, s, n, "stpncpy");
	return d + k;
}

BST_COPY_EXPORT char *strcat(char *d, const char *s)
{
	size_t dl = strlen(d), n = strlen(s) + 1;
	check_write(d, dl + n, "strcat");
	real_memcpy(d + dl, s, n);
	return d;
}

BST_COPY_EXPORT char *strncat(char *d, const char *s, size_t n)
{
	size_t dl = strlen(d), k = strnlen(s, n);
	check_write(d, dl + k + 1, "strncat");
	real_memcpy(d + dl, s, k);
	d[dl + k] = 0;
	return d;
}

/* Fortified entry points (_FORTIFY_SOURCE): dl is what the compiler knows
 * of the destination; a longer copy is glibc's buffer overflow. */
static void fortify(size_t need, size_t dl)
{
	if (bst_unlikely(need > dl))
		__chk_fail();
}

BST_COPY_EXPORT void *__memcpy_chk(void *d, const void *s, size_t n, size_t dl)
{
	fortify(n, dl);
	return memcpy(d, s, n);
}

BST_COPY_EXPORT void *__memmove_chk(void *d, const void *s, size_t n, size_t dl)
{
	fortify(n, dl);
	return memmove(d, s, n);
}

BST_COPY_EXPORT void *__memset_chk(void *d, int c, size_t n, size_t dl)
{
	fortify(n, dl);
	return memset(d, c, n);
}

BST_COPY_EXPORT void *__mempcpy_chk(void *d, const void *s, size_t n, size_t dl)
{
	fortify(n, dl);
	return mempcpy(d, s, n);
}

BST_COPY_EXPORT char *__strcpy_chk(char *d, const char *s, size_t dl)
{
	fortify(strlen(s) + 1, dl);
	return strcpy(d, s);
}

BST_COPY_EXPORT char *__stpcpy_chk(char *d, const char *s, size_t dl)
{
	fortify(strlen(s) + 1, dl);
	return stpcpy(d, s);
}

BST_COPY_EXPORT char *__strncpy_chk(char *d, const char *s, size_t n, size_t dl)
{
	fortify(n, dl);
	return strncpy(d, s, n);
}

BST_COPY_EXPORT char *__stpncpy_chk(char *d, const char *s, size_t n, size_t dl)
{
	fortify(n, dl);
	return stpncpy(d, s, n);
}

BST_COPY_EXPORT char *__strcat_chk(char *d, const char *s, size_t dl)
{
	fortify(strlen(d) + strlen(s) + 1, dl);
	return strcat(d, s);
}

BST_COPY_EXPORT char *__strncat_chk(char *d, const char *s, size_t n, size_t dl)
{
	fortify(strlen(d) + strnlen(s, n) + 1, dl);
	return strncat(d, s, n);
}

/* The sprintf family: into a live block the output is formatted with its
 * room as the limit, so nothing is written past it; output that did not
 * fit is the overflow. Only the variadic forms are checked (the v*
 * forms are left to glibc): these call glibc's v* functions, which
 * libbastion.so does not define. */
static int checked_format(char *d, size_t max, int flag, size_t dl, const char *fn, const char *fmt,
                          va_list ap)
{
	/* snprintf(end, 0, ...) writes nothing: buf + n at a full buffer is
	 * the usual way to measure what would not fit. */
	size_t room = in_zones(d) && max != 0 ? zone_room((uintptr_t)d, fn, 1) : SIZE_MAX;
	if (room == SIZE_MAX) { /* not a block bastion judges: glibc as called */
		if (flag < 0)
			return max == SIZE_MAX ? vsprintf(d, fmt, ap) : vsnprintf(d, max, fmt, ap);
		return max == SIZE_MAX ? __vsprintf_chk(d, flag, dl, fmt, ap)
		                       : __vsnprintf_chk(d, max, flag, dl, fmt, ap);
	}
	size_t lim = max < room ? max : room;
	if (flag >= 0 && dl < lim)
		lim = dl;
	int r = flag < 0 ? vsnprintf(d, lim, fmt, ap) : __vsnprintf_chk(d, lim, flag, lim, fmt, ap);
	if (r >= 0 && flag >= 0 && (size_t)r >= dl && max > dl)
		__chk_fail(); /* what glibc's fortified sprintf does */
	if (r >= 0 && (size_t)r >= room && max > room)
		overflow_at((uintptr_t)d, (size_t)r + 1, fn);
	return r;
}

BST_COPY_EXPORT int sprintf(char *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = checked_format(d, SIZE_MAX, -1, 0, "sprintf", fmt, ap);
	va_end(ap);
	return r;
}

BST_COPY_EXPORT int snprintf(char *d, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = checked_format(d, n, -1, 0, "snprintf", fmt, ap);
	va_end(ap);
	return r;
}

BST_COPY_EXPORT int __sprintf_chk(char *d, int flag, size_t dl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = checked_format(d, SIZE_MAX, flag < 0 ? 0 : flag, dl, "sprintf", fmt, ap);
	va_end(ap);
	return r;
}

BST_COPY_EXPORT int __snprintf_chk(char *d, size_t n, int flag, size_t dl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (n > dl)
		__chk_fail();
	int r = checked_format(d, n, flag < 0 ? 0 : flag, dl, "snprintf", fmt, ap);
	va_end(ap);
	return r;
}
