/*
 * main() for the harnesses when they are not linked with libFuzzer.
 *
 * Built with afl-clang-fast or afl-clang-lto, it is an AFL++ persistent-mode
 * driver: the test case arrives in shared memory and up to 10000 inputs run
 * in one process before AFL++ forks a fresh one.
 *
 * Built with plain clang (BASTION_FUZZ_ENGINE=standalone), it runs each file
 * named on the command line once, or standard input if none is named. The
 * coverage build and crash triage use this form.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_INPUT (1 << 20)

/* Reads at most MAX_INPUT bytes of a stream; the rest is ignored, as
 * libFuzzer's -max_len would. */
static size_t slurp(FILE *f, uint8_t *buf)
{
	size_t n = 0, got;
	while (n < MAX_INPUT && (got = fread(buf + n, 1, MAX_INPUT - n, f)) > 0)
		n += got;
	return n;
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
#ifdef __AFL_FUZZ_TESTCASE_LEN
	(void)slurp;
	__AFL_INIT();
	const uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;
	while (__AFL_LOOP(10000)) {
		size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
		/* A private copy: the harness may keep pointers into the input
		 * while AFL++ rewrites the shared buffer for the next one. */
		uint8_t *copy = malloc(len ? len : 1);
		if (!copy)
			abort();
		memcpy(copy, buf, len);
		LLVMFuzzerTestOneInput(copy, len);
		free(copy);
	}
	return 0;
#else
	uint8_t *buf = malloc(MAX_INPUT);
	if (!buf)
		return 1;
	if (argc < 2) {
		size_t n = slurp(stdin, buf);
		LLVMFuzzerTestOneInput(buf, n);
	}
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue; /* libFuzzer-style flags are accepted and ignored */
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		size_t n = slurp(f, buf);
		fclose(f);
		/* An exact-size copy, so a harness reading past the input is
		 * caught by ASan when it instruments the harness. */
		uint8_t *copy = malloc(n ? n : 1);
		if (!copy)
			return 1;
		memcpy(copy, buf, n);
		fprintf(stderr, "running %s (%zu bytes)\n", argv[i], n);
		LLVMFuzzerTestOneInput(copy, n);
		free(copy);
	}
	free(buf);
	return 0;
#endif
}
