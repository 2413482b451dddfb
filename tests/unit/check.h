/* Tiny host unit-test helpers: CHECK prints a FAIL: line and counts; each test
 * program ends with `return check_summary(argv[0]);`. */
#ifndef BULKHEAD_TESTS_CHECK_H
#define BULKHEAD_TESTS_CHECK_H
#include <stdio.h>

static int check_failures, check_passes;

#define CHECK(cond) do { \
	if (cond) check_passes++; \
	else { check_failures++; printf("FAIL: %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

static inline int check_summary(const char *name)
{
	if (!check_failures)
		printf("PASS: %s (%d checks)\n", name, check_passes);
	return check_failures != 0;
}
#endif
