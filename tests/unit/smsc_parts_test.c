/*
 * smsc_parts_test — CUnit suite for smscsim's pure modules: reassembly
 * (concatenated MT joined in order, duplicates ignored, incomplete messages
 * expired after the timeout and only then) driven by a fake clock, and
 * outcome (receipt stat by destination prefix: parsing, longest prefix,
 * '+', the smppsim table, errors). The SMPP side is in
 * tests/e2e/smscsim_protocol_test.c.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"
#include "reassembly.h"

static struct reassembly_part part(const char *dst, unsigned ref, int total, int seq,
                                   const char *data)
{
    struct reassembly_part p;
    memset(&p, 0, sizeof p);
    p.src = "10659";
    p.dst = dst;
    p.ref = ref;
    p.total = total;
    p.seq = seq;
    p.data = (const unsigned char *)data;
    p.len = strlen(data);
    return p;
}

static void test_reassembly_join(void)
{
    struct reassembly *r = reassembly_new(1000);
    struct reassembly_part p;
    struct reassembly_msg m;

    p = part("44", 9, 3, 3, "C");
    CU_ASSERT_EQUAL(reassembly_add(r, 0, &p, &m), REASSEMBLY_PENDING);
    p = part("44", 9, 3, 1, "A");
    CU_ASSERT_EQUAL(reassembly_add(r, 1, &p, &m), REASSEMBLY_PENDING);
    CU_ASSERT_EQUAL(reassembly_add(r, 2, &p, &m), REASSEMBLY_DUPLICATE);
    /* same ref to another handset is another message */
    p = part("45", 9, 3, 2, "x");
    CU_ASSERT_EQUAL(reassembly_add(r, 2, &p, &m), REASSEMBLY_PENDING);
    CU_ASSERT_EQUAL(reassembly_pending(r), 2);
    p = part("44", 9, 3, 2, "B");
    CU_ASSERT_EQUAL_FATAL(reassembly_add(r, 3, &p, &m), REASSEMBLY_COMPLETE);
    CU_ASSERT_EQUAL(m.len, 3);
    CU_ASSERT_EQUAL(memcmp(m.data, "ABC", 3), 0);
    CU_ASSERT_STRING_EQUAL(m.dst, "44");
    reassembly_msg_cleanup(&m);
    CU_ASSERT_EQUAL(reassembly_pending(r), 1);
    /* a single-part message passes straight through */
    p = part("44", 0, 1, 1, "solo");
    CU_ASSERT_EQUAL_FATAL(reassembly_add(r, 3, &p, &m), REASSEMBLY_COMPLETE);
    CU_ASSERT_EQUAL(m.len, 4);
    reassembly_msg_cleanup(&m);
    reassembly_free(r); /* frees the pending "45" message (ASan checks) */
}

static void test_reassembly_expiry(void)
{
    struct reassembly *r = reassembly_new(1000);
    struct reassembly_part p;
    struct reassembly_msg m;

    CU_ASSERT_EQUAL(reassembly_next_expiry(r), -1);
    p = part("44", 1, 2, 1, "a");
    reassembly_add(r, 100, &p, &m);
    p = part("44", 2, 2, 1, "b");
    reassembly_add(r, 600, &p, &m);
    CU_ASSERT_EQUAL(reassembly_next_expiry(r), 1100);
    CU_ASSERT_EQUAL(reassembly_expire(r, 1099), 0);
    CU_ASSERT_EQUAL(reassembly_expire(r, 1100), 1);
    CU_ASSERT_EQUAL(reassembly_pending(r), 1);
    CU_ASSERT_EQUAL(reassembly_next_expiry(r), 1600);
    /* the late second part of the expired message starts afresh */
    p = part("44", 1, 2, 2, "A");
    CU_ASSERT_EQUAL(reassembly_add(r, 1200, &p, &m), REASSEMBLY_PENDING);
    /* the other one still completes in time */
    p = part("44", 2, 2, 2, "B");
    CU_ASSERT_EQUAL_FATAL(reassembly_add(r, 1500, &p, &m), REASSEMBLY_COMPLETE);
    CU_ASSERT_EQUAL(memcmp(m.data, "bB", 2), 0);
    reassembly_msg_cleanup(&m);
    CU_ASSERT_EQUAL(reassembly_expire(r, 10000), 1);
    CU_ASSERT_EQUAL(reassembly_pending(r), 0);
    CU_ASSERT_EQUAL(reassembly_next_expiry(r), -1);
    reassembly_free(r);
}

