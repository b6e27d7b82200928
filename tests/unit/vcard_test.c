/*
 * vcard_test — CUnit suite for common/vcard: formatting (escaping, folding,
 * round trip) and parsing vCard 2.1 (quoted-printable, soft breaks) and 3.0
 * (folding, escapes), several TEL lines with their types and PREF, UID, the
 * charsets cards name (GB2312, Big5, GBK, GB18030, windows-1252, Latin-1,
 * UTF-16) and the card text kept in UTF-8, and refusal of broken input
 * (bad quoted-printable, unknown charsets, NUL bytes) — hostile cases too:
 * a thousand TELs, a card as long as 60 SMS segments.
 */
#include <CUnit/Basic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
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
        "BEGIN:VCARD\r\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC\r\nEND:VCARD\r\n",   /* bad UTF-8 */
        "BEGIN:VCARD\r\nFN;ENCODING=QUOTED-PRINTABLE:abc=\r\n",           /* soft break at the end */
        "BEGIN:VCARD\r\nFN:\xc3\x28\r\nEND:VCARD\r\n",                    /* neither UTF-8 nor GB18030 */
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

/* ---- vcard_read: charsets, types, the text kept ---- */

#define MAXT 40

struct card_got {
    int n;
    char *name, *uid, *text;
    size_t text_len, ntels;
    char *tel[MAXT], *types[MAXT];
    bool pref[MAXT], converted;
};

static void card_collect(const struct vcard_card *c, void *ctx)
{
    struct card_got *g = ctx;
    if (g->n++ > 0)
        return;   /* the first card only */
    g->name = strdup(c->name);
    g->uid = strdup(c->uid);
    g->text = strndup(c->text, c->text_len);
    g->text_len = c->text_len;
    g->ntels = c->ntels;
    g->converted = c->converted;
    for (size_t i = 0; i < c->ntels && i < MAXT; i++) {
        g->tel[i] = strdup(c->tels[i].number);
        g->types[i] = strdup(c->tels[i].types);
        g->pref[i] = c->tels[i].pref;
    }
}

static void card_got_free(struct card_got *g)
{
    free(g->name);
    free(g->uid);
    free(g->text);
    for (size_t i = 0; i < g->ntels && i < MAXT; i++) {
        free(g->tel[i]);
        free(g->types[i]);
    }
    memset(g, 0, sizeof *g);
}

static enum vcard_result read_card(const char *data, size_t len, struct card_got *g)
{
    memset(g, 0, sizeof *g);
    return vcard_read(data, len, card_collect, g, NULL);
}

/* A card that is not UTF-8 is written again (its text holds kept), named
 * name, and that text reads back as the same one card. */
