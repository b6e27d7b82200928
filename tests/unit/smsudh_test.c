/*
 * smsudh_test — CUnit suite for common/smsudh: the Smart Messaging vCard
 * and WAP push UDHs byte for byte, 8- and 16-bit concatenation references,
 * a split payload that joins back to itself, and UDHs whose length octets
 * lie (never read past the octets given: ASan sees exact-size copies).
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "smsudh.h"

static void test_parse(void)
{
    static const unsigned char vcard[] = { 0x06, 0x05, 0x04, 0x23, 0xF4, 0x00, 0x00 };
    static const unsigned char push8[] = { 0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0,
                                           0x00, 0x03, 0x2A, 0x03, 0x02 };
    static const unsigned char c16[] = { 0x06, 0x08, 0x04, 0xBE, 0xEF, 0x05, 0x05 };
    static const unsigned char p8[] = { 0x04, 0x04, 0x02, 0xF5, 0x00 };
    struct smsudh u;

    CU_ASSERT_TRUE_FATAL(smsudh_parse(vcard, sizeof vcard, &u));
    CU_ASSERT(u.ports && !u.ports8 && !u.concat);
    CU_ASSERT_EQUAL(u.dst_port, SMSUDH_PORT_VCARD);
    CU_ASSERT_EQUAL(u.src_port, 0);
    CU_ASSERT_TRUE_FATAL(smsudh_parse(push8, sizeof push8, &u));
    CU_ASSERT(u.ports && u.concat && !u.ref16);
    CU_ASSERT_EQUAL(u.dst_port, SMSUDH_PORT_WAP_PUSH);
    CU_ASSERT_EQUAL(u.src_port, SMSUDH_PORT_WAP_PUSH_SRC);
    CU_ASSERT_EQUAL(u.ref, 0x2A);
    CU_ASSERT_EQUAL(u.total, 3);
    CU_ASSERT_EQUAL(u.seq, 2);
    CU_ASSERT_TRUE_FATAL(smsudh_parse(c16, sizeof c16, &u));
    CU_ASSERT(u.concat && u.ref16 && !u.ports);
    CU_ASSERT_EQUAL(u.ref, 0xBEEF);
    CU_ASSERT_EQUAL(u.total, 5);
    CU_ASSERT_EQUAL(u.seq, 5);
    CU_ASSERT_TRUE_FATAL(smsudh_parse(p8, sizeof p8, &u));
    CU_ASSERT(u.ports && u.ports8);
    CU_ASSERT_EQUAL(u.dst_port, 0xF5);
}

static void test_build(void)
{
    unsigned char out[SMSUDH_MAX];
    struct smsudh u;
    static const unsigned char want_vcard[] = { 0x06, 0x05, 0x04, 0x23, 0xF4, 0x00, 0x00 };
    static const unsigned char want_both[] = { 0x0C, 0x05, 0x04, 0x23, 0xF4, 0x00, 0x00,
                                               0x08, 0x04, 0x12, 0x34, 0x02, 0x01 };

    memset(&u, 0, sizeof u);
    CU_ASSERT_EQUAL(smsudh_build(&u, out, sizeof out), 0);
    u.ports = true;
    u.dst_port = SMSUDH_PORT_VCARD;
    CU_ASSERT_EQUAL_FATAL(smsudh_build(&u, out, sizeof out), sizeof want_vcard);
    CU_ASSERT_EQUAL(memcmp(out, want_vcard, sizeof want_vcard), 0);
    u.concat = u.ref16 = true;
    u.ref = 0x1234;
    u.total = 2;
    u.seq = 1;
    CU_ASSERT_EQUAL_FATAL(smsudh_build(&u, out, sizeof out), sizeof want_both);
    CU_ASSERT_EQUAL(memcmp(out, want_both, sizeof want_both), 0);
    CU_ASSERT_EQUAL(smsudh_build(&u, out, 5), (size_t)-1);
}

/* Split, check every segment fits 140 and carries the right UDH, join. */
static void split_and_join(bool ref16, size_t len)
{
    unsigned char ies[6], *data = malloc(len ? len : 1), *joined = malloc(len ? len : 1);
    struct smsudh_segment *s = NULL;
    size_t n = 0, k, o = 0;

    for (k = 0; k < len; k++)
        data[k] = (unsigned char)(k * 7 + 3);
    smsudh_port_ies(SMSUDH_PORT_VCARD, 0, ies);
    CU_ASSERT_TRUE_FATAL(smsudh_split(ies, 6, ref16, 0x2345, data, len, &s, &n));
    for (k = 0; k < n; k++) {
        struct smsudh u;
        CU_ASSERT(s[k].udhlen + s[k].len <= 140);
        CU_ASSERT_TRUE_FATAL(smsudh_parse(s[k].udh, s[k].udhlen, &u));
        CU_ASSERT(u.ports);
        CU_ASSERT_EQUAL(u.dst_port, SMSUDH_PORT_VCARD);
        CU_ASSERT_EQUAL(u.concat, n > 1);
        if (n > 1) {
            CU_ASSERT_EQUAL(u.ref16, ref16);
            CU_ASSERT_EQUAL(u.ref, ref16 ? 0x2345u : 0x45u);
            CU_ASSERT_EQUAL(u.total, (int)n);
            CU_ASSERT_EQUAL(u.seq, (int)k + 1);
        }
        memcpy(joined + o, s[k].data, s[k].len);
        o += s[k].len;
    }
    CU_ASSERT_EQUAL(o, len);
    CU_ASSERT(len == 0 || memcmp(joined, data, len) == 0);
    free(s);
    free(data);
    free(joined);
}

