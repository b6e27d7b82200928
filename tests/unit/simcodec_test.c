/*
 * simcodec_test — CUnit suite for the SMSC simulator's codecs: GSM and UCS-2
 * MO encoding and MT decoding, concatenation UDH with 8- and 16-bit
 * references, port UDH, long MO split into parts, receipt text, hex.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "simcodec.h"
#include "smsudh.h"

static void test_udh_concat(void)
{
    static const unsigned char u8[] = { 0x05, 0x00, 0x03, 0x2A, 0x03, 0x02 };
    static const unsigned char u16[] = { 0x06, 0x08, 0x04, 0x12, 0x34, 0x04, 0x04 };
    static const unsigned char ports[] = { 0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0 };
    static const unsigned char bad[] = { 0x05, 0x00, 0x07, 0x01 };
    struct smsudh u;

    CU_ASSERT_TRUE_FATAL(smsudh_parse(u8, sizeof u8, &u));
    CU_ASSERT_TRUE(u.concat);
    CU_ASSERT_EQUAL(u.ref, 0x2A);
    CU_ASSERT_EQUAL(u.total, 3);
    CU_ASSERT_EQUAL(u.seq, 2);
    CU_ASSERT_TRUE_FATAL(smsudh_parse(u16, sizeof u16, &u));
    CU_ASSERT_TRUE(u.concat);
    CU_ASSERT_EQUAL(u.ref, 0x1234);
    CU_ASSERT_EQUAL(u.total, 4);
    CU_ASSERT_EQUAL(u.seq, 4);
    CU_ASSERT_TRUE_FATAL(smsudh_parse(ports, sizeof ports, &u));
    CU_ASSERT_FALSE(u.concat);
    CU_ASSERT_TRUE(u.ports);
    CU_ASSERT_EQUAL(u.dst_port, 2948);
    CU_ASSERT_EQUAL(u.src_port, 9200);
    CU_ASSERT_FALSE(smsudh_parse(bad, sizeof bad, &u));
}

static void test_mo_gsm_single(void)
{
    struct simcodec_part *p = NULL;
    size_t n = 0;
    const char *t = "Hi €[]{}~|^\\@";
    char *back = NULL;
    size_t bl = 0;

    CU_ASSERT_TRUE_FATAL(simcodec_mo_encode(t, strlen(t), 7, &p, &n));
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(p[0].data_coding, 0);
    CU_ASSERT_EQUAL(p[0].esm_class, 0);
    CU_ASSERT_EQUAL(p[0].sm_len, 3 + 18 + 1);
    CU_ASSERT_EQUAL(simcodec_decode(0, p[0].sm, p[0].sm_len, &back, &bl), SIMCODEC_TEXT);
    CU_ASSERT_STRING_EQUAL(back, t);
    free(back);
    free(p);
}

static void test_mo_long_gsm_parts(void)
{
    struct simcodec_part *p = NULL;
    size_t n = 0, i, total = 0;
    char text[401];

    memset(text, 'x', 400);
    text[400] = '\0';
    CU_ASSERT_TRUE_FATAL(simcodec_mo_encode(text, 400, 0x11, &p, &n));
    CU_ASSERT_EQUAL_FATAL(n, 3);
    for (i = 0; i < n; i++) {
        struct smsudh u;
        CU_ASSERT_EQUAL(p[i].esm_class, 0x40);
        CU_ASSERT_EQUAL(p[i].data_coding, 0);
        CU_ASSERT_TRUE_FATAL(smsudh_parse(p[i].sm, 6, &u));
        CU_ASSERT_EQUAL(u.ref, 0x11);
        CU_ASSERT_EQUAL(u.total, 3);
        CU_ASSERT_EQUAL(u.seq, (int)i + 1);
        total += p[i].sm_len - 6;
    }
    CU_ASSERT_EQUAL(p[0].sm_len, 6 + 153);
    CU_ASSERT_EQUAL(total, 400);
    free(p);
}

static void test_mo_ucs2(void)
{
    struct simcodec_part *p = NULL;
    size_t n = 0, i, bl = 0, jl = 0;
    char text[601], *back = NULL;
    unsigned char joined[1024];
    const char *emoji = "存😀";

    /* 200 Chinese characters: UCS-2, 3 parts of 67/67/66 */
    for (i = 0; i < 200; i++)
        memcpy(text + 3 * i, "中", 3);
    text[600] = '\0';
    CU_ASSERT_TRUE_FATAL(simcodec_mo_encode(text, 600, 1, &p, &n));
    CU_ASSERT_EQUAL_FATAL(n, 3);
    for (i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(p[i].data_coding, 8);
        memcpy(joined + jl, p[i].sm + 6, p[i].sm_len - 6);
        jl += p[i].sm_len - 6;
    }
    CU_ASSERT_EQUAL(p[0].sm_len, 6 + 134);
    CU_ASSERT_EQUAL(simcodec_decode(8, joined, jl, &back, &bl), SIMCODEC_TEXT);
    CU_ASSERT_EQUAL(bl, 600);
    CU_ASSERT_EQUAL(memcmp(back, text, 600), 0);
    free(back);
    free(p);

    CU_ASSERT_TRUE_FATAL(simcodec_mo_encode(emoji, strlen(emoji), 1, &p, &n));
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(p[0].data_coding, 8);
    CU_ASSERT_EQUAL(p[0].sm_len, 6);
    CU_ASSERT_EQUAL(simcodec_decode(8, p[0].sm, p[0].sm_len, &back, &bl), SIMCODEC_TEXT);
    CU_ASSERT_STRING_EQUAL(back, emoji);
    free(back);
    free(p);

    /* a lone surrogate is not text */
    static const unsigned char lone[] = { 0xD8, 0x3D };
    CU_ASSERT_EQUAL(simcodec_decode(8, lone, 2, &back, &bl), SIMCODEC_MALFORMED);
}

