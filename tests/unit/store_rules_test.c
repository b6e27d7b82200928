/*
 * store_rules_test — CUnit suite for the store's rules that need no
 * database (store/rules.c): the space growth of the patent's step 2, at and
 * around the per-user cap and the server capacity. The store (space.c) and
 * the engine tests' fake store both decide with these functions, so what is
 * asserted here is what a user's upload meets in either.
 */
#include <CUnit/Basic.h>
#include <limits.h>

#include "store.h"

#define KB 1024LL
#define MB (1024LL * 1024)
#define GB (1024LL * MB)

/* the shipped [quota]: grow by 10M when under 1M would be left, cap 1G */
static const struct store_space_rule R = { .threshold = 1 * MB, .step = 10 * MB, .user_cap = 1 * GB };
#define PLENTY LLONG_MAX   /* server capacity left: no limit */

/* The allocation granted and whether size fits. */
static bool grant(long long allocated, long long used, long long size, long long capacity_left, long long *after)
{
    *after = -1;
    return store_space_grant(&R, allocated, used, size, capacity_left, after);
}

static void test_no_growth_while_threshold_is_left(void)
{
    long long after;
    CU_ASSERT_TRUE(grant(10 * MB, 0, 1 * KB, PLENTY, &after));
    CU_ASSERT_EQUAL(after, 10 * MB);
    /* exactly the threshold left after the upload: no growth yet */
    CU_ASSERT_EQUAL(store_space_wanted(&R, 10 * MB, 9 * MB - 100, 100), 0);
    CU_ASSERT_TRUE(grant(10 * MB, 9 * MB - 100, 100, PLENTY, &after));
    CU_ASSERT_EQUAL(after, 10 * MB);
    /* the server's capacity is not even looked at */
    CU_ASSERT_TRUE(grant(10 * MB, 9 * MB - 100, 100, 0, &after));
    CU_ASSERT_EQUAL(after, 10 * MB);
}

/* patent: under 1 MB left → at least 10 MB more */
static void test_under_threshold_grows_by_the_step(void)
{
    long long after;
    /* one byte under the threshold would be left */
    CU_ASSERT_EQUAL(store_space_wanted(&R, 10 * MB, 9 * MB - 99, 100), 10 * MB);
    CU_ASSERT_TRUE(grant(10 * MB, 9 * MB - 99, 100, PLENTY, &after));
    CU_ASSERT_EQUAL(after, 20 * MB);
    /* nothing left at all, an item that would not fit without growing */
    CU_ASSERT_TRUE(grant(10 * MB, 10 * MB, 5 * MB, PLENTY, &after));
    CU_ASSERT_EQUAL(after, 20 * MB);
    /* an upload bigger than the step: grows by what leaves the threshold free */
    CU_ASSERT_TRUE(grant(10 * MB, 0, 25 * MB, PLENTY, &after));
    CU_ASSERT_EQUAL(after, 26 * MB);
    CU_ASSERT_EQUAL(after - 25 * MB, R.threshold);
    /* a step of 0 would still make the item fit with the threshold left */
    const struct store_space_rule small = { .threshold = 1 * MB, .step = 0, .user_cap = 1 * GB };
    CU_ASSERT_EQUAL(store_space_wanted(&small, 10 * MB, 10 * MB, 2 * MB), 3 * MB);
}

/* Near the per-user cap the allocation grows up to the cap, not by the
 * whole step: an item that fits under the cap is stored. (The fake store
 * used to grow by the whole step or not at all, and refused it.) */
