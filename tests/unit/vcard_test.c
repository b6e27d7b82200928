/*
 * vcard_test — CUnit suite for common/vcard: formatting (escaping, folding,
 * round trip) and parsing vCard 2.1 (quoted-printable, soft breaks) and 3.0
 * (folding, escapes), several TEL lines, and refusal of broken input.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcard.h"

#define MAXC 8

struct got {
    int n;
    char *name[MAXC];
    char *tel[MAXC][4];
    size_t ntel[MAXC];
    char *raw[MAXC];
};

static void collect(const char *name, const char *const *numbers, size_t nnumbers,
                    const char *raw, size_t raw_len, void *ctx)
{
    struct got *g = ctx;
    if (g->n >= MAXC)
        return;
    g->name[g->n] = strdup(name);
    g->ntel[g->n] = nnumbers;
    for (size_t i = 0; i < nnumbers && i < 4; i++)
        g->tel[g->n][i] = strdup(numbers[i]);
    g->raw[g->n] = strndup(raw, raw_len);
    g->n++;
}

static void got_free(struct got *g)
{
    for (int i = 0; i < g->n; i++) {
        free(g->name[i]);
        free(g->raw[i]);
        for (size_t k = 0; k < g->ntel[i] && k < 4; k++)
            free(g->tel[i][k]);
    }
    memset(g, 0, sizeof *g);
}

/* The number of cards read, or -1 when vcard_parse finds text malformed. */
static long parse(const char *text, struct got *g)
{
    memset(g, 0, sizeof *g);
    size_t n = 0;
    return vcard_parse(text, strlen(text), collect, g, &n) == VCARD_OK ? (long)n : -1;
}

static void test_format_and_round_trip(void)
{
    char *v = vcard_format("Smith, John; Jr\\", "+1 555 0100");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT(strstr(v, "BEGIN:VCARD\r\nVERSION:3.0\r\n") == v);
    CU_ASSERT(strstr(v, "FN:Smith\\, John\\; Jr\\\\\r\n") != NULL);
    CU_ASSERT(strstr(v, "N:Smith\\, John\\; Jr\\\\;;;;\r\n") != NULL);
    CU_ASSERT(strstr(v, "TEL;TYPE=CELL:+1 555 0100\r\n") != NULL);
    CU_ASSERT(strstr(v, "END:VCARD\r\n") != NULL);
    struct got g;
    CU_ASSERT_EQUAL(parse(v, &g), 1);
    CU_ASSERT_STRING_EQUAL(g.name[0], "Smith, John; Jr\\");
    CU_ASSERT_EQUAL(g.ntel[0], 1);
    CU_ASSERT_STRING_EQUAL(g.tel[0][0], "+1 555 0100");
    CU_ASSERT_STRING_EQUAL(g.raw[0], v);
    got_free(&g);
    free(v);
    /* long Chinese name: folded at 75 octets, never inside a character */
    char name[400] = "";
    for (int i = 0; i < 40; i++)
        strcat(name, "张");
    v = vcard_format(name, "13800138000");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    for (char *line = v; *line;) {
        char *e = strstr(line, "\r\n");
        CU_ASSERT_FATAL(e != NULL);
        CU_ASSERT(e - line <= 75);
        line = e + 2;
    }
    CU_ASSERT_EQUAL(parse(v, &g), 1);
    CU_ASSERT_STRING_EQUAL(g.name[0], name);
    got_free(&g);
    free(v);
    CU_ASSERT_PTR_NULL(vcard_format("", "1"));
    CU_ASSERT_PTR_NULL(vcard_format("x", ""));
    CU_ASSERT_PTR_NULL(vcard_format("\xff", "1"));
    v = vcard_format("two\nlines", "1");
    CU_ASSERT(strstr(v, "FN:two\\nlines\r\n") != NULL);
    CU_ASSERT_EQUAL(parse(v, &g), 1);
    CU_ASSERT_STRING_EQUAL(g.name[0], "two\nlines");
    got_free(&g);
    free(v);
}

static void test_parse_21_qp(void)
{
    const char *text =
        "BEGIN:VCARD\r\n"
        "VERSION:2.1\r\n"
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0;=E4=B8=89;;;\r\n"
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0=E4=B8=89=20=E5=B0=8F=\r\n"
        "=E5=BC=A0\r\n"
        "TEL;CELL:13800000001\r\n"
        "TEL;HOME;VOICE:010-1234 5678\r\n"
        "TEL;WORK:+86 10 8888\r\n"
        "END:VCARD\r\n";
    struct got g;
    CU_ASSERT_EQUAL_FATAL(parse(text, &g), 1);
    CU_ASSERT_STRING_EQUAL(g.name[0], "张三 小张");
    CU_ASSERT_EQUAL_FATAL(g.ntel[0], 3);
    CU_ASSERT_STRING_EQUAL(g.tel[0][0], "13800000001");
    CU_ASSERT_STRING_EQUAL(g.tel[0][1], "010-1234 5678");
    CU_ASSERT_STRING_EQUAL(g.tel[0][2], "+86 10 8888");
    CU_ASSERT_STRING_EQUAL(g.raw[0], text);
    got_free(&g);
    /* no FN: the name comes from N (given before family) */
    const char *n_only = "BEGIN:VCARD\nVERSION:2.1\nN:Doe;Jane;;Dr.;\nTEL:1\nEND:VCARD\n";
    CU_ASSERT_EQUAL_FATAL(parse(n_only, &g), 1);
    CU_ASSERT_STRING_EQUAL(g.name[0], "Dr. Jane Doe");
    got_free(&g);
}

