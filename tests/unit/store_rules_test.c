/*
 * store_rules_test — CUnit suite for the store's rules that need no
 * database (store/rules.c): the space growth of the patent's step 2, at and
 * around the per-user cap and the server capacity; a person's numbers and
 * the TELs of its card (issue 10). The store (space.c) and
 * the engine tests' fake store both decide with these functions, so what is
 * asserted here is what a user's upload meets in either.
 */
#include <CUnit/Basic.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* A contact row as the store gives it (strings owned). */
static struct store_contact row(long long n, const char *number, const char *types, const char *card)
{
    return (struct store_contact){ .n = n, .name = strdup("Zhang San"), .number = strdup(number),
                                   .vcard = strdup(card), .vcard_len = strlen(card), .tel_types = strdup(types),
                                   .uid = strdup(""), .uploaded_at = (time_t)n };
}

/* People, not rows (issue 10): a person's numbers once each, in upload
 * order, the newest row current; its card's TELs carry PREF on the current
 * one only, the other types as uploaded. */
static void test_person_numbers_and_tels(void)
{
    const char *card1 = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zhang San\r\nTEL;TYPE=HOME:010-1234\r\n"
                        "TEL;TYPE=CELL,PREF:13800000001\r\nEND:VCARD\r\n";
    const char *card2 = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zhang San\r\nTEL;TYPE=WORK:138 0000 0001\r\nEND:VCARD\r\n";
    /* one card (PREF stored last), then a later upload of the same number in another form */
    struct store_contact rows[] = { row(4, "010-1234", "HOME", card1), row(5, "13800000001", "CELL,PREF", card1) };
    struct store_person p;
    store_person_build(rows, 2, &p);
    CU_ASSERT_EQUAL(p.n, 5);
    CU_ASSERT_EQUAL(p.count, 2);
    CU_ASSERT_TRUE(p.numbers[1].current);
    CU_ASSERT_FALSE(p.numbers[0].current);
    size_t len = 0;
    char *c = store_person_card(&p, &len);
    CU_ASSERT_STRING_EQUAL(c, card1);   /* one card: as it came */
    free(c);
    store_person_cleanup(&p);

    struct store_contact more[] = { row(4, "010-1234", "HOME", card1), row(5, "13800000001", "CELL,PREF", card1),
                                    row(9, "138 0000 0001", "WORK", card2) };
    store_person_build(more, 3, &p);
    CU_ASSERT_EQUAL(p.n, 9);
    CU_ASSERT_EQUAL_FATAL(p.count, 2);   /* 13800000001 is one number however it is written */
    CU_ASSERT_EQUAL(p.nrows, 3);
    CU_ASSERT_STRING_EQUAL(p.numbers[0].number, "010-1234");
    CU_ASSERT_STRING_EQUAL(p.numbers[1].number, "138 0000 0001");
    struct vcard_tel tels[VCARD_MAX_TELS];
    char types[VCARD_MAX_TELS][64];
    CU_ASSERT_EQUAL_FATAL(store_person_tels(&p, tels, types), 2);
    CU_ASSERT_STRING_EQUAL(tels[0].types, "HOME");
    CU_ASSERT_FALSE(tels[0].pref);
    CU_ASSERT_STRING_EQUAL(tels[1].types, "WORK,PREF");
    CU_ASSERT_TRUE(tels[1].pref);
    c = store_person_card(&p, &len);   /* two cards: the newest, with both numbers */
    CU_ASSERT_STRING_EQUAL(c, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zhang San\r\nTEL;TYPE=HOME:010-1234\r\n"
                              "TEL;TYPE=WORK,PREF:138 0000 0001\r\nEND:VCARD\r\n");
    free(c);
    store_person_cleanup(&p);
    /* an older PREF gives way: only the current number is PREF */
    struct store_contact old[] = { row(1, "13800000001", "CELL,PREF", card1), row(2, "13900000002", "", card2) };
    store_person_build(old, 2, &p);
    CU_ASSERT_EQUAL(store_person_tels(&p, tels, types), 2);
    CU_ASSERT_STRING_EQUAL(tels[0].types, "CELL");
    CU_ASSERT_STRING_EQUAL(tels[1].types, "PREF");
    store_person_cleanup(&p);
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
    CU_add_test(s, "people: numbers once, the newest current, PREF on it", test_person_numbers_and_tels);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
