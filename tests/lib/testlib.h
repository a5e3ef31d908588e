/* testlib: CUnit suites that register themselves, so test files never edit a
 * shared list. A file declares its cases and one TEST_SUITE line; the runner
 * (tests/lib/runner.c) runs every registered suite, or those named on the
 * command line, and prints the CUnit summary. */
#ifndef OTPDESK_TESTLIB_H
#define OTPDESK_TESTLIB_H

#include <CUnit/CUnit.h>

struct test_case {
	const char *name;
	CU_TestFunc fn;
};

struct test_suite {
	const char *name;
	CU_InitializeFunc init;
	CU_CleanupFunc cleanup;
	const struct test_case *cases;
};

void testlib_register(const struct test_suite *suite);
/* Run fn once when the runner exits (after every suite), last registered first. */
void testlib_at_exit(void (*fn)(void));

#define TEST(fn) { #fn, fn }
#define TEST_SUITE(id, title, init_fn, cleanup_fn, ...)                        \
	static const struct test_case id##_cases[] = { __VA_ARGS__, { 0, 0 } }; \
	static const struct test_suite id##_suite = { title, init_fn, cleanup_fn, id##_cases }; \
	__attribute__((constructor)) static void id##_register(void)           \
	{                                                                       \
		testlib_register(&id##_suite);                                  \
	}

#endif
