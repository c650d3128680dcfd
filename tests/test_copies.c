/*
 * The checked copies of libbastion.so (src/copy.c): every exported copy
 * function gives glibc's results, inside heap blocks and outside them,
 * and stops a write past a block's requested end, one that starts in an
 * idle chunk, and one into a freed chunk, each in a child.
 *
 * Built with -fno-builtin and the sizes laundered, so every call is a
 * real call. Linked with libbastion.so: its memcpy is the process's.
 * Sampling is off (the test sets BASTION_OPTIONS): a sampled block is not
 * a zone chunk and is left to its guard page.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

int __sprintf_chk(char *, int, size_t, const char *, ...);
void *__memcpy_chk(void *, const void *, size_t, size_t);
char *__strcpy_chk(char *, const char *, size_t);

static volatile size_t sink;

static size_t launder(size_t n)
{
	sink = n;
	return sink;
}

static char *heap(size_t n)
{
	char *p = malloc(launder(n));
	CHECK(p != NULL);
	return p;
}

/* ---- results: the same as glibc's, exactly at the bounds ---- */

static void test_results(void)
{
	char *p = heap(32), *q = heap(32);
	char stack[32];
	for (int k = 0; k < 2; k++) {
		char *d = k ? stack : p;
		CHECK(memset(d, 'x', launder(32)) == d && d[0] == 'x' && d[31] == 'x');
		CHECK(memcpy(d, "0123456789abcdefghijklmnopqrstu", launder(32)) == d);
		CHECK(d[31] == 0 && strcmp(d, "0123456789abcdefghijklmnopqrstu") == 0);
		CHECK(memmove(d + 1, d, launder(31)) == d + 1 && d[1] == '0' && d[31] == 'u');
		CHECK(memmove(d, d + 1, launder(31)) == d && d[0] == '0' && d[30] == 'u');
		CHECK(mempcpy(d, "abc", launder(3)) == d + 3 && d[2] == 'c');
		CHECK(strcpy(d, "hello") == d && strcmp(d, "hello") == 0);
		CHECK(stpcpy(d, "hi") == d + 2 && strcmp(d, "hi") == 0);
		CHECK(strcat(d, " there") == d && strcmp(d, "hi there") == 0);
		CHECK(strncat(d, "!!!!", launder(2)) == d && strcmp(d, "hi there!!") == 0);
		memset(d, 'z', launder(32));
		CHECK(strncpy(d, "ab", launder(32)) == d && d[0] == 'a' && d[2] == 0 && d[31] == 0);
		memset(d, 'z', launder(32));
		CHECK(strncpy(d, "abcdef", launder(3)) == d && d[2] == 'c' && d[3] == 'z');
		CHECK(stpncpy(d, "ab", launder(8)) == d + 2 && d[7] == 0);
		CHECK(sprintf(d, "%s-%d", "x", 42) == 4 && strcmp(d, "x-42") == 0);
		CHECK(snprintf(d, launder(4), "%s", "abcdef") == 6 && strcmp(d, "abc") == 0);
		/* 31 characters and the NUL: the whole block, not a byte more. */
		CHECK(sprintf(d, "%031d", 7) == 31 && d[30] == '7');
		CHECK(__sprintf_chk(d, 1, 32, "%d", 12345) == 5 && strcmp(d, "12345") == 0);
		CHECK(__memcpy_chk(d, "abcd", launder(4), 32) == d && d[3] == 'd');
		CHECK(__strcpy_chk(d, "fortified", 32) == d && strcmp(d, "fortified") == 0);
		CHECK(memcpy(d, q, 0) == d);
	}
	free(p);
	free(q);
	/* A large block is not checked here (its guard page is): copies work. */
	char *big = heap(1 << 20);
	CHECK(memset(big, 1, launder(1 << 20)) == big && big[(1 << 20) - 1] == 1);
	free(big);
}

/* ---- bugs: each in a child, which must die with the report ---- */

