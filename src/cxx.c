/*
 * The C++ allocation operators (new, new[], their nothrow and aligned
 * forms, and every delete, sized and aligned), defined by their Itanium ABI
 * names so the library stays plain C. Each family tags its blocks (the
 * kind, folded into the canary), so free() of a new'd block, delete of a
 * malloc'd one, delete of new[] and a sized delete with the wrong size are
 * all reported.
 *
 * A failed throwing new calls the program's new_handler, or throws
 * std::bad_alloc through the C++ runtime, reached by weak references: a C
 * program that never uses operator new does not load libstdc++ because of
 * bastion.
 */
#include <errno.h>
#include <stdint.h>

#include "internal.h"

#ifndef BASTION_OVERRIDE_MALLOC
#define BASTION_OVERRIDE_MALLOC 0
#endif

#if BASTION_OVERRIDE_MALLOC

typedef void (*new_handler_t)(void);
extern new_handler_t _ZSt15get_new_handlerv(void) __attribute__((weak));
extern void *__cxa_allocate_exception(size_t) __attribute__((weak));
extern void __cxa_throw(void *, void *, void (*)(void *)) __attribute__((weak));
extern char _ZTISt9bad_alloc[] __attribute__((weak)); /* typeinfo */
extern char _ZTVSt9bad_alloc[] __attribute__((weak)); /* vtable */
extern void _ZNSt9bad_allocD1Ev(void *) __attribute__((weak));

BST_NORETURN BST_COLD static void throw_bad_alloc(void)
{
	if (!__cxa_allocate_exception || !__cxa_throw || !_ZTISt9bad_alloc || !_ZTVSt9bad_alloc)
		bst_fatal(BST_E_OUT_OF_MEMORY, "operator new failed and no C++ runtime can throw",
		          NULL, 0);
	void **e = __cxa_allocate_exception(sizeof(void *));
	*e = _ZTVSt9bad_alloc + 2 * sizeof(void *); /* the object's vtable pointer */
	__cxa_throw(e, _ZTISt9bad_alloc, _ZNSt9bad_allocD1Ev);
	__builtin_unreachable();
}

static void *new_impl(size_t size, size_t align, unsigned kind, bool nothrow)
{
	for (;;) {
		bool zeroed;
		void *p = bst_alloc(size, align, kind, &zeroed);
		if (p)
			return p;
		new_handler_t h = _ZSt15get_new_handlerv ? _ZSt15get_new_handlerv() : NULL;
		if (!h) {
			if (nothrow)
				return NULL;
			throw_bad_alloc();
		}
		h(); /* may throw; nothrow callers are noexcept, as in libstdc++ */
	}
}

/* An alignment argument that is not a power of two is undefined behaviour
 * in C++; treat it as corruption rather than guess. */
static size_t check_align(size_t align)
{
	if (!align || (align & (align - 1)))
		bst_fatal(BST_E_INVALID_ALIGNMENT, "operator new with a bad alignment", NULL,
		          align);
	return align;
}

#define NEW     BST_KIND_NEW
#define NEW_ARR BST_KIND_NEW_ARRAY
#define API     BST_EXPORT

/* operator new / new[] */
API void *_Znwm(size_t n)
{
	return new_impl(n, 0, NEW, false);
}
API void *_Znam(size_t n)
{
	return new_impl(n, 0, NEW_ARR, false);
}
API void *_ZnwmRKSt9nothrow_t(size_t n, const void *nt)
{
	(void)nt;
	return new_impl(n, 0, NEW, true);
}
API void *_ZnamRKSt9nothrow_t(size_t n, const void *nt)
{
	(void)nt;
	return new_impl(n, 0, NEW_ARR, true);
}
API void *_ZnwmSt11align_val_t(size_t n, size_t a)
{
	return new_impl(n, check_align(a), NEW, false);
}
API void *_ZnamSt11align_val_t(size_t n, size_t a)
{
	return new_impl(n, check_align(a), NEW_ARR, false);
}
API void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t a, const void *nt)
{
	(void)nt;
	return new_impl(n, check_align(a), NEW, true);
}
API void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t a, const void *nt)
{
	(void)nt;
	return new_impl(n, check_align(a), NEW_ARR, true);
}

/* operator delete / delete[] */
API void _ZdlPv(void *p)
{
	bst_dealloc(p, NEW, false, 0, 0);
}
API void _ZdaPv(void *p)
{
	bst_dealloc(p, NEW_ARR, false, 0, 0);
}
API void _ZdlPvRKSt9nothrow_t(void *p, const void *nt)
{
	(void)nt;
	bst_dealloc(p, NEW, false, 0, 0);
}
API void _ZdaPvRKSt9nothrow_t(void *p, const void *nt)
{
	(void)nt;
	bst_dealloc(p, NEW_ARR, false, 0, 0);
}
API void _ZdlPvm(void *p, size_t n)
{
	bst_dealloc(p, NEW, true, 0, n);
}
API void _ZdaPvm(void *p, size_t n)
{
	bst_dealloc(p, NEW_ARR, true, 0, n);
}
API void _ZdlPvSt11align_val_t(void *p, size_t a)
{
	bst_dealloc(p, NEW, false, a, 0);
}
API void _ZdaPvSt11align_val_t(void *p, size_t a)
{
	bst_dealloc(p, NEW_ARR, false, a, 0);
}
API void _ZdlPvmSt11align_val_t(void *p, size_t n, size_t a)
{
	bst_dealloc(p, NEW, true, a, n);
}
API void _ZdaPvmSt11align_val_t(void *p, size_t n, size_t a)
{
	bst_dealloc(p, NEW_ARR, true, a, n);
}
API void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t a, const void *nt)
{
	(void)nt;
	bst_dealloc(p, NEW, false, a, 0);
}
API void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t a, const void *nt)
{
	(void)nt;
	bst_dealloc(p, NEW_ARR, false, a, 0);
}

#endif /* BASTION_OVERRIDE_MALLOC */
