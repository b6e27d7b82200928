/*
 * smstext_test — CUnit suite for common/smstext: GSM 03.38 with the
 * extension table, 7-bit packing, UTF-16BE with surrogate pairs, invalid
 * UTF-16 refused, segment counts at the 160/161 and 70/71 boundaries, and
 * the meter (a text measured piece by piece) agreeing with the measure of
 * the whole at every step.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "smstext.h"

static char *repeat(const char *unit, size_t times)
{
    size_t ul = strlen(unit), i;
    char *s = malloc(ul * times + 1);
    for (i = 0; i < times; i++)
        memcpy(s + i * ul, unit, ul);
    s[ul * times] = '\0';
    return s;
}

static void test_gsm_extension_table(void)
{
    const char *ext = "€[]{}~|^\\@";
    unsigned char sept[64];
    size_t n = 0, back_len = 0;
    char *back;
    static const unsigned char expect[] = { 0x1B, 0x65, 0x1B, 0x3C, 0x1B, 0x3E, 0x1B, 0x28,
                                            0x1B, 0x29, 0x1B, 0x3D, 0x1B, 0x40, 0x1B, 0x14,
                                            0x1B, 0x2F, 0x00 };

    CU_ASSERT_TRUE(smstext_is_gsm(ext, strlen(ext)));
    CU_ASSERT_EQUAL_FATAL(smstext_utf8_to_gsm(ext, strlen(ext), sept, sizeof sept, &n), SMSTEXT_OK);
    CU_ASSERT_EQUAL_FATAL(n, sizeof expect);
    CU_ASSERT_EQUAL(memcmp(sept, expect, n), 0);
    back = smstext_gsm_to_utf8(sept, n, &back_len);
    CU_ASSERT_EQUAL(back_len, strlen(ext));
    CU_ASSERT_STRING_EQUAL(back, ext);
    free(back);

    /* cap too small, and characters GSM does not have */
    CU_ASSERT_EQUAL(smstext_utf8_to_gsm(ext, strlen(ext), sept, 3, &n), SMSTEXT_NO_ROOM);
    CU_ASSERT_FALSE(smstext_is_gsm("中", strlen("中")));
    CU_ASSERT_EQUAL(smstext_utf8_to_gsm("a`b", 3, sept, sizeof sept, &n), SMSTEXT_NOT_GSM);
    CU_ASSERT_EQUAL(smstext_utf8_to_gsm("\xC0\x80", 2, sept, sizeof sept, &n), SMSTEXT_MALFORMED);
    CU_ASSERT_TRUE(smstext_is_gsm("Ünïcödé? no: ΔΩ£¥èé", strlen("Ünïcödé? no: ΔΩ£¥èé")) == false);
    CU_ASSERT_TRUE(smstext_is_gsm("ΔΩ£¥èéÆß¡¿§", strlen("ΔΩ£¥èéÆß¡¿§")));
}

static void test_gsm_pack(void)
{
    /* "hellohello" packs to the well-known E8 32 9B FD 46 97 D9 EC 37 */
    static const unsigned char expect[] = { 0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37 };
    unsigned char sept[16], packed[16], un[16];
    size_t n = 0, p, u;

    CU_ASSERT_EQUAL_FATAL(smstext_utf8_to_gsm("hellohello", 10, sept, sizeof sept, &n), SMSTEXT_OK);
    p = smstext_gsm_pack(sept, n, 0, packed, sizeof packed);
    CU_ASSERT_EQUAL_FATAL(p, sizeof expect);
    CU_ASSERT_EQUAL(memcmp(packed, expect, p), 0);
    u = smstext_gsm_unpack(packed, p, 0, n, un, sizeof un);
    CU_ASSERT_EQUAL_FATAL(u, n);
    CU_ASSERT_EQUAL(memcmp(un, sept, n), 0);

    /* after a 6-octet UDH: 1 fill bit; round trip must hold */
    p = smstext_gsm_pack(sept, n, 1, packed, sizeof packed);
    CU_ASSERT_EQUAL(p, 9);
    CU_ASSERT_EQUAL(packed[0] & 1, 0);
    u = smstext_gsm_unpack(packed, p, 1, n, un, sizeof un);
    CU_ASSERT_EQUAL_FATAL(u, n);
    CU_ASSERT_EQUAL(memcmp(un, sept, n), 0);
    CU_ASSERT_EQUAL(smstext_gsm_pack(sept, n, 0, packed, 3), SMSTEXT_NO_FIT);
}