static void converted_reads_back(const char *card, size_t len, const char *name, const char *kept)
{
    struct card_got g, again;
    CU_ASSERT_EQUAL_FATAL(read_card(card, len, &g), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(g.name, name);
    CU_ASSERT_TRUE(g.converted);
    CU_ASSERT_PTR_NOT_NULL(strstr(g.text, kept));
    CU_ASSERT_EQUAL_FATAL(read_card(g.text, g.text_len, &again), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(again.name, name);
    CU_ASSERT_EQUAL(again.n, 1);
    card_got_free(&again);
    card_got_free(&g);
}

static void test_read_types_pref_uid(void)
{
    const char *v21 = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Wang;Wei\r\nTEL;HOME;VOICE:010-1\r\n"
                      "TEL;CELL;PREF:13800000002\r\nTEL;WORK;CELL;cell:13800000003\r\nUID:abc-1\r\nEND:VCARD\r\n";
    struct card_got g;
    CU_ASSERT_EQUAL_FATAL(read_card(v21, strlen(v21), &g), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(g.name, "Wei Wang");
    CU_ASSERT_STRING_EQUAL(g.uid, "abc-1");
    CU_ASSERT_EQUAL_FATAL(g.ntels, 3);
    CU_ASSERT_STRING_EQUAL(g.types[0], "HOME,VOICE");
    CU_ASSERT_FALSE(g.pref[0]);
    CU_ASSERT_STRING_EQUAL(g.types[1], "CELL,PREF");
    CU_ASSERT_TRUE(g.pref[1]);
    CU_ASSERT_STRING_EQUAL(g.types[2], "WORK,CELL");   /* each type once */
    CU_ASSERT_FALSE(g.pref[2]);
    CU_ASSERT_STRING_EQUAL(g.text, v21);   /* UTF-8: byte for byte */
    CU_ASSERT_FALSE(g.converted);
    card_got_free(&g);
    /* 3.0: TYPE= lists, several TYPE=, pref in any case; 4.0 PREF=1; no UID */
    const char *v30 = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nTEL;TYPE=work,voice;TYPE=Pref:1001\r\n"
                      "TEL;TYPE=\"cell\":1002\r\nTEL;VALUE=uri;PREF=1:tel:1003\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL_FATAL(read_card(v30, strlen(v30), &g), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(g.uid, "");
    CU_ASSERT_EQUAL_FATAL(g.ntels, 3);
    CU_ASSERT_STRING_EQUAL(g.types[0], "WORK,VOICE,PREF");
    CU_ASSERT_TRUE(g.pref[0]);
    CU_ASSERT_STRING_EQUAL(g.types[1], "CELL");
    CU_ASSERT_STRING_EQUAL(g.types[2], "PREF");
    CU_ASSERT_TRUE(g.pref[2]);
    card_got_free(&g);
    /* a type of 32 characters is kept, a longer one is no type */
    const char *longt = "BEGIN:VCARD\r\nFN:L\r\nTEL;TYPE=ABCDEFGHIJKLMNOPQRSTUVWXYZ012345,X-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"
                        ":1001\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL_FATAL(read_card(longt, strlen(longt), &g), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(g.types[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345");
    card_got_free(&g);
    /* a quoted-printable TEL: the encoding is no type */
    const char *qp = "BEGIN:VCARD\r\nFN:B\r\nTEL;CELL;ENCODING=QUOTED-PRINTABLE:=31=33=39\r\n"
                     "TEL;QUOTED-PRINTABLE;HOME:=31=30\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL_FATAL(read_card(qp, strlen(qp), &g), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(g.tel[0], "139");
    CU_ASSERT_STRING_EQUAL(g.types[0], "CELL");
    CU_ASSERT_STRING_EQUAL(g.types[1], "HOME");
    card_got_free(&g);
}

static void test_read_charsets(void)
{
    struct card_got g;
    /* GB2312 in quoted-printable: the text is ASCII, kept byte for byte; the name decoded */
    const char *gbqp = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:=D5=C5;=CE=B0\r\n"
                       "TEL;CELL:13900000001\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL_FATAL(read_card(gbqp, strlen(gbqp), &g), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(g.name, "伟 张");
    CU_ASSERT_STRING_EQUAL(g.text, gbqp);
    CU_ASSERT_FALSE(g.converted);
    card_got_free(&g);
    /* Big5 as 8-bit bytes: 許功 is B3 5C A5 5C, both ending in the byte of '\\' —
     * converted before the escapes are read, so nothing is eaten */
    const char big5[] = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=BIG5:\xB3\x5C\xA5\x5C\r\nTEL:1380\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL_FATAL(read_card(big5, sizeof big5 - 1, &g), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(g.name, "許功");
    CU_ASSERT_TRUE(g.converted);
    CU_ASSERT_STRING_EQUAL(g.text, "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=UTF-8:許功\r\nTEL:1380\r\nEND:VCARD\r\n");
    card_got_free(&g);
    /* the text written again reads back to the same card */
    const char gbk[] = "BEGIN:VCARD\r\nFN;CHARSET=GBK;ENCODING=QUOTED-PRINTABLE:=D5=C5=CE=B0=0D=0A=\r\nx\r\n"
                       "N;CHARSET=GBK:\xD5\xC5;\xCE\xB0\r\nTEL:139\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL_FATAL(read_card(gbk, sizeof gbk - 1, &g), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(g.name, "张伟\r\nx");
    CU_ASSERT_TRUE(g.converted);
    CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "N;CHARSET=UTF-8:张;伟\r\n"));
    /* a property that was ASCII (quoted-printable) stays as it came */
    CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "FN;CHARSET=GBK;ENCODING=QUOTED-PRINTABLE:=D5=C5=CE=B0=0D=0A=\r\nx\r\n"));
    struct card_got again;
    CU_ASSERT_EQUAL_FATAL(read_card(g.text, g.text_len, &again), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(again.name, g.name);
    CU_ASSERT_STRING_EQUAL(again.text, g.text);   /* UTF-8 now: kept as it is */
    CU_ASSERT_FALSE(again.converted);
    card_got_free(&again);
    card_got_free(&g);
    /* a GB18030 line folded onto an empty line: written again, it must not
     * fold into the line before it (it did: BEGIN's value took it in); the
     * name is what follows the blanks */
    const char folded[] = "BEGIN:VCARD\r\n\r\n   NOTE:\xD5\xC5\r\n\r\n FN:Li\r\nEND:VCARD\r\n";
    converted_reads_back(folded, sizeof folded - 1, "Li", "\r\nNOTE;CHARSET=UTF-8:张\r\n");
    /* an empty line between a lone CR and a folded line stays: dropped,
     * "\r" + "\n" became one line end and the fold went into BEGIN */
    const char folded2[] = "BEGIN:VCARD\r\r\n\n  FN:Li\r\nNOTE:\xD5\xC5\r\nEND:VCARD\r\n";
    converted_reads_back(folded2, sizeof folded2 - 1, "Li", "BEGIN:VCARD\r\r\n\n  FN:Li\r\n");
    /* quoted-printable stays quoted-printable when a property is written again */
    const char qp8[] = "BEGIN:VCARD\r\nNOTE;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:\xD5\xC5=0D=0A=CE=B0\r\nFN:a\r\n"
                       "END:VCARD\r\n";
    CU_ASSERT_EQUAL_FATAL(read_card(qp8, sizeof qp8 - 1, &g), VCARD_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:=E5=BC=A0=0D=0A=E4=BC=9F\r\n"));
    card_got_free(&g);
    /* windows-1252 (the euro sign is 0x80 there), ISO-8859-1, GB18030 (four-byte sequences) */
    static const struct { const char *card, *name; } sets[] = {
        { "BEGIN:VCARD\r\nFN;CHARSET=windows-1252:Zo\xEB \x80\r\nTEL:1\r\nEND:VCARD\r\n", "Zoë €" },
        { "BEGIN:VCARD\r\nFN;CHARSET=ISO-8859-1:M\xFCller\r\nTEL:1\r\nEND:VCARD\r\n", "Müller" },
        { "BEGIN:VCARD\r\nFN;CHARSET=GB18030:\x95\x32\x82\x36\r\nTEL:1\r\nEND:VCARD\r\n", "𠀀" },
        { "BEGIN:VCARD\r\nFN;CHARSET=gb2312:\xD5\xC5\xCE\xB0\r\nTEL:1\r\nEND:VCARD\r\n", "张伟" },
        /* no charset named and not UTF-8: GB18030, what Chinese handsets mean */
        { "BEGIN:VCARD\r\nFN:\xD5\xC5\xCE\xB0\r\nTEL:1\r\nEND:VCARD\r\n", "张伟" },
        /* UTF-16 in quoted-printable, big-endian with a byte order mark */
        { "BEGIN:VCARD\r\nFN;CHARSET=UTF-16;ENCODING=QUOTED-PRINTABLE:=FE=FF=5F=20=4F=1F\r\nTEL:1\r\nEND:VCARD\r\n",
          "张伟" },
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        CU_ASSERT_EQUAL_FATAL(read_card(sets[i].card, strlen(sets[i].card), &g), VCARD_OK);
        CU_ASSERT_STRING_EQUAL(g.name, sets[i].name);
        card_got_free(&g);
    }
    /* a whole file in UTF-16LE with a byte order mark, as some phones export */
    const char *u8 = "BEGIN:VCARD\r\nFN:李雷\r\nTEL;CELL:13700000000\r\nEND:VCARD\r\n";
    char u16[256];
    size_t n = 0;
    u16[n++] = (char)0xFF;
    u16[n++] = (char)0xFE;
    for (const char *p = u8; *p;) {   /* UTF-8 to UTF-16LE, BMP only */
        unsigned char c = (unsigned char)*p;
        unsigned cp = c < 0x80 ? c : (c & 0x0F) << 12 | ((unsigned char)p[1] & 0x3F) << 6 | ((unsigned char)p[2] & 0x3F);
        p += c < 0x80 ? 1 : 3;
        u16[n++] = (char)(cp & 0xFF);
        u16[n++] = (char)(cp >> 8);
    }
    CU_ASSERT_EQUAL_FATAL(read_card(u16, n, &g), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(g.name, "李雷");
    CU_ASSERT_STRING_EQUAL(g.tel[0], "13700000000");
    CU_ASSERT_STRING_EQUAL(g.text, u8);
    CU_ASSERT_TRUE(g.converted);
    card_got_free(&g);
    /* without the mark too, and a UTF-8 byte order mark is skipped */
    CU_ASSERT_EQUAL(read_card(u16 + 2, n - 2, &g), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(g.name, "李雷");
    card_got_free(&g);
    char bom8[128] = "\xEF\xBB\xBF";
    strcat(bom8, u8);
    CU_ASSERT_EQUAL(read_card(bom8, strlen(bom8), &g), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(g.text, u8);
    card_got_free(&g);
}

static void test_read_refuses_hostile(void)
{
    struct card_got g;
    static const struct { const char *card; size_t len; enum vcard_result want; } bad[] = {
        /* charset names that are not known, or not names */
        { "BEGIN:VCARD\r\nFN;CHARSET=NO-SUCH-CHARSET:x\r\nEND:VCARD\r\n", 0, VCARD_CHARSET },
        { "BEGIN:VCARD\r\nFN;CHARSET=UTF-8//TRANSLIT:x\r\nEND:VCARD\r\n", 0, VCARD_CHARSET },
        { "BEGIN:VCARD\r\nFN;CHARSET=:x\r\nEND:VCARD\r\n", 0, VCARD_CHARSET },
        { "BEGIN:VCARD\r\nFN;CHARSET=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:x\r\nEND:VCARD\r\n", 0, VCARD_CHARSET },
        /* a value that is not valid in its charset; UTF-8 named but not UTF-8 */
        { "BEGIN:VCARD\r\nFN;CHARSET=GB2312:\xD5\r\nEND:VCARD\r\n", 0, VCARD_CHARSET },
        { "BEGIN:VCARD\r\nFN;CHARSET=UTF-8:\xD5\xC5\r\nEND:VCARD\r\n", 0, VCARD_CHARSET },
        /* bad quoted-printable */
        { "BEGIN:VCARD\r\nFN;ENCODING=QUOTED-PRINTABLE:=G1\r\nEND:VCARD\r\n", 0, VCARD_MALFORMED },
        { "BEGIN:VCARD\r\nFN;ENCODING=QUOTED-PRINTABLE:ab=4\r\nEND:VCARD\r\n", 0, VCARD_MALFORMED },
        /* NUL bytes: in a value, in the BEGIN line, decoded from quoted-printable, from UTF-16 */
        { "BEGIN:VCARD\r\nFN:a\0b\r\nTEL:1\r\nEND:VCARD\r\n", 37, VCARD_MALFORMED },
        { "BEGIN:VCARD\0\r\nFN:a\r\nEND:VCARD\r\n", 31, VCARD_MALFORMED },
        { "BEGIN:VCARD\r\nFN;ENCODING=QUOTED-PRINTABLE:a=00b\r\nEND:VCARD\r\n", 0, VCARD_CHARSET },
        { "BEGIN:VCARD\r\nFN;CHARSET=UTF-16;ENCODING=QUOTED-PRINTABLE:=00=00\r\nEND:VCARD\r\n", 0, VCARD_CHARSET },
        /* UTF-16 cut in the middle of a character */
        { "\xFF\xFE" "B\0E\0G", 7, VCARD_CHARSET },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = bad[i].len ? bad[i].len : strlen(bad[i].card);
        enum vcard_result r = read_card(bad[i].card, len, &g);
        if (r != bad[i].want)
            fprintf(stderr, "\n  case %zu: got %d want %d\n", i, r, bad[i].want);
        CU_ASSERT_EQUAL(r, bad[i].want);
        CU_ASSERT_EQUAL(g.n, 0);   /* nothing handed over */
    }
}

static void test_read_big_cards(void)
{
    /* a thousand TELs: the first VCARD_MAX_TELS are kept, the card is read */
    struct buf b = { 0 };
    buf_puts(&b, "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Many\r\n");
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "TEL;CELL:138%08d\r\n", i);
    buf_puts(&b, "END:VCARD\r\n");
    struct card_got g;
    CU_ASSERT_EQUAL_FATAL(read_card(b.data, b.len, &g), VCARD_OK);
    CU_ASSERT_EQUAL(g.ntels, VCARD_MAX_TELS);
    CU_ASSERT_STRING_EQUAL(g.tel[0], "13800000000");
    CU_ASSERT_STRING_EQUAL(g.tel[VCARD_MAX_TELS - 1], "13800000031");
    CU_ASSERT_EQUAL(g.text_len, b.len);
    card_got_free(&g);
    buf_cleanup(&b);
    /* 60 segments of a business card: a long NOTE in quoted-printable GB2312 with soft breaks */
    buf_puts(&b, "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:=D5=C5;=CE=B0\r\n"
                 "TEL;CELL;PREF:13900000009\r\nNOTE;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:");
    size_t col = 45;
    while (b.len < 60 * 128) {
        if (col > 70) {
            buf_puts(&b, "=\r\n");
            col = 0;
        }
        buf_puts(&b, "=D5=C5");
        col += 6;
    }
    buf_puts(&b, "\r\nEND:VCARD\r\n");
    CU_ASSERT_EQUAL_FATAL(read_card(b.data, b.len, &g), VCARD_OK);
    CU_ASSERT_STRING_EQUAL(g.name, "伟 张");
    CU_ASSERT_TRUE(g.pref[0]);
    CU_ASSERT_EQUAL(g.text_len, b.len);
    card_got_free(&g);
    buf_cleanup(&b);
}

/* vcard_with_tels(card) with the two TELs below is want, and reads back as
 * those two numbers with PREF on the second only. */
static const struct vcard_tel two_tels[] = { { "010-1234", "HOME", false }, { "13800000001", "CELL,PREF", true } };

static void with_tels_is(const char *card, const char *want)
{
    size_t len = 0;
    char *out = vcard_with_tels(card, strlen(card), two_tels, 2, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_EQUAL(len, strlen(out));
    CU_ASSERT_STRING_EQUAL(out, want);
    struct card_got g = { 0 };
    CU_ASSERT_EQUAL_FATAL(read_card(out, len, &g), VCARD_OK);
    CU_ASSERT_EQUAL_FATAL(g.ntels, 2);
    CU_ASSERT_STRING_EQUAL(g.tel[0], "010-1234");
    CU_ASSERT_STRING_EQUAL(g.tel[1], "13800000001");
    CU_ASSERT_FALSE(g.pref[0]);
    CU_ASSERT_TRUE(g.pref[1]);
    card_got_free(&g);
    free(out);
}

/* A person's card (issue 10): the TELs replaced, every other line kept as it
 * is (folded and quoted-printable ones too), in the syntax of the card's
 * VERSION, and what reads back is the same numbers with PREF on the one
 * marked. */
static void test_with_tels(void)
{
    with_tels_is("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zhang San\r\nitem1.TEL;TYPE=CELL:139\r\n 00000001\r\n"
                 "EMAIL:z@example.com\r\nNOTE:a long\r\n  note\r\nTEL:13700000000\r\nEND:VCARD\r\n",
                 "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zhang San\r\nEMAIL:z@example.com\r\n"
                 "NOTE:a long\r\n  note\r\nTEL;TYPE=HOME:010-1234\r\nTEL;TYPE=CELL,PREF:13800000001\r\n"
                 "END:VCARD\r\n");
    /* 2.1: TEL;CELL;PREF, a quoted-printable soft break is one line; LF line ends stay LF */
    with_tels_is("BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E6=9D=8E=\n=E9=9B=B7;;\n"
                 "TEL;CELL:13900000002\nEND:VCARD",
                 "BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E6=9D=8E=\n"
                 "=E9=9B=B7;;\nTEL;HOME:010-1234\nTEL;CELL;PREF:13800000001\nEND:VCARD\n");
    /* lines as the reader sees them (found by fuzz_card): "END:V0" is no
     * end of the card, and a TEL whose name is folded is a TEL */
    with_tels_is("BEGIN:VCARD\r\nVERSION:2.1\r\nNOTE:a\rEND:V0\r\nTE\r\n L;CELL:13900000009\r\n"
                 "EMAIL:x@example.com\r\nEND:VCARD\r\n",
                 "BEGIN:VCARD\r\nVERSION:2.1\r\nNOTE:a\rEND:V0\r\nEMAIL:x@example.com\r\n"
                 "TEL;HOME:010-1234\r\nTEL;CELL;PREF:13800000001\r\nEND:VCARD\r\n");
    /* 4.0: PREF is a parameter of its own */
    size_t len = 0;
    const char *v4 = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:W\r\nEND:VCARD\r\n";
    char *out = vcard_with_tels(v4, strlen(v4), two_tels, 2, &len);
    CU_ASSERT_TRUE(strstr(out, "TEL;TYPE=CELL;PREF=1:13800000001\r\n") != NULL);
    free(out);
    /* no card: none */
    CU_ASSERT_PTR_NULL(vcard_with_tels("FN:x\r\n", 6, two_tels, 2, &len));
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
    CU_add_test(s, "read: TEL types, PREF, UID", test_read_types_pref_uid);
    CU_add_test(s, "read: charsets, the text kept in UTF-8", test_read_charsets);
    CU_add_test(s, "read: unknown charsets, bad quoted-printable, NUL bytes", test_read_refuses_hostile);
    CU_add_test(s, "read: a thousand TELs, a 60-segment card", test_read_big_cards);
    CU_add_test(s, "with_tels: a person's numbers in the card's syntax", test_with_tels);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