static void test_outcome_rules(void)
{
    struct outcome_rules *r = NULL;
    char err[200];

    CU_ASSERT_EQUAL_FATAL(outcome_rules_parse("4479=UNDELIV, 44790=EXPIRED,+555=REJECTD", &r,
                                              err, sizeof err), OUTCOME_OK);
    CU_ASSERT_STRING_EQUAL(outcome_for(r, "447912")->stat, "UNDELIV");
    CU_ASSERT_EQUAL(outcome_for(r, "447912")->message_state, 5);
    CU_ASSERT_FALSE(outcome_for(r, "447912")->delivered);
    CU_ASSERT_STRING_EQUAL(outcome_for(r, "+447901")->stat, "EXPIRED");
    CU_ASSERT_STRING_EQUAL(outcome_for(r, "5559")->stat, "REJECTD");
    CU_ASSERT_STRING_EQUAL(outcome_for(r, "4478")->stat, "DELIVRD");
    CU_ASSERT_TRUE(outcome_for(r, "4478")->delivered);
    CU_ASSERT_EQUAL(outcome_for(r, "4478")->err, 0);
    outcome_rules_free(r);
    CU_ASSERT_STRING_EQUAL(outcome_for(NULL, "1")->stat, "DELIVRD");

    r = NULL;
    CU_ASSERT_EQUAL_FATAL(outcome_rules_parse("smppsim", &r, err, sizeof err), OUTCOME_OK);
    CU_ASSERT_STRING_EQUAL(outcome_for(r, "1234")->stat, "EXPIRED");
    CU_ASSERT_STRING_EQUAL(outcome_for(r, "2234")->stat, "DELETED");
    CU_ASSERT_STRING_EQUAL(outcome_for(r, "3234")->stat, "UNDELIV");
    CU_ASSERT_STRING_EQUAL(outcome_for(r, "4234")->stat, "ACCEPTD");
    CU_ASSERT_STRING_EQUAL(outcome_for(r, "5234")->stat, "REJECTD");
    CU_ASSERT_STRING_EQUAL(outcome_for(r, "6234")->stat, "DELIVRD");
    outcome_rules_free(r);

    r = NULL;
    CU_ASSERT_EQUAL(outcome_rules_parse("", &r, err, sizeof err), OUTCOME_OK);
    CU_ASSERT_STRING_EQUAL(outcome_for(r, "1")->stat, "DELIVRD");
    outcome_rules_free(r);

    r = NULL;
    CU_ASSERT_EQUAL(outcome_rules_parse("44=LOST", &r, err, sizeof err), OUTCOME_BAD_SPEC);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "44=LOST"));
    CU_ASSERT_EQUAL(outcome_rules_parse("4a=UNDELIV", &r, err, sizeof err), OUTCOME_BAD_SPEC);
    CU_ASSERT_EQUAL(outcome_rules_parse("=UNDELIV", &r, err, sizeof err), OUTCOME_BAD_SPEC);
    CU_ASSERT_EQUAL(outcome_rules_parse("44", &r, err, sizeof err), OUTCOME_BAD_SPEC);
    CU_ASSERT_EQUAL(outcome_rules_parse("44=UNDELIVX", &r, err, sizeof err), OUTCOME_BAD_SPEC);
    CU_ASSERT_EQUAL(outcome_rules_parse("123456789012345678901=UNDELIV", &r, err, sizeof err),
                    OUTCOME_BAD_SPEC);
    CU_ASSERT_PTR_NULL(r); /* untouched on error */
}

int main(void)
{
    CU_pSuite s;
    unsigned failures;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("smsc_parts", NULL, NULL);
    CU_add_test(s, "reassembly joins parts in order, ignores duplicates", test_reassembly_join);
    CU_add_test(s, "reassembly expires incomplete messages", test_reassembly_expiry);
    CU_add_test(s, "outcome rules", test_outcome_rules);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failures == 0 ? 0 : 1;
}
