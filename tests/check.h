/* Minimal assertions for bastion's tests: a failed CHECK prints where and
 * what, and the test exits 1. */
#ifndef BST_TEST_CHECK_H
#define BST_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
			check_failures++;                                                          \
			if (check_failures > 20)                                                   \
				exit(1);                                                           \
		}                                                                                  \
	} while (0)

/* CHECK with a printf-style context line when it fails. */
#define CHECK_MSG(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  context: " __VA_ARGS__);                                \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
		CHECK(cond);                                                                       \
	} while (0)

#define CHECK_DONE()                                                                               \
	do {                                                                                       \
		if (check_failures) {                                                              \
			fprintf(stderr, "%d check(s) failed\n", check_failures);                   \
			return 1;                                                                  \
		}                                                                                  \
		printf("ok\n");                                                                    \
		return 0;                                                                          \
	} while (0)

#endif