static void test_at_and_around_the_user_cap(void)
{
    long long after;
    /* 4 MB under the cap: the step is cut to 4 MB */
    CU_ASSERT_EQUAL(store_space_wanted(&R, 1 * GB - 4 * MB, 1 * GB - 4 * MB - 512 * KB, 1 * MB), 4 * MB);
    CU_ASSERT_TRUE(grant(1 * GB - 4 * MB, 1 * GB - 4 * MB - 512 * KB, 1 * MB, PLENTY, &after));
    CU_ASSERT_EQUAL(after, 1 * GB);
    /* at the cap: no growth; what fits is stored, the byte after is refused */
    CU_ASSERT_EQUAL(store_space_wanted(&R, 1 * GB, 1 * GB - 2 * MB, 1 * MB + 512 * KB), 0);
    CU_ASSERT_TRUE(grant(1 * GB, 1 * GB - 2 * MB, 2 * MB, PLENTY, &after));
    CU_ASSERT_EQUAL(after, 1 * GB);
    CU_ASSERT_FALSE(grant(1 * GB, 1 * GB - 2 * MB, 2 * MB + 1, PLENTY, &after));
    CU_ASSERT_EQUAL(after, 1 * GB);   /* refused: nothing grows */
    /* an item bigger than what the cap leaves: refused, even with room below the cap */
    CU_ASSERT_FALSE(grant(1 * GB - 4 * MB, 1 * GB - 4 * MB, 5 * MB, PLENTY, &after));
    CU_ASSERT_EQUAL(after, 1 * GB);
    /* a cap lowered below an allocation: no growth, never shrinks */
    const struct store_space_rule lowered = { .threshold = 1 * MB, .step = 10 * MB, .user_cap = 5 * MB };
    CU_ASSERT_EQUAL(store_space_wanted(&lowered, 10 * MB, 9 * MB + 512 * KB, 1), 0);
    CU_ASSERT_TRUE(store_space_grant(&lowered, 10 * MB, 9 * MB + 512 * KB, 1, PLENTY, &after));
    CU_ASSERT_EQUAL(after, 10 * MB);
}

/* The server's capacity bounds the growth too: what is left of it is
 * granted, and an item that fits in that is stored. */
static void test_at_and_around_the_server_capacity(void)
{
    long long after;
    /* 2 MB of capacity left, 10 MB wanted: grows by 2 MB */
    CU_ASSERT_TRUE(grant(10 * MB, 10 * MB - 512 * KB, 1 * MB, 2 * MB, &after));
    CU_ASSERT_EQUAL(after, 12 * MB);
    /* exactly the step left */
    CU_ASSERT_TRUE(grant(10 * MB, 10 * MB, 1 * MB, 10 * MB, &after));
    CU_ASSERT_EQUAL(after, 20 * MB);
    /* none left: what fits in the allocation is stored, the rest refused */
    CU_ASSERT_TRUE(grant(10 * MB, 9 * MB, 1 * MB, 0, &after));
    CU_ASSERT_EQUAL(after, 10 * MB);
    CU_ASSERT_FALSE(grant(10 * MB, 9 * MB, 1 * MB + 1, 0, &after));
    CU_ASSERT_EQUAL(after, 10 * MB);
    /* less left than the item needs: refused */
    CU_ASSERT_FALSE(grant(10 * MB, 10 * MB, 3 * MB, 2 * MB, &after));
    CU_ASSERT_EQUAL(after, 12 * MB);   /* what a batch may still fill */
    /* over-allocated (capacity lowered in the config): no growth */
    CU_ASSERT_FALSE(grant(10 * MB, 10 * MB, 1, -5 * MB, &after));
    CU_ASSERT_EQUAL(after, 10 * MB);
}

/* The cap and the capacity together: the smaller bound wins. */
static void test_cap_and_capacity_together(void)
{
    long long after;
    CU_ASSERT_TRUE(grant(1 * GB - 4 * MB, 1 * GB - 4 * MB, 1 * MB, 3 * MB, &after));
    CU_ASSERT_EQUAL(after, 1 * GB - 1 * MB);   /* capacity (3 MB) < cap room (4 MB) */
    CU_ASSERT_TRUE(grant(1 * GB - 4 * MB, 1 * GB - 4 * MB, 1 * MB, 6 * MB, &after));
    CU_ASSERT_EQUAL(after, 1 * GB);            /* cap room (4 MB) < capacity (6 MB) */
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("store_rules", NULL, NULL);
    CU_add_test(s, "no growth while the threshold is left", test_no_growth_while_threshold_is_left);
    CU_add_test(s, "under the threshold: at least the step", test_under_threshold_grows_by_the_step);
    CU_add_test(s, "at and around the per-user cap", test_at_and_around_the_user_cap);
    CU_add_test(s, "at and around the server capacity", test_at_and_around_the_server_capacity);
    CU_add_test(s, "cap and capacity together", test_cap_and_capacity_together);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
