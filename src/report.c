/*
 * The one place detections are reported. Async-signal-safe: no stdio, no
 * malloc, one write(2) of one line, then abort(). The line is stable:
 *   bastion: <kind>: <detail> ptr=0x... size-class=N
 * Tests match the kind word.
 */
#include <execinfo.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

const char *const bst_error_names[] = {
#define BST_ERROR(id, name, meaning, look) name,
#include "errors.def"
#undef BST_ERROR
};

size_t bst_append(char *buf, size_t pos, size_t cap, const char *s)
{
	while (*s && pos < cap)
		buf[pos++] = *s++;
	return pos;
}

static size_t append_hex(char *buf, size_t pos, size_t cap, uintptr_t v)
{
	char tmp[2 + 16];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	pos = bst_append(buf, pos, cap, "0x");
	while (n > 0 && pos < cap)
		buf[pos++] = tmp[--n];
	return pos;
}

size_t bst_append_dec(char *buf, size_t pos, size_t cap, size_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n > 0 && pos < cap)
		buf[pos++] = tmp[--n];
	return pos;
}

static void write_line(const char *line, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(STDERR_FILENO, line + off, n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

static size_t format(char *line, size_t cap, enum bst_error kind, const char *detail,
                     const void *ptr, size_t size_class)
{
	size_t n = 0;
	n = bst_append(line, n, cap, "bastion: ");
	n = bst_append(line, n, cap, bst_error_names[kind]);
	n = bst_append(line, n, cap, ": ");
	n = bst_append(line, n, cap, detail);
	n = bst_append(line, n, cap, " ptr=");
	n = append_hex(line, n, cap, (uintptr_t)ptr);
	n = bst_append(line, n, cap, " size-class=");
	n = bst_append_dec(line, n, cap, size_class);
	line[n++] = '\n';
	return n;
}

void bst_warn(const char *kind, const char *msg, const char *detail)
{
	char line[256];
	size_t cap = sizeof(line) - 1, n = 0;
	n = bst_append(line, n, cap, "bastion: ");
	n = bst_append(line, n, cap, kind);
	n = bst_append(line, n, cap, ": ");
	n = bst_append(line, n, cap, msg);
	if (detail && *detail) {
		n = bst_append(line, n, cap, " ");
		n = bst_append(line, n, cap, detail);
	}
	line[n++] = '\n';
	write_line(line, n);
}

static void stack_after(void);

size_t bst_problem(bool recoverable, enum bst_error kind, const char *detail, const void *ptr,
                   size_t size_class)
{
	if (!recoverable || bst_g.opt.verify_abort)
		bst_fatal(kind, detail, ptr, size_class);
	char line[256];
	write_line(line, format(line, sizeof(line) - 1, kind, detail, ptr, size_class));
	stack_after();
	return 1;
}

void bst_report(enum bst_error kind, const char *detail, const void *ptr, size_t size_class)
{
	char line[256];
	write_line(line, format(line, sizeof(line) - 1, kind, detail, ptr, size_class));
}

/* Option backtrace: the call stack after the line, by backtrace_symbols_fd
 * (no malloc; its first use loads libgcc_s, which bst_backtrace_init does
 * at start-up, while the heap is sound). */
static void stack_after(void)
{
	if (!bst_g.opt.backtrace)
		return;
	void *frames[64];
	int n = backtrace(frames, 64);
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
}

void bst_backtrace_init(void)
{
	if (!bst_g.opt.backtrace)
		return;
	void *frames[2];
	backtrace(frames, 2);
}

_Atomic bool bst_dying;

void bst_fatal(enum bst_error kind, const char *detail, const void *ptr, size_t size_class)
{
	/* A report can come while a zone lock is held (a check made under
	 * it): a SIGABRT handler that calls exit must not run the exit check,
	 * which would wait for that lock for ever. */
	atomic_store_explicit(&bst_dying, true, memory_order_relaxed);
	char line[256];
	write_line(line, format(line, sizeof(line) - 1, kind, detail, ptr, size_class));
	stack_after();
	abort();
}
