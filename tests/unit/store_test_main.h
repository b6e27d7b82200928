/*
 * store_test_main — the CUnit main shared by the store suites: creates the
 * suite's database, runs the tests, drops the database, exits non-zero on any
 * failure (including a missing SMSVAULT_TEST_PGURI). Include once, after the
 * test table `tests[]` and the suite name SUITE are defined.
 */
#ifndef SMSVAULT_STORE_TEST_MAIN_H
#define SMSVAULT_STORE_TEST_MAIN_H

#include <CUnit/Basic.h>
#include <stdio.h>

#include "store_testdb.h"

struct test_entry {
    const char *name;
    void (*fn)(void);
};

static int suite_main(const char *suite, const struct test_entry *tests, size_t ntests)
{
    if (testdb_create(suite) != 0)
        return 1;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    for (size_t i = 0; i < ntests; i++)
        CU_add_test(s, tests[i].name, tests[i].fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    testdb_drop();
    if (run != ntests) {
        fprintf(stderr, "%s: only %u of %zu tests ran\n", suite, run, ntests);
        return 1;
    }
    return failed ? 1 : 0;
}

#endif