static void test_parse_30_several(void)
{
    const char *text =
        "some text before\r\n"
        "BEGIN:VCARD\r\n"
        "VERSION:3.0\r\n"
        "FN:Anne\r\n"
        "  Marie\\, the second\r\n"
        "item1.TEL;TYPE=CELL,VOICE:+44 20\r\n"
        " 7946 0000\r\n"
        "EMAIL:anne@example.com\r\n"
        "END:VCARD\r\n"
        "begin:vcard\r\n"
        "version:3.0\r\n"
        "fn:李四 😀\r\n"
        "tel:139\r\n"
        "end:vcard\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nORG:Acme;Sales\r\nEND:VCARD\r\n";
    struct got g;
    CU_ASSERT_EQUAL_FATAL(parse(text, &g), 3);
    CU_ASSERT_STRING_EQUAL(g.name[0], "Anne Marie, the second");
    CU_ASSERT_EQUAL(g.ntel[0], 1);
    CU_ASSERT_STRING_EQUAL(g.tel[0][0], "+44 207946 0000");
    CU_ASSERT_STRING_EQUAL(g.name[1], "李四 😀");
    CU_ASSERT_STRING_EQUAL(g.tel[1][0], "139");
    CU_ASSERT(strncmp(g.raw[1], "begin:vcard\r\n", 13) == 0);
    CU_ASSERT_STRING_EQUAL(g.name[2], "Acme Sales");
    CU_ASSERT_EQUAL(g.ntel[2], 0);
    got_free(&g);
    CU_ASSERT_EQUAL(parse("just an sms, no card", &g), 0);
    CU_ASSERT_EQUAL(g.n, 0);
}

static void test_refuses_garbage(void)
{
    struct got g;
    static const char *const bad[] = {
        "BEGIN:VCARD\r\nFN:x\r\n",                                      /* unterminated */
        "BEGIN:VCARD\r\nBEGIN:VCARD\r\nEND:VCARD\r\n",                  /* nested */
        "END:VCARD\r\n",                                                /* end without begin */
        "BEGIN:VCARD\r\nthis line has no colon\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nFN;ENCODING=QUOTED-PRINTABLE:=ZZ\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nFN;ENCODING=QUOTED-PRINTABLE:=E5=BC\r\nEND:VCARD\r\n",   /* decodes to bad UTF-8 */
        "BEGIN:VCARD\r\nFN;ENCODING=QUOTED-PRINTABLE:abc=\r\n",           /* soft break at the end */
        "BEGIN:VCARD\r\nFN:\xc3\x28\r\nEND:VCARD\r\n",                    /* invalid UTF-8 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(parse(bad[i], &g), -1);
        CU_ASSERT_EQUAL(g.n, 0);   /* the callback never ran */
    }
    /* a good card before a broken one is not reported either */
    CU_ASSERT_EQUAL(parse("BEGIN:VCARD\nFN:a\nEND:VCARD\nBEGIN:VCARD\nFN:b\n", &g), -1);
    CU_ASSERT_EQUAL(g.n, 0);
    /* NUL inside the length */
    CU_ASSERT_EQUAL(vcard_parse("BEGIN:VCARD\0", 12, collect, &g, NULL), VCARD_MALFORMED);
    /* random bytes never crash */
    unsigned seed = 42;
    char buf[256];
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(rand_r(&seed) % sizeof buf);
        for (size_t i = 0; i < n; i++) {
            static const char alphabet[] = "BEGIN:VCARDEND\r\n;=:QUOTED-PRINTABLE\\ \t,aF0\xe5\xbc\xa0";
            buf[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
        }
        memset(&g, 0, sizeof g);
        size_t count = 99;
        enum vcard_result rc = vcard_parse(buf, n, collect, &g, &count);
        /* every card read was handed over; a malformed text hands over none */
        if (rc == VCARD_OK) {
            CU_ASSERT_EQUAL((size_t)g.n, count < MAXC ? count : MAXC);
        } else {
            CU_ASSERT_EQUAL(g.n, 0);
        }
        got_free(&g);
    }
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("vcard", NULL, NULL);
    CU_add_test(s, "format: escaping, folding, round trip", test_format_and_round_trip);
    CU_add_test(s, "parse 2.1 quoted-printable, soft breaks, several TEL", test_parse_21_qp);
    CU_add_test(s, "parse 3.0 folding, escapes, several cards", test_parse_30_several);
    CU_add_test(s, "refuses broken input without calling back", test_refuses_garbage);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