static void test_ucs2_surrogates(void)
{
    const char *text = "中😀";
    static const unsigned char expect[] = { 0x4E, 0x2D, 0xD8, 0x3D, 0xDE, 0x00 };
    unsigned char *be = NULL;
    size_t blen = 0, ulen = 0;
    char *utf8 = NULL;

    CU_ASSERT_EQUAL_FATAL(smstext_utf8_to_ucs2(text, strlen(text), &be, &blen), SMSTEXT_OK);
    CU_ASSERT_EQUAL_FATAL(blen, sizeof expect);
    CU_ASSERT_EQUAL(memcmp(be, expect, blen), 0);
    CU_ASSERT_EQUAL_FATAL(smstext_ucs2_to_utf8(be, blen, &utf8, &ulen), SMSTEXT_OK);
    CU_ASSERT_EQUAL(ulen, strlen(text));
    CU_ASSERT_STRING_EQUAL(utf8, text);
    free(be);
    free(utf8);

    CU_ASSERT_EQUAL(smstext_utf8_to_ucs2("\xC0\x80", 2, &be, &blen), SMSTEXT_MALFORMED);
}

static void test_invalid_utf16_refused(void)
{
    static const unsigned char odd[] = { 0x00, 0x41, 0x00 };
    static const unsigned char lone_hi[] = { 0xD8, 0x3D, 0x00, 0x41 };
    static const unsigned char lone_hi_end[] = { 0x00, 0x41, 0xD8, 0x3D };
    static const unsigned char lone_lo[] = { 0xDE, 0x00 };
    char *out = NULL;
    size_t n = 0;

    CU_ASSERT_EQUAL(smstext_ucs2_to_utf8(odd, sizeof odd, &out, &n), SMSTEXT_MALFORMED);
    CU_ASSERT_EQUAL(smstext_ucs2_to_utf8(lone_hi, sizeof lone_hi, &out, &n), SMSTEXT_MALFORMED);
    CU_ASSERT_EQUAL(smstext_ucs2_to_utf8(lone_hi_end, sizeof lone_hi_end, &out, &n), SMSTEXT_MALFORMED);
    CU_ASSERT_EQUAL(smstext_ucs2_to_utf8(lone_lo, sizeof lone_lo, &out, &n), SMSTEXT_MALFORMED);
    CU_ASSERT_PTR_NULL(out);
}

static void check_measure(const char *s, bool gsm, size_t units, int segments)
{
    struct smstext_measure m;
    smstext_measure(s, strlen(s), &m);
    CU_ASSERT_EQUAL(m.gsm, gsm);
    CU_ASSERT_EQUAL(m.units, units);
    CU_ASSERT_EQUAL(m.segments, segments);
}

static void test_segment_boundaries(void)
{
    char *s;

    s = repeat("a", 160); check_measure(s, true, 160, 1); free(s);
    s = repeat("a", 161); check_measure(s, true, 161, 2); free(s);
    s = repeat("a", 306); check_measure(s, true, 306, 2); free(s);
    s = repeat("a", 307); check_measure(s, true, 307, 3); free(s);
    s = repeat("a", 400); check_measure(s, true, 400, 3); free(s);
    s = repeat("€", 80); check_measure(s, true, 160, 1); free(s);
    s = repeat("€", 81); check_measure(s, true, 162, 2); free(s);
    /* 152 'a' + '€': the escape would straddle 153, so it moves to part 2 */
    s = malloc(153 + 3 + 160 + 1);
    memset(s, 'a', 152);
    strcpy(s + 152, "€");
    memset(s + 155, 'b', 153);
    s[308] = '\0';
    check_measure(s, true, 307, 3); /* 152 | 2+151 | 2 */
    free(s);
    s = repeat("中", 70); check_measure(s, false, 70, 1); free(s);
    s = repeat("中", 71); check_measure(s, false, 71, 2); free(s);
    s = repeat("中", 200); check_measure(s, false, 200, 3); free(s);
    s = repeat("😀", 35); check_measure(s, false, 70, 1); free(s);
    s = repeat("😀", 36); check_measure(s, false, 72, 2); free(s);
    check_measure("\xff", false, 0, 0);
}

