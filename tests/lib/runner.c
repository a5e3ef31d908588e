/* The test runner shared by tests/unit and tests/db: registers every suite
 * that announced itself through TEST_SUITE, runs them with CUnit's basic
 * interface and exits non-zero on any failure. Arguments select suites by
 * name substring. If OTP_TEST_RESULT names a file, "passed failed" is written
 * there for scripts/check.sh to add up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "tests/lib/testlib.h"

#define MAX_SUITES 128
#define MAX_EXIT 16

static const struct test_suite *suites[MAX_SUITES];
static int nsuites;
static void (*exit_fns[MAX_EXIT])(void);
static int nexit;

void testlib_register(const struct test_suite *suite)
{
	if (nsuites < MAX_SUITES)
		suites[nsuites++] = suite;
}

void testlib_at_exit(void (*fn)(void))
{
	if (nexit < MAX_EXIT)
		exit_fns[nexit++] = fn;
}

static int cmp_suite(const void *a, const void *b)
{
	const struct test_suite *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static int selected(const struct test_suite *s, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strstr(s->name, argv[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "error: CUnit: %s\n", CU_get_error_msg());
		return 2;
	}
	qsort(suites, (size_t)nsuites, sizeof suites[0], cmp_suite);
	for (int i = 0; i < nsuites; i++) {
		if (!selected(suites[i], argc, argv))
			continue;
		CU_pSuite s = CU_add_suite(suites[i]->name, suites[i]->init, suites[i]->cleanup);
		if (!s) {
			fprintf(stderr, "error: CUnit: %s\n", CU_get_error_msg());
			return 2;
		}
		for (const struct test_case *c = suites[i]->cases; c->name; c++)
			CU_add_test(s, c->name, c->fn);
	}
	CU_basic_set_mode(getenv("OTP_TEST_VERBOSE") ? CU_BRM_VERBOSE : CU_BRM_NORMAL);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	unsigned tests_failed = CU_get_number_of_tests_failed();
	unsigned tests_run = CU_get_number_of_tests_run();
	unsigned suites_failed = CU_get_number_of_suites_failed();
	printf("\n");
	const char *res = getenv("OTP_TEST_RESULT");
	if (res) {
		FILE *f = fopen(res, "w");
		if (f) {
			fprintf(f, "%u %u\n", tests_run - tests_failed, tests_failed + suites_failed);
			fclose(f);
		}
	}
	CU_cleanup_registry();
	while (nexit > 0)
		exit_fns[--nexit]();
	return (failed || suites_failed) ? 1 : 0;
}