static void expect_report(const char *name, void (*fn)(void), const char *want)
{
	struct child c;
	child_run(&c, fn, NULL, NULL);
	bool ok = child_signalled(&c, SIGABRT) && strstr(c.err, want) != NULL;
	CHECK_MSG(ok, "%s: status %#x, stderr \"%s\" (want \"%s\")", name, c.status, c.err, want);
}

static char src[256] = "0123456789abcdef0123456789abcdef0123456789abcdef";

static void b_memcpy(void)
{
	memcpy(heap(40), src, launder(41));
}

static void b_memmove(void)
{
	memmove(heap(40), src, launder(41));
}

static void b_memset(void)
{
	memset(heap(100), 0, launder(101));
}

static void b_mempcpy(void)
{
	mempcpy(heap(8), src, launder(9));
}

static void b_strcpy(void)
{
	char *p = heap(16);
	strcpy(p, "0123456789abcdef"); /* 17 bytes with the NUL */
}

static void b_stpcpy(void)
{
	stpcpy(heap(16), "0123456789abcdef");
}

static void b_strncpy(void)
{
	strncpy(heap(16), "ab", launder(17)); /* pads to 17 */
}

static void b_strcat(void)
{
	char *p = heap(8);
	strcpy(p, "abc");
	strcat(p, "defgh");
}

static void b_strncat(void)
{
	char *p = heap(8);
	strcpy(p, "abcd");
	strncat(p, "efghij", launder(4));
}

static void b_sprintf(void)
{
	sprintf(heap(8), "%s", "12345678");
}

static void b_snprintf(void)
{
	snprintf(heap(8), launder(64), "%s", "123456789");
}

static void b_memcpy_chk(void)
{
	__memcpy_chk(heap(40), src, launder(41), 64);
}

static void b_sprintf_chk(void)
{
	__sprintf_chk(heap(8), 1, 64, "%s", "12345678");
}

/* A block of 100 in a 112-byte chunk: one byte into the rounding. */
static void b_rounding(void)
{
	memset(heap(100), 'A', launder(101));
}

static void b_underflow(void)
{
	char *p = NULL;
	/* Not the first chunk of its zone, so something precedes it. */
	while (!p || ((uintptr_t)p & ((4u << 20) - 1)) < 4096 + 64)
		p = heap(48);
	memcpy(p - 8, src, launder(16));
}

static void b_after_free(void)
{
	char *p = heap(64);
	free(p);
	memcpy(p, src, launder(8));
}

static void test_bugs(void)
{
	const char *o = "bastion: heap-overflow: ";
	expect_report("memcpy", b_memcpy, o);
	expect_report("memmove", b_memmove, o);
	expect_report("memset", b_memset, o);
	expect_report("mempcpy", b_mempcpy, o);
	expect_report("strcpy", b_strcpy, o);
	expect_report("stpcpy", b_stpcpy, o);
	expect_report("strncpy", b_strncpy, o);
	expect_report("strcat", b_strcat, o);
	expect_report("strncat", b_strncat, o);
	expect_report("sprintf", b_sprintf, o);
	expect_report("snprintf", b_snprintf, o);
	expect_report("__memcpy_chk", b_memcpy_chk, o);
	expect_report("__sprintf_chk", b_sprintf_chk, o);
	expect_report("rounding", b_rounding, "memset of 101 bytes at offset 0 of a block of 100");
	expect_report("underflow", b_underflow, "bastion: ");
	expect_report("after free", b_after_free, "bastion: write-after-free: memcpy");
}

int main(int argc, char **argv)
{
	(void)argc;
	const char *o = getenv("BASTION_OPTIONS");
	if (!o || strcmp(o, "sample_rate=0") != 0) {
		setenv("BASTION_OPTIONS", "sample_rate=0", 1);
		execv("/proc/self/exe", argv);
		perror("execv");
		return 2;
	}
	test_results();
	test_bugs();
	CHECK_DONE();
}