static void test_fit(void)
{
    const char *s = "ab€c";
    CU_ASSERT_EQUAL(smstext_fit(s, strlen(s), true, 3), 2);  /* € costs 2: not after "ab" in 3 */
    CU_ASSERT_EQUAL(smstext_fit(s, strlen(s), true, 4), 5);
    CU_ASSERT_EQUAL(smstext_fit(s, strlen(s), false, 3), 5); /* UCS-2: € is 1 unit */
    CU_ASSERT_EQUAL(smstext_fit("a😀", strlen("a😀"), false, 2), 1);
    CU_ASSERT_EQUAL(smstext_fit("a😀", strlen("a😀"), false, 3), 5);
    CU_ASSERT_EQUAL(smstext_fit("a中", strlen("a中"), true, 10), 1); /* stops at non-GSM */
}

/* Texts of random pieces (GSM, escapes straddling part boundaries, NUL,
 * Chinese, emoji, newlines, long runs, one invalid): after every piece the
 * meter says what smstext_measure says of all of it. Fixed seed, 3,000
 * texts of up to 60 pieces: every boundary of 1-3 parts met many times. */
static void test_meter(void)
{
    static const char *const pieces[] = { "a", "hello world", "\n", "€", "{[~]}", "^|\\", "中", "开会", "😀",
                                          "é", "\xe2\x82\xac\xe2\x82\xac", "0123456789abcdefghij", "Ω", "" };
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    unsigned seed = 12345;
    size_t mismatches = 0, texts_multi = 0;
    char text[8192];
    for (int t = 0; t < 3000; t++) {
        struct smstext_meter m;
        smstext_meter_init(&m);
        size_t len = 0;
        int n = 1 + (int)(rand_r(&seed) % 60);
        bool mostly_gsm = rand_r(&seed) % 2;
        for (int k = 0; k < n; k++) {
            size_t r = (size_t)rand_r(&seed);
            const char *p = pieces[r % npieces];
            if (mostly_gsm && (r % npieces == 6 || r % npieces == 7 || r % npieces == 8) && r % 8 != 0)
                p = "aaaaaaaaa";
            size_t pl = strlen(p);
            if (r % 97 == 0) {   /* a NUL character */
                p = "\0";
                pl = 1;
            }
            if (len + pl >= sizeof text)
                break;
            memcpy(text + len, p, pl);
            len += pl;
            smstext_meter_add(&m, p, pl);
            struct smstext_measure want, got;
            smstext_measure(text, len, &want);
            smstext_meter_get(&m, &got);
            if (want.gsm != got.gsm || want.units != got.units || want.segments != got.segments)
                mismatches++;
            if (want.segments > 1)
                texts_multi++;
        }
    }
    CU_ASSERT_EQUAL(mismatches, 0);
    CU_ASSERT(texts_multi > 1000);   /* the parts' boundaries were met */
    /* an invalid piece: 0 segments from then on, as the whole's measure */
    struct smstext_meter m;
    struct smstext_measure got;
    smstext_meter_init(&m);
    smstext_meter_add(&m, "ok", 2);
    smstext_meter_add(&m, "\xff", 1);
    smstext_meter_add(&m, "ok", 2);
    smstext_meter_get(&m, &got);
    CU_ASSERT_EQUAL(got.segments, 0);
    /* nothing yet: one empty SMS, as smstext_measure("") */
    smstext_meter_init(&m);
    smstext_meter_get(&m, &got);
    CU_ASSERT_EQUAL(got.segments, 1);
    CU_ASSERT(got.gsm);
}

int main(void)
{
    CU_pSuite suite;
    unsigned failures;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    suite = CU_add_suite("smstext", NULL, NULL);
    CU_add_test(suite, "GSM extension table", test_gsm_extension_table);
    CU_add_test(suite, "GSM 7-bit packing", test_gsm_pack);
    CU_add_test(suite, "UCS-2 surrogate pairs", test_ucs2_surrogates);
    CU_add_test(suite, "invalid UTF-16 refused", test_invalid_utf16_refused);
    CU_add_test(suite, "segment boundaries", test_segment_boundaries);
    CU_add_test(suite, "fit", test_fit);
    CU_add_test(suite, "meter: piece by piece as the whole", test_meter);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failures == 0 ? 0 : 1;
}