static void test_split(void)
{
    unsigned char ies[6];
    struct smsudh_segment *s = NULL;
    size_t n = 0;
    unsigned char big[140 * 256];

    split_and_join(false, 0);
    split_and_join(false, 133);   /* 7-octet UDH + 133 = 140: one segment */
    split_and_join(false, 134);   /* two segments of at most 128 */
    split_and_join(true, 134);    /* two segments of at most 127 */
    split_and_join(false, 1000);
    split_and_join(true, 5000);
    /* the sizes per segment: 8-bit ref leaves 128 octets, 16-bit 127 */
    smsudh_port_ies(SMSUDH_PORT_VCARD, 0, ies);
    CU_ASSERT_TRUE_FATAL(smsudh_split(ies, 6, false, 1, big, 256, &s, &n));
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(s[0].len, 128);
    CU_ASSERT_EQUAL(s[0].udhlen, 12);
    free(s);
    CU_ASSERT_TRUE_FATAL(smsudh_split(ies, 6, true, 1, big, 256, &s, &n));
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(s[0].len, 127);
    CU_ASSERT_EQUAL(s[0].udhlen, 13);
    free(s);
    /* no common IEs: plain concatenation */
    CU_ASSERT_TRUE_FATAL(smsudh_split(NULL, 0, false, 9, big, 141, &s, &n));
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(s[0].udhlen, 6);
    free(s);
    /* more than 255 segments refused */
    CU_ASSERT_FALSE(smsudh_split(ies, 6, false, 1, big, sizeof big, &s, &n));
}

static void test_hostile(void)
{
    static const unsigned char *const bad[] = {
        (const unsigned char *)"\x05\x00\x03\x01\x02",       /* UDHL 5, 4 octets follow */
        (const unsigned char *)"\x03\x00\x03\x01",           /* IE longer than the UDH */
        (const unsigned char *)"\x01\x00",                   /* IE without its length */
        (const unsigned char *)"\xFF",                       /* UDHL past everything */
    };
    static const size_t lens[] = { 5, 4, 2, 1 };
    struct smsudh u;
    size_t i;

    CU_ASSERT_FALSE(smsudh_parse(NULL, 3, &u));
    CU_ASSERT_FALSE(smsudh_parse((const unsigned char *)"", 0, &u));
    for (i = 0; i < 4; i++) {
        unsigned char *copy = malloc(lens[i]); /* exact size: ASan sees an over-read */
        memcpy(copy, bad[i], lens[i]);
        CU_ASSERT_FALSE(smsudh_parse(copy, lens[i], &u));
        free(copy);
    }
    /* an empty UDH and unknown IEs are fine */
    CU_ASSERT_TRUE(smsudh_parse((const unsigned char *)"\x00", 1, &u));
    CU_ASSERT(!u.ports && !u.concat);
    CU_ASSERT_TRUE(smsudh_parse((const unsigned char *)"\x04\x70\x02\xAA\xBB", 5, &u));
    /* every byte value at every position of a 4-octet UDH: no crash */
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b += 5) {
            unsigned char *c = malloc(4);
            c[0] = 3;
            c[1] = (unsigned char)a;
            c[2] = (unsigned char)b;
            c[3] = (unsigned char)(a ^ b);
            /* IE a of length b: 0 leaves one octet that is no IE, over 1 runs past */
            CU_ASSERT_FALSE(smsudh_parse(c, 4, &u));
            free(c);
        }
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("smsudh", NULL, NULL);
    CU_add_test(s, "parse ports 8/16-bit, concatenation 8/16-bit", test_parse);
    CU_add_test(s, "build the vCard UDH and ports + 16-bit concatenation", test_build);
    CU_add_test(s, "split into 140-octet segments and join back", test_split);
    CU_add_test(s, "lying length octets never over-read", test_hostile);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