static void test_binary(void)
{
    static const unsigned char udh[] = { 0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0 };
    unsigned char data[300];
    struct simcodec_part *p = NULL;
    size_t n = 0;
    char *s = NULL;
    size_t sl = 0;

    memset(data, 0xAB, sizeof data);
    CU_ASSERT_TRUE_FATAL(simcodec_mo_encode_binary(udh, sizeof udh, data, 100, false, 2, &p, &n));
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(p[0].data_coding, 4);
    CU_ASSERT_EQUAL(p[0].esm_class, 0x40);
    CU_ASSERT_EQUAL(p[0].sm_len, 107);
    free(p);
    CU_ASSERT_TRUE_FATAL(simcodec_mo_encode_binary(udh, sizeof udh, data, 300, false, 2, &p, &n));
    CU_ASSERT_EQUAL(n, 3); /* 128 per part: 140 - 7 - 5 */
    CU_ASSERT_EQUAL(p[0].sm[0], 11);
    free(p);
    CU_ASSERT_EQUAL(simcodec_decode(4, data, 10, &s, &sl), SIMCODEC_BINARY);
    CU_ASSERT_EQUAL(simcodec_decode(0xF4, data, 10, &s, &sl), SIMCODEC_BINARY);
    CU_ASSERT_PTR_NULL(s);
}

static void test_receipt_text(void)
{
    char buf[256];
    time_t t = 1700000000; /* 2023-11-14 22:13:20 UTC */
    size_t n = simcodec_receipt_text(buf, sizeof buf, "42", t, t + 60, "DELIVRD", 0,
                                     "hello world, this is longer than twenty", 39);
    CU_ASSERT_STRING_EQUAL(buf, "id:42 sub:001 dlvrd:001 submit date:2311142213 done date:2311142214 "
                                "stat:DELIVRD err:000 text:hello world, this is");
    CU_ASSERT_EQUAL(n, strlen(buf));
    simcodec_receipt_text(buf, sizeof buf, "7", t, t, "UNDELIV", 1, "中", 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "dlvrd:000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "err:001 text:..."));
}

static void test_hex(void)
{
    unsigned char *b = NULL;
    size_t n = 0;
    char h[16];

    CU_ASSERT_TRUE_FATAL(simcodec_unhex("00fFa1", 6, &b, &n));
    CU_ASSERT_EQUAL(n, 3);
    simcodec_hex(b, n, h);
    CU_ASSERT_STRING_EQUAL(h, "00ffa1");
    free(b);
    CU_ASSERT_FALSE(simcodec_unhex("abc", 3, &b, &n));
    CU_ASSERT_FALSE(simcodec_unhex("zz", 2, &b, &n));
}

int main(void)
{
    CU_pSuite s;
    unsigned failures;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("simcodec", NULL, NULL);
    CU_add_test(s, "UDH concatenation 8/16-bit and ports", test_udh_concat);
    CU_add_test(s, "MO GSM single with extension table", test_mo_gsm_single);
    CU_add_test(s, "MO long GSM split into 3 parts", test_mo_long_gsm_parts);
    CU_add_test(s, "MO UCS-2 and surrogate pairs", test_mo_ucs2);
    CU_add_test(s, "binary MO and codings", test_binary);
    CU_add_test(s, "receipt text", test_receipt_text);
    CU_add_test(s, "hex", test_hex);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failures == 0 ? 0 : 1;
}
