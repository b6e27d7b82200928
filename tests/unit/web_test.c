/*
 * web_test — CUnit suite for vaultweb's parsers and formats, with no server
 * and no database: SMS Backup & Restore XML import (Chinese, emoji written
 * as surrogate-pair references, MMS parts, hostile documents), vCard and
 * CSV import, exports that read back to the same items, strict JSON field
 * reading, and the store-result → HTTP status table.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "export.h"
#include "framing.h"
#include "proxy.h"
#include "import.h"
#include "import_csv.h"
#include "import_vcard.h"
#include "import_xml.h"
#include "json.h"
#include "lang.h"
#include "status.h"

/* ---- a sink that records what the parsers hand over ---- */

struct got {
    int nsms, nmms, ncontacts;
    char *body[16], *peer[16], *read[16], *xname[16], *xvalue[16];
    long long sent[16], ms[16], dsent[16];
    int type[16];
    size_t nextra[16];
    char *mms_subject, *mms_m_type, *mms_xname;
    int mms_box, mms_addr_type[4];
    size_t mms_nparts, mms_naddrs;
    char *mms_ct[8], *mms_cid[8], *mms_cl[8], *mms_addr[4];
    size_t mms_len[8];
    unsigned char mms_first_byte[8];
    char *cname[16], *cnum[16], *cvcard[16];
    int stop_after;   /* 0: never */
};

static enum import_next got_sms(void *arg, const struct store_sms_new *m)
{
    struct got *g = arg;
    if (g->nsms < 16) {
        g->body[g->nsms] = xmemdup0(m->body, m->body_len);
        g->peer[g->nsms] = xstrdup(m->peer);
        g->sent[g->nsms] = (long long)m->sent_at;
        g->ms[g->nsms] = m->sent_ms;
        g->dsent[g->nsms] = m->date_sent_ms;
        g->type[g->nsms] = m->type;
        g->read[g->nsms] = m->fields[STORE_SMS_READ] ? xstrdup(m->fields[STORE_SMS_READ]) : NULL;
        g->nextra[g->nsms] = m->nextra;
        if (m->nextra) {
            g->xname[g->nsms] = xstrdup(m->extra[0].name);
            g->xvalue[g->nsms] = xstrdup(m->extra[0].value);
        }
    }
    g->nsms++;
    CU_ASSERT(m->skip_duplicate);
    return g->stop_after && g->nsms >= g->stop_after ? IMPORT_STOP : IMPORT_GO_ON;
}

static enum import_next got_mms(void *arg, const struct store_mms_new *m)
{
    struct got *g = arg;
    g->nmms++;
    free(g->mms_subject);
    free(g->mms_m_type);
    free(g->mms_xname);
    g->mms_subject = m->subject ? xstrdup(m->subject) : NULL;
    g->mms_m_type = m->fields[STORE_MMS_M_TYPE] ? xstrdup(m->fields[STORE_MMS_M_TYPE]) : NULL;
    g->mms_xname = m->nextra ? xstrdup(m->extra[0].name) : NULL;
    g->mms_box = m->msg_box;
    g->mms_nparts = m->nparts;
    g->mms_naddrs = m->naddrs;
    for (size_t i = 0; i < m->naddrs && i < 4; i++) {
        free(g->mms_addr[i]);
        g->mms_addr[i] = xstrdup(m->addrs[i].address);
        g->mms_addr_type[i] = m->addrs[i].type;
    }
    for (size_t i = 0; i < m->nparts && i < 8; i++) {
        free(g->mms_ct[i]);
        free(g->mms_cid[i]);
        free(g->mms_cl[i]);
        g->mms_ct[i] = xstrdup(m->parts[i].content_type);
        g->mms_cid[i] = xstrdup(m->parts[i].content_id ? m->parts[i].content_id : "");
        g->mms_cl[i] = xstrdup(m->parts[i].content_location ? m->parts[i].content_location : "");
        g->mms_len[i] = m->parts[i].len;
        g->mms_first_byte[i] = m->parts[i].len ? m->parts[i].data[0] : 0;
    }
    return IMPORT_GO_ON;
}

static enum import_next got_contact(void *arg, const struct store_contact_new *c)
{
    struct got *g = arg;
    if (g->ncontacts < 16) {
        g->cname[g->ncontacts] = xstrdup(c->name);
        g->cnum[g->ncontacts] = xstrdup(c->number);
        g->cvcard[g->ncontacts] = xmemdup0(c->vcard, c->vcard_len);
    }
    g->ncontacts++;
    return IMPORT_GO_ON;
}

/* a card: one entry per number the store keeps, in the order it stores them */
static enum import_next got_card(void *arg, const struct vcard_card *c)
{
    struct got *g = arg;
    size_t order[VCARD_MAX_TELS];
    size_t k = store_card_order(c, order);
    for (size_t i = 0; i < k; i++) {
        if (g->ncontacts < 16) {
            g->cname[g->ncontacts] = xstrdup(c->name);
            g->cnum[g->ncontacts] = xstrdup(c->tels[order[i]].number);
            g->cvcard[g->ncontacts] = xmemdup0(c->text, c->text_len);
        }
        g->ncontacts++;
    }
    return IMPORT_GO_ON;
}

static void got_free(struct got *g)
{
    for (int i = 0; i < 16; i++) {
        free(g->body[i]);
        free(g->peer[i]);
        free(g->read[i]);
        free(g->xname[i]);
        free(g->xvalue[i]);
        free(g->cname[i]);
        free(g->cnum[i]);
        free(g->cvcard[i]);
    }
    for (int i = 0; i < 8; i++) {
        free(g->mms_ct[i]);
        free(g->mms_cid[i]);
        free(g->mms_cl[i]);
    }
    for (int i = 0; i < 4; i++)
        free(g->mms_addr[i]);
    free(g->mms_subject);
    free(g->mms_m_type);
    free(g->mms_xname);
    memset(g, 0, sizeof *g);
}

static enum import_result xml_text(const char *text, struct got *g, struct import_report *rep)
{
    struct import_sink sink = { got_sms, got_mms, got_contact, got_card, g };
    char *copy = xstrdup(text);
    enum import_result r = import_xml(copy, strlen(text), &sink, rep);
    free(copy);
    return r;
}

/* ---- XML ---- */

static void test_surrogates(void)
{
    char s[] = "a&#55357;&#56846;b&#xD83D;&#xDE0E;c&#55357;d&#56846;e&#20320;";
    size_t n = import_xml_fix_surrogates(s, strlen(s));
    s[n] = '\0';
    /* 😎 twice, then two lone halves become U+FFFD, other references stay. */
    CU_ASSERT_STRING_EQUAL(s, "a\xF0\x9F\x98\x8E" "b\xF0\x9F\x98\x8E" "c\xEF\xBF\xBD" "d\xEF\xBF\xBD" "e&#20320;");
    /* idempotent: the import rewrites the upload once and parses it twice */
    CU_ASSERT_EQUAL(import_xml_fix_surrogates(s, n), n);
    CU_ASSERT_STRING_EQUAL(s, "a\xF0\x9F\x98\x8E" "b\xF0\x9F\x98\x8E" "c\xEF\xBF\xBD" "d\xEF\xBF\xBD" "e&#20320;");
    /* a surrogate reference split by one that is removed does not form again */
    char t[] = "&&#xD83D;#xDE0E;";
    size_t m = import_xml_fix_surrogates(t, strlen(t));
    t[m] = '\0';
    CU_ASSERT_STRING_EQUAL(t, "&\xEF\xBF\xBD#xDE0E;");
    CU_ASSERT_EQUAL(import_xml_fix_surrogates(t, m), m);
}

static const char SAMPLE[] =
    "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
    "<smses count=\"3\">\n"
    "  <sms protocol=\"0\" address=\"+8613800138000\" date=\"1400000000123\" type=\"1\" subject=\"null\""
    " body=\"你好，世界 &#55357;&#56846; &amp; &lt;b&gt;\" toa=\"null\" read=\"0\" date_sent=\"1399999999000\""
    " sim_slot=\"1\" />\n"
    "  <sms protocol=\"0\" address=\"null\" date=\"null\" type=\"2\" body=\"line1&#10;line2\" />\n"
    "  <sms address=\"1\" date=\"1400000000000\" type=\"+2\" body=\"a number not as the app writes it\" />\n"
    "  <sms protocol=\"0\" address=\"10086\" date=\"1\" type=\"2\" body=\"\" />\n"
    "  <mms date=\"1500000000000\" ct_t=\"application/vnd.wap.multipart.related\" msg_box=\"2\""
    " address=\"+8613900139000\" sub=\"照片\" m_type=\"128\" favorite=\"0\">\n"
    "    <parts>\n"
    "      <part seq=\"-1\" ct=\"application/smil\" name=\"null\" cid=\"&lt;smil&gt;\" cl=\"smil.xml\""
    " text=\"&lt;smil&gt;&lt;/smil&gt;\" />\n"
    "      <part seq=\"0\" ct=\"text/plain\" name=\"null\" chset=\"106\" cl=\"text0.txt\" text=\"看这个\" />\n"
    "      <part seq=\"1\" ct=\"image/png\" name=\"a.png\" cl=\"a.png\" data=\"iVBORw0KGgo=\" />\n"
    "    </parts>\n"
    "    <addrs><addr address=\"+8613700137000\" type=\"137\" charset=\"106\" />"
    "<addr address=\"+8613900139000\" type=\"151\" charset=\"106\" /></addrs>\n"
    "  </mms>\n"
    "</smses>\n";

static void test_xml_sample(void)
{
    struct got g = { 0 };
    struct import_report rep;
    CU_ASSERT_EQUAL(xml_text(SAMPLE, &g, &rep), IMPORT_OK);
    CU_ASSERT_EQUAL(g.nsms, 3);
    CU_ASSERT_EQUAL(rep.sms, 3);
    CU_ASSERT_EQUAL(rep.mms, 1);
    CU_ASSERT_EQUAL(rep.skipped, 1);   /* the empty body */
    CU_ASSERT_STRING_EQUAL(g.body[0], "你好，世界 \xF0\x9F\x98\x8E & <b>");
    CU_ASSERT_STRING_EQUAL(g.peer[0], "+8613800138000");
    /* every field: the date to the millisecond, the direction, date_sent,
     * read as written, a device's own attribute kept */
    CU_ASSERT_EQUAL(g.sent[0], 1400000000);
    CU_ASSERT_EQUAL(g.ms[0], 123);
    CU_ASSERT_EQUAL(g.type[0], STORE_SMS_RECEIVED);
    CU_ASSERT_EQUAL(g.dsent[0], 1399999999000);
    CU_ASSERT_STRING_EQUAL(g.read[0], "0");
    CU_ASSERT_EQUAL(g.nextra[0], 1);
    CU_ASSERT_STRING_EQUAL(g.xname[0], "sim_slot");
    CU_ASSERT_STRING_EQUAL(g.xvalue[0], "1");
    CU_ASSERT_STRING_EQUAL(g.body[1], "line1\nline2");
    CU_ASSERT_STRING_EQUAL(g.peer[1], "");
    CU_ASSERT_EQUAL(g.type[1], STORE_SMS_SENT);
    /* a date "null" is no date: kept as written, so that it goes out the same */
    CU_ASSERT_EQUAL(g.sent[1], 0);
    CU_ASSERT_EQUAL(g.nextra[1], 1);
    CU_ASSERT_STRING_EQUAL(g.xname[1], "date");
    CU_ASSERT_STRING_EQUAL(g.xvalue[1], "null");
    /* "+2" would go out as "2": kept as written, the type not known */
    CU_ASSERT_EQUAL(g.type[2], 0);
    CU_ASSERT_STRING_EQUAL(g.xname[2], "type");
    CU_ASSERT_STRING_EQUAL(g.xvalue[2], "+2");
    CU_ASSERT_EQUAL(g.nmms, 1);
    CU_ASSERT_STRING_EQUAL(g.mms_subject, "照片");
    CU_ASSERT_EQUAL(g.mms_box, STORE_MMS_SENT);
    CU_ASSERT_STRING_EQUAL(g.mms_m_type, "128");
    CU_ASSERT_STRING_EQUAL(g.mms_xname, "favorite");
    CU_ASSERT_EQUAL(g.mms_nparts, 3);   /* the SMIL layout is a part too, first, as in the file */
    CU_ASSERT_STRING_EQUAL(g.mms_ct[0], "application/smil");
    CU_ASSERT_STRING_EQUAL(g.mms_cid[0], "smil");
    CU_ASSERT_STRING_EQUAL(g.mms_cl[0], "smil.xml");
    CU_ASSERT_EQUAL(g.mms_len[0], strlen("<smil></smil>"));
    CU_ASSERT_STRING_EQUAL(g.mms_ct[1], "text/plain");
    CU_ASSERT_EQUAL(g.mms_len[1], strlen("看这个"));
    CU_ASSERT_STRING_EQUAL(g.mms_cl[1], "text0.txt");
    CU_ASSERT_STRING_EQUAL(g.mms_ct[2], "image/png");
    CU_ASSERT_EQUAL(g.mms_len[2], 8);
    CU_ASSERT_EQUAL(g.mms_first_byte[2], 0x89);
    CU_ASSERT_EQUAL_FATAL(g.mms_naddrs, 2);
    CU_ASSERT_STRING_EQUAL(g.mms_addr[0], "+8613700137000");
    CU_ASSERT_EQUAL(g.mms_addr_type[0], STORE_ADDR_FROM);
    CU_ASSERT_EQUAL(g.mms_addr_type[1], STORE_ADDR_TO);
    got_free(&g);
}

static void test_xml_stop(void)
{
    struct got g = { .stop_after = 1 };
    struct import_report rep;
    CU_ASSERT_EQUAL(xml_text(SAMPLE, &g, &rep), IMPORT_STOPPED);
    CU_ASSERT_EQUAL(g.nsms, 1);
    CU_ASSERT_EQUAL(g.nmms, 0);
    got_free(&g);
}

static void expect_malformed(const char *text, const char *needle)
{
    struct got g = { 0 };
    struct import_report rep;
    CU_ASSERT_EQUAL(xml_text(text, &g, &rep), IMPORT_MALFORMED);
    CU_ASSERT_EQUAL(g.nsms, 0);
    if (needle && strstr(rep.message, needle) == NULL) {
        fprintf(stderr, "\nmessage \"%s\" lacks \"%s\"\n", rep.message, needle);
        CU_FAIL("message");
    }
    got_free(&g);
}

static void test_xml_hostile(void)
{
    /* Billion laughs: refused at once, nothing expanded. */
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE smses [\n<!ENTITY l0 \"ha\">\n");
    for (int i = 1; i < 10; i++)
        buf_printf(&b, "<!ENTITY l%d \"&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;\">\n", i, i - 1, i - 1,
                   i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    buf_puts(&b, "]>\n<smses><sms address=\"1\" date=\"1\" body=\"&l9;\"/></smses>\n");
    clock_t t0 = clock();
    expect_malformed(buf_cstr(&b), "DTD");
    CU_ASSERT(clock() - t0 < CLOCKS_PER_SEC);
    buf_cleanup(&b);

    /* External entity (file disclosure / network) */
    expect_malformed("<?xml version=\"1.0\"?><!DOCTYPE smses [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                     "<smses><sms address=\"1\" body=\"&x;\"/></smses>", "DTD");
    /* An undeclared entity is an error, not an expansion. */
    expect_malformed("<smses><sms address=\"1\" body=\"&x;\"/></smses>", "line 1");

    /* Deep nesting */
    buf_init(&b);
    buf_puts(&b, "<smses>");
    for (int i = 0; i < 5000; i++)
        buf_puts(&b, "<a>");
    for (int i = 0; i < 5000; i++)
        buf_puts(&b, "</a>");
    buf_puts(&b, "</smses>");
    expect_malformed(buf_cstr(&b), "nested");
    buf_cleanup(&b);

    /* A huge attribute (past libxml2's 10 MB limit without XML_PARSE_HUGE) */
    buf_init(&b);
    buf_puts(&b, "<smses><sms address=\"1\" date=\"1\" body=\"");
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 11 * 256; i++)
        buf_append(&b, chunk, sizeof chunk);
    buf_puts(&b, "\"/></smses>");
    expect_malformed(buf_cstr(&b), NULL);
    buf_cleanup(&b);

    /* A big but legal attribute is one skipped item (over the SMS limit), not a crash. */
    buf_init(&b);
    buf_puts(&b, "<smses><sms address=\"1\" date=\"1\" body=\"");
    for (int i = 0; i < 32; i++)
        buf_append(&b, chunk, sizeof chunk);
    buf_puts(&b, "\"/><sms address=\"2\" body=\"ok\"/></smses>");
    struct got g = { 0 };
    struct import_report rep;
    CU_ASSERT_EQUAL(xml_text(buf_cstr(&b), &g, &rep), IMPORT_OK);
    CU_ASSERT_EQUAL(g.nsms, 1);
    CU_ASSERT_EQUAL(rep.skipped, 1);
    got_free(&g);
    buf_cleanup(&b);

    expect_malformed("<smses><sms address=\"1\" body=\"x\">\n<oops></smses>", "line");
    expect_malformed("<html><body>hi</body></html>", "not an SMS Backup");
    expect_malformed("", NULL);
    expect_malformed("not xml at all", NULL);
    expect_malformed("<smses><sms body=\"bad base &#0; char\"/></smses>", NULL);
}

/* ---- vCard ---- */

static const char VCARDS[] =
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Zhang;San\r\nFN:张三\r\nTEL;CELL:+8613800000001\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Li Si\r\nTEL;TYPE=CELL:+8613800000002\r\nTEL;TYPE=HOME:010-1234\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No Number\r\nEND:VCARD\r\n"
    /* numbers that are no phone numbers (common/msisdn.h): skipped, the card's phone number kept */
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Operator\r\nTEL:*100#\r\nTEL:10086\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Balance\r\nTEL:*100#\r\nEND:VCARD\r\n";

static void test_vcard(void)
{
    struct got g = { 0 };
    struct import_report rep;
    struct import_sink sink = { got_sms, got_mms, got_contact, got_card, &g };
    CU_ASSERT_EQUAL(import_detect(VCARDS, strlen(VCARDS)), IMPORT_FORMAT_VCARD);
    CU_ASSERT_EQUAL(import_vcard(VCARDS, strlen(VCARDS), &sink, &rep), IMPORT_OK);
    CU_ASSERT_EQUAL(g.ncontacts, 4);
    CU_ASSERT_EQUAL(rep.skipped, 3);   /* No Number, Operator's *100#, Balance */
    CU_ASSERT_STRING_EQUAL(g.cname[3], "Operator");
    CU_ASSERT_STRING_EQUAL(g.cnum[3], "10086");
    CU_ASSERT_STRING_EQUAL(g.cname[0], "张三");
    CU_ASSERT_STRING_EQUAL(g.cnum[0], "+8613800000001");
    CU_ASSERT(strstr(g.cvcard[0], "VERSION:2.1") != NULL);   /* a one-number card keeps its own text */
    /* several numbers: the card whole, a row for each, the current one (the first: no PREF) last */
    CU_ASSERT_STRING_EQUAL(g.cname[1], "Li Si");
    CU_ASSERT_STRING_EQUAL(g.cnum[1], "010-1234");
    CU_ASSERT_STRING_EQUAL(g.cnum[2], "+8613800000002");
    CU_ASSERT(strstr(g.cvcard[2], "010-1234") != NULL && strstr(g.cvcard[2], "+8613800000002") != NULL);
    got_free(&g);

    CU_ASSERT_EQUAL(import_vcard("hello", 5, &sink, &rep), IMPORT_MALFORMED);
    CU_ASSERT_EQUAL(import_vcard("BEGIN:VCARD\r\n\xff\r\nEND:VCARD\r\n", 27, &sink, &rep), IMPORT_MALFORMED);
    CU_ASSERT_EQUAL(import_vcard("BEGIN:VCARD\r\nFN;CHARSET=X-NONE:a\r\nTEL:123\r\nEND:VCARD\r\n", 50, &sink, &rep),
                    IMPORT_MALFORMED);
    CU_ASSERT(strstr(rep.message, "character set") != NULL);
    /* a phone's export in GB2312 (8-bit, as Chinese handsets write them): read */
    static const char gb[] = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=GB2312:\xD5\xC5\xCE\xB0\r\n"
                             "TEL;CELL:13800000009\r\nEND:VCARD\r\n";
    CU_ASSERT_EQUAL(import_vcard(gb, sizeof gb - 1, &sink, &rep), IMPORT_OK);
    CU_ASSERT_EQUAL_FATAL(g.ncontacts, 1);
    CU_ASSERT_STRING_EQUAL(g.cname[0], "张伟");
    CU_ASSERT(strstr(g.cvcard[0], "FN;CHARSET=UTF-8:张伟") != NULL);
    got_free(&g);
}

/* ---- CSV ---- */

static void test_csv(void)
{
    struct got g = { 0 };
    struct import_report rep;
    struct import_sink sink = { got_sms, got_mms, got_contact, got_card, &g };
    const char *sms = "\xEF\xBB\xBFn,peer,date,body\r\n"
                      "1,+86138,2024-05-01T12:30:00Z,\"你好, \"\"world\"\"\nsecond line\"\r\n"
                      "2,10086,1400000000000,plain\n"
                      "\n"
                      "3,,,\r\n";
    CU_ASSERT_EQUAL(import_detect(sms, strlen(sms)), IMPORT_FORMAT_CSV);
    CU_ASSERT_EQUAL(import_csv(sms, strlen(sms), &sink, &rep), IMPORT_OK);
    CU_ASSERT_EQUAL(g.nsms, 2);
    CU_ASSERT_EQUAL(rep.skipped, 1);
    CU_ASSERT_STRING_EQUAL(g.body[0], "你好, \"world\"\nsecond line");
    CU_ASSERT_EQUAL(g.sent[0], 1714566600);
    CU_ASSERT_EQUAL(g.sent[1], 1400000000);
    got_free(&g);

    const char *contacts = "Name,Phone\n王五,+8613700000000\n\"Smith, J\",555\nBalance,*100#\nNobody,\n";
    CU_ASSERT_EQUAL(import_csv(contacts, strlen(contacts), &sink, &rep), IMPORT_OK);
    CU_ASSERT_EQUAL(g.ncontacts, 2);
    CU_ASSERT_EQUAL(rep.skipped, 2);   /* *100# is no phone number; no number at all */
    CU_ASSERT_STRING_EQUAL(g.cname[1], "Smith, J");
    CU_ASSERT(strstr(g.cvcard[0], "+8613700000000") != NULL);
    got_free(&g);

    const char *bad[] = { "body\n\"unclosed\n", "a,b\n1,2\n", "body\nab\"c\n", "", "body\n\"x\"y\n" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(import_csv(bad[i], strlen(bad[i]), &sink, &rep), IMPORT_MALFORMED);
        CU_ASSERT(rep.message[0] != '\0');
    }
    CU_ASSERT_EQUAL(g.nsms, 0);
    got_free(&g);
}

static void test_parse_time(void)
{
    static const struct { const char *text; long long t; } times[] = {
        { "0", 0 }, { "1400000000", 1400000000 }, { "1400000000999", 1400000000 },
        { "2014-05-13T16:53:20.999Z", 1400000000 },
        { "1970-01-02", 86400 }, { "1970-01-01 00:01", 60 },
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        long long t = -7;
        CU_ASSERT_TRUE(import_parse_time(times[i].text, &t));
        CU_ASSERT_EQUAL(t, times[i].t);
    }
    static const char *const not_times[] = { "yesterday", "2024-13-01", "", "-1" };
    for (size_t i = 0; i < sizeof not_times / sizeof not_times[0]; i++) {
        long long t = -7;
        CU_ASSERT_FALSE(import_parse_time(not_times[i], &t));
        CU_ASSERT_EQUAL(t, -7);   /* untouched */
    }
}

/* ---- exports read back ---- */

static void test_export_roundtrip(void)
{
    struct store_attr xs[] = { { "sim_slot", "1" }, { "type", "weird" } };
    struct store_sms m = { .n = 7, .peer = "+86 138", .body = "A<b>&\"c'\n\t中文 \xF0\x9F\x98\x8E \x01" "end",
                           .sent_at = 1400000000, .sent_ms = 5, .type = STORE_SMS_SENT,
                           .date_sent_ms = 1399999999999, .phone = "", .extra = xs, .nextra = 1 };
    m.fields[STORE_SMS_READ] = "0";
    m.fields[STORE_SMS_SERVICE_CENTER] = "+8613800100500";
    m.body_len = strlen(m.body);
    struct buf items, doc;
    buf_init(&items);
    buf_init(&doc);
    export_xml_sms(&items, &m);
    /* a kept attribute named like an interpreted one goes out as it came, once */
    struct store_sms odd = { .n = 8, .peer = "1", .body = "x", .body_len = 1, .phone = "", .type = 1,
                             .sent_at = 1600000000, .extra = xs + 1, .nextra = 1 };
    export_xml_sms(&items, &odd);
    unsigned char png[] = { 0x89, 'P', 'N', 'G', 0, 1, 2 };
    struct store_mms_part parts[] = {
        { .seq = 0, .content_type = "application/smil", .name = "", .content_id = "smil",
          .content_location = "smil.xml", .data = (unsigned char *)"<smil><body/></smil>", .len = 20 },
        { .seq = 1, .content_type = "text/plain", .name = "", .content_id = "", .content_location = "",
          .data = (unsigned char *)"图片 & <文字>", .len = 0 },
        { .seq = 2, .content_type = "image/png", .name = "x.png", .content_id = "img1", .content_location = "x.png",
          .data = png, .len = sizeof png },
        /* text with a control character XML cannot carry: base64 keeps its bytes */
        { .seq = 3, .content_type = "text/plain", .name = "", .content_id = "", .content_location = "",
          .data = (unsigned char *)"bell\a", .len = 5 },
    };
    parts[1].len = strlen((char *)parts[1].data);
    parts[0].fields[STORE_PART_SEQ] = "-1";
    struct store_mms_addr addrs[] = { { .address = "555", .type = STORE_ADDR_FROM, .charset = "106" },
                                      { .address = "+86 139", .type = STORE_ADDR_CC, .charset = NULL } };
    struct store_mms mm = { .n = 1, .peer = "555", .subject = "主题", .text = "", .sent_at = 1500000000,
                            .sent_ms = 999, .msg_box = STORE_MMS_INBOX };
    mm.fields[STORE_MMS_M_ID] = "id@mmsc";
    export_xml_mms(&items, &mm, parts, 4, addrs, 2);
    export_xml_document(&doc, &items, 3);
    /* the kept attribute goes out once, in place of the field it names */
    const char *first = strstr(buf_cstr(&doc), "type=\"weird\"");
    CU_ASSERT_PTR_NOT_NULL(first);
    CU_ASSERT_PTR_NULL(first ? strstr(first + 1, "type=\"weird\"") : NULL);
    CU_ASSERT_PTR_NULL(first ? strstr(first, "type=\"1\"") : NULL);

    struct got g = { 0 };
    struct import_report rep;
    struct import_sink sink = { got_sms, got_mms, got_contact, got_card, &g };
    CU_ASSERT_EQUAL(import_detect(doc.data, doc.len), IMPORT_FORMAT_XML);
    CU_ASSERT_EQUAL(import_xml(doc.data, doc.len, &sink, &rep), IMPORT_OK);
    CU_ASSERT_EQUAL_FATAL(g.nsms, 2);
    /* Everything but the C0 control that XML 1.0 cannot carry in a body. */
    CU_ASSERT_STRING_EQUAL(g.body[0], "A<b>&\"c'\n\t中文 \xF0\x9F\x98\x8E end");
    CU_ASSERT_STRING_EQUAL(g.peer[0], "+86 138");
    CU_ASSERT_EQUAL(g.sent[0], 1400000000);
    CU_ASSERT_EQUAL(g.ms[0], 5);
    CU_ASSERT_EQUAL(g.type[0], STORE_SMS_SENT);
    CU_ASSERT_EQUAL(g.dsent[0], 1399999999999);
    CU_ASSERT_STRING_EQUAL(g.read[0], "0");
    CU_ASSERT_STRING_EQUAL(g.xname[0], "sim_slot");
    CU_ASSERT_EQUAL(g.nextra[1], 1);
    CU_ASSERT_STRING_EQUAL(g.xname[1], "type");
    CU_ASSERT_STRING_EQUAL(g.xvalue[1], "weird");
    CU_ASSERT_EQUAL(g.nmms, 1);
    CU_ASSERT_STRING_EQUAL(g.mms_subject, "主题");
    CU_ASSERT_EQUAL(g.mms_box, STORE_MMS_INBOX);
    CU_ASSERT_EQUAL_FATAL(g.mms_nparts, 4);
    CU_ASSERT_STRING_EQUAL(g.mms_ct[0], "application/smil");
    CU_ASSERT_STRING_EQUAL(g.mms_cid[0], "smil");
    CU_ASSERT_STRING_EQUAL(g.mms_cl[0], "smil.xml");
    CU_ASSERT_EQUAL(g.mms_len[0], 20);
    CU_ASSERT_EQUAL(g.mms_len[1], parts[1].len);
    CU_ASSERT_STRING_EQUAL(g.mms_cid[2], "img1");
    CU_ASSERT_EQUAL(g.mms_len[2], sizeof png);
    CU_ASSERT_EQUAL(g.mms_len[3], 5);
    CU_ASSERT_EQUAL(g.mms_first_byte[3], 'b');
    CU_ASSERT_EQUAL_FATAL(g.mms_naddrs, 2);
    CU_ASSERT_EQUAL(g.mms_addr_type[1], STORE_ADDR_CC);
    CU_ASSERT_STRING_EQUAL(g.mms_addr[1], "+86 139");
    got_free(&g);
    buf_cleanup(&items);
    buf_cleanup(&doc);

    /* CSV: the direction, dates to the millisecond and the fields kept as written */
    buf_init(&doc);
    export_csv_sms_header(&doc);
    struct store_sms m2 = { .n = 2, .peer = "1, 2", .body = "say \"hi\",\r\nbye", .sent_at = 1714566600,
                            .sent_ms = 250, .type = STORE_SMS_SENT, .date_sent_ms = 1714566599001,
                            .phone = "+8613800000001" };
    m2.fields[STORE_SMS_READ] = "0";
    m2.body_len = strlen(m2.body);
    export_csv_sms(&doc, &m2);
    CU_ASSERT_EQUAL(import_csv(doc.data, doc.len, &sink, &rep), IMPORT_OK);
    CU_ASSERT_EQUAL(g.nsms, 1);
    CU_ASSERT_STRING_EQUAL(g.body[0], m2.body);
    CU_ASSERT_STRING_EQUAL(g.peer[0], "1, 2");
    CU_ASSERT_EQUAL(g.sent[0], 1714566600);
    CU_ASSERT_EQUAL(g.ms[0], 250);
    CU_ASSERT_EQUAL(g.type[0], STORE_SMS_SENT);
    CU_ASSERT_EQUAL(g.dsent[0], 1714566599001);
    CU_ASSERT_STRING_EQUAL(g.read[0], "0");
    got_free(&g);
    buf_cleanup(&doc);

    buf_init(&doc);
    export_csv_contact_header(&doc);
    struct store_contact c = { .n = 1, .name = "赵六", .number = "+861", .uploaded_at = 5, .current = true };
    export_csv_contact(&doc, &c);
    CU_ASSERT_EQUAL(import_csv(doc.data, doc.len, &sink, &rep), IMPORT_OK);
    CU_ASSERT_EQUAL(g.ncontacts, 1);
    CU_ASSERT_STRING_EQUAL(g.cname[0], "赵六");
    got_free(&g);
    buf_cleanup(&doc);
}

/* ---- JSON ---- */

static void test_json(void)
{
    char err[160];
    const char *s;
    long long v, *ns = NULL;
    size_t n;
    CU_ASSERT_PTR_NULL(json_body_object("", 0, err, sizeof err));
    CU_ASSERT_PTR_NULL(json_body_object("[1]", 3, err, sizeof err));
    CU_ASSERT_PTR_NULL(json_body_object("{\"a\":1,\"a\":2}", 13, err, sizeof err));
    CU_ASSERT_PTR_NULL(json_body_object("{\"a\":\"\\u0000\"}", 14, err, sizeof err));
    CU_ASSERT_PTR_NULL(json_body_object("{\"a\":\"\xff\"}", 9, err, sizeof err));
    CU_ASSERT_PTR_NULL(json_body_object("{\"a\":1} x", 9, err, sizeof err));
    const char *text = "{\"s\":\"你好\",\"i\":5,\"ns\":[1,2,3],\"bad\":[1,-2],\"f\":1.5}";
    json_t *j = json_body_object(text, strlen(text), err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_TRUE(json_field_str(j, "s", true, 10, &s, NULL, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(s, "你好");
    CU_ASSERT_FALSE(json_field_str(j, "s", true, 3, &s, NULL, err, sizeof err));   /* 6 bytes > 3 */
    CU_ASSERT_FALSE(json_field_str(j, "i", true, 10, &s, NULL, err, sizeof err));
    CU_ASSERT_FALSE(json_field_str(j, "missing", true, 10, &s, NULL, err, sizeof err));
    CU_ASSERT(strstr(err, "missing") != NULL);
    CU_ASSERT_TRUE(json_field_str(j, "missing", false, 10, &s, NULL, err, sizeof err));
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_TRUE(json_field_int(j, "i", true, 0, 10, 0, &v, err, sizeof err));
    CU_ASSERT_EQUAL(v, 5);
    CU_ASSERT_FALSE(json_field_int(j, "i", true, 6, 10, 0, &v, err, sizeof err));
    CU_ASSERT_FALSE(json_field_int(j, "f", true, 0, 10, 0, &v, err, sizeof err));
    CU_ASSERT_FALSE(json_field_int(j, "s", true, 0, 10, 0, &v, err, sizeof err));
    CU_ASSERT_TRUE(json_field_ns(j, "ns", 10, &ns, &n, err, sizeof err));
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(ns[2], 3);
    free(ns);
    CU_ASSERT_FALSE(json_field_ns(j, "ns", 2, &ns, &n, err, sizeof err));
    CU_ASSERT_FALSE(json_field_ns(j, "bad", 10, &ns, &n, err, sizeof err));
    CU_ASSERT_FALSE(json_field_ns(j, "s", 10, &ns, &n, err, sizeof err));
    json_decref(j);
    /* A huge integer is refused by jansson rather than wrapped. */
    CU_ASSERT_PTR_NULL(json_body_object("{\"i\":99999999999999999999}", 26, err, sizeof err));
}

/* Hostile request bodies and uploads: each refused with a message, nothing handed on. */
static void test_hostile_bodies(void)
{
    char err[256];
    static const char *const js[] = {
        "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00x\"}", "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":1e999}",
        "{\"\\u0000\":1}", "{\"a\":\"\xC0\xAF\"}", "\xEF\xBB\xBF{}", "{\"a\":1,}", "{'a':1}", "{\"a\":NaN}",
    };
    for (size_t i = 0; i < sizeof js / sizeof js[0]; i++) {
        err[0] = '\0';
        CU_ASSERT_PTR_NULL(json_body_object(js[i], strlen(js[i]), err, sizeof err));
        CU_ASSERT(err[0] != '\0');
    }
    char *deep = xmalloc(60001);
    memset(deep, '[', 60000);
    deep[60000] = '\0';
    CU_ASSERT_PTR_NULL(json_body_object(deep, 60000, err, sizeof err));
    CU_ASSERT(strstr(err, "depth") != NULL);
    free(deep);
    const char *pair = "{\"a\":\"\\ud83d\\ude00\"}";
    json_t *j = json_body_object(pair, strlen(pair), err, sizeof err);   /* a real pair is fine */
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "a")), "\xF0\x9F\x98\x80");
    json_decref(j);

    struct got g = { 0 };
    struct import_report rep;
    struct import_sink sink = { got_sms, got_mms, got_contact, got_card, &g };
    static const struct { const char *text; size_t len; } csv[] = {
        { "body,peer\nx\0y,1\n", 16 },                          /* NUL inside a field */
        { "\xEF\xBB\xBF", 3 },                                    /* only a BOM */
        { "body\n\xff\xfe\n", 8 },                                /* not UTF-8 */
        { "\xEF\xBB\xBF\xEF\xBB\xBF" "body\nx\n", 13 },          /* two BOMs: the header is no header */
        { "body\r\"a\"\r", 9 },                                    /* bare CR line ends */
    };
    for (size_t i = 0; i < sizeof csv / sizeof csv[0]; i++) {
        CU_ASSERT_EQUAL(import_csv(csv[i].text, csv[i].len, &sink, &rep), IMPORT_MALFORMED);
        CU_ASSERT(rep.message[0] != '\0');
    }
    CU_ASSERT_EQUAL(g.nsms, 0);
    got_free(&g);
    /* XML: a UTF-8 BOM is fine; a NUL character reference and raw bytes that are not UTF-8 are refused */
    CU_ASSERT_EQUAL(xml_text("\xEF\xBB\xBF<smses><sms address=\"1\" body=\"bom\"/></smses>", &g, &rep), IMPORT_OK);
    CU_ASSERT_EQUAL(g.nsms, 1);
    got_free(&g);
    expect_malformed("<smses><sms address=\"1\" body=\"a&#0;b\"/></smses>", "line 1");
    expect_malformed("<smses><sms address=\"1\" body=\"\xff\"/></smses>", "line 1");
    expect_malformed("<smses><sms address=\"1\" body=\"x\" body=\"y\"/></smses>", "line 1");
}

/* The page's language before login: the browser's Accept-Language. */
static void test_accept_language(void)
{
    static const struct { const char *header, *lang; } cases[] = {
        { "zh-CN,zh;q=0.9,en;q=0.8", "zh" }, { "en-US,en;q=0.9,zh-CN;q=0.8", "en" },
        { "fr-FR,fr;q=0.9,zh-TW;q=0.5", "zh" }, { "fr, de", "en" }, { "", "en" }, { NULL, "en" },
        { "zh;q=0, en;q=0.1", "en" }, { "en;q=0.5, zh;q=0.5", "en" }, { "zh;q=0.5, en;q=0.5", "zh" },
        { "ZH-hans-CN", "zh" }, { "zhx, en-GB", "en" }, { "en;q=0.2, zh-Hant;q=0.300", "zh" },
        { "*;q=1, zh;q=0.1", "zh" }, { ";;,,q=,", "en" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = lang_from_accept(cases[i].header);
        if (strcmp(got, cases[i].lang) != 0) {
            fprintf(stderr, "\nAccept-Language \"%s\": %s, not %s\n", cases[i].header ? cases[i].header : "(none)",
                    got, cases[i].lang);
            CU_FAIL("accept-language");
        }
    }
}

static void test_status_table(void)
{
    CU_ASSERT_EQUAL(status_from_store(STORE_NOT_FOUND)->http, 404);
    CU_ASSERT_EQUAL(status_from_store(STORE_NO_SPACE)->http, 507);
    CU_ASSERT_EQUAL(status_from_store(STORE_CONFLICT)->http, 409);
    CU_ASSERT_EQUAL(status_from_store(STORE_THROTTLED)->http, 429);
    /* a checked, wrong password or code: 403; 401 is the session gate's "log in" */
    CU_ASSERT_EQUAL(status_from_store(STORE_DENIED)->http, 403);
    CU_ASSERT_STRING_EQUAL(status_from_store(STORE_DENIED)->code, "denied");
    CU_ASSERT_EQUAL(status_from_store(STORE_INVALID)->http, 400);
    CU_ASSERT_EQUAL(status_from_store(STORE_ERR)->http, 500);
    CU_ASSERT_EQUAL(status_from_store((enum store_result)999)->http, 500);
    for (int r = STORE_OK; r <= STORE_ERR; r++)
        CU_ASSERT(status_from_store((enum store_result)r)->message[0] != '\0');
}

/* One request's verdict: headers as "Name", "value" pairs, NULL-ended. */
static enum framing_result verdict(const char *method, const char *version, const char *const *h)
{
    struct framing f;
    framing_init(&f);
    for (; h[0]; h += 2)
        framing_header(&f, h[0], h[1]);
    bool chunked;
    unsigned long long len;
    const char *why = NULL;
    enum framing_result r = framing_check(&f, method, version, &chunked, &len, &why);
    CU_ASSERT(r == FRAMING_OK || why != NULL);
    return r;
}

#define V(m, v, ...) verdict(m, v, (const char *const[]){ __VA_ARGS__, NULL })

static void test_framing(void)
{
    const char *H = "Host";
    CU_ASSERT_EQUAL(V("GET", "HTTP/1.1", H, "a"), FRAMING_OK);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Content-Length", "12"), FRAMING_OK);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Content-Length", "0"), FRAMING_OK);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Transfer-Encoding", "chunked"), FRAMING_OK);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.0", "Content-Length", "3"), FRAMING_OK);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a"), FRAMING_LENGTH_REQUIRED);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Content-Length", "1", "content-length", "1"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Content-Length", "007"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Content-Length", "+7"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Content-Length", "7 "), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Content-Length", ""), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Content-Length", "1234567890123456789"), FRAMING_TOO_LARGE);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Content-Length", "3", "Transfer-Encoding", "chunked"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Transfer-Encoding", "Chunked"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Transfer-Encoding", "chunked "), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Transfer-Encoding", "gzip"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Transfer-Encoding", "chunked, gzip"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Transfer-Encoding", "chunked,chunked"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Transfer-Encoding", "gzip, chunked"), FRAMING_NOT_IMPLEMENTED);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Transfer-Encoding", "gzip,,chunked"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.0", "Transfer-Encoding", "chunked"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Transfer-Encodingchunked", "", "Content-Length", "2"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("POST", "HTTP/1.1", H, "a", "Transfer-Encoding ", "chunked", "Content-Length", "2"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("GET", "HTTP/1.1", H, "a", "X-Note", "a\rb"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("GET", "HTTP/1.1", H, "a", "X-Note", "tab\tis fine"), FRAMING_OK);
    CU_ASSERT_EQUAL(V("GET", "HTTP/1.1", H, "a", H, "b"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("GET", "HTTP/1.1", "X", "y"), FRAMING_BAD);
    CU_ASSERT_EQUAL(V("GET", "HTTP/1.2", H, "a"), FRAMING_BAD);
    CU_ASSERT_EQUAL(framing_status(FRAMING_NOT_IMPLEMENTED), 501);
}

static void test_proxy(void)
{
    struct proxy_list *l = NULL;
    char err[160], out[PROXY_ADDR_LEN];
    CU_ASSERT_TRUE(proxy_list_parse("127.0.0.1, 10.1.0.0/16", &l, err, sizeof err));
    CU_ASSERT(proxy_trusted(l, "127.0.0.1"));
    CU_ASSERT(proxy_trusted(l, "10.1.200.3"));
    CU_ASSERT(!proxy_trusted(l, "10.2.0.1"));
    CU_ASSERT(!proxy_trusted(l, "127.0.0.2"));
    /* not a proxy: what it writes is ignored */
    proxy_client(l, "192.0.2.9", "6.6.6.6", "6.6.6.6", out);
    CU_ASSERT_STRING_EQUAL(out, "192.0.2.9");
    CU_ASSERT(!proxy_says_https(l, "192.0.2.9", "https"));
    /* a proxy: the right-most address that is not one of ours */
    proxy_client(l, "127.0.0.1", "6.6.6.6, 198.51.100.4", NULL, out);
    CU_ASSERT_STRING_EQUAL(out, "198.51.100.4");
    proxy_client(l, "127.0.0.1", "6.6.6.6, 198.51.100.4, 10.1.0.7", NULL, out);
    CU_ASSERT_STRING_EQUAL(out, "198.51.100.4");
    proxy_client(l, "127.0.0.1", NULL, " 203.0.113.5 ", out);
    CU_ASSERT_STRING_EQUAL(out, "203.0.113.5");
    proxy_client(l, "127.0.0.1", "not-an-address", NULL, out);
    CU_ASSERT_STRING_EQUAL(out, "127.0.0.1");
    proxy_client(l, "127.0.0.1", "2001:db8::1", NULL, out);
    CU_ASSERT_STRING_EQUAL(out, "2001:db8::1");
    CU_ASSERT(proxy_says_https(l, "127.0.0.1", "https"));
    CU_ASSERT(!proxy_says_https(l, "127.0.0.1", "http"));
    proxy_list_free(l);
    CU_ASSERT_TRUE(proxy_list_parse("", &l, err, sizeof err));
    CU_ASSERT(!proxy_trusted(l, "127.0.0.1"));
    proxy_list_free(l);
    l = NULL;
    CU_ASSERT_FALSE(proxy_list_parse("127.0.0.1/33", &l, err, sizeof err));
    CU_ASSERT_FALSE(proxy_list_parse("localhost", &l, err, sizeof err));
    CU_ASSERT_PTR_NULL(l);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("web", NULL, NULL);
    CU_add_test(s, "surrogate pairs", test_surrogates);
    CU_add_test(s, "xml sample", test_xml_sample);
    CU_add_test(s, "xml stop", test_xml_stop);
    CU_add_test(s, "xml hostile", test_xml_hostile);
    CU_add_test(s, "vcard", test_vcard);
    CU_add_test(s, "csv", test_csv);
    CU_add_test(s, "parse time", test_parse_time);
    CU_add_test(s, "export roundtrip", test_export_roundtrip);
    CU_add_test(s, "json", test_json);
    CU_add_test(s, "hostile bodies and uploads", test_hostile_bodies);
    CU_add_test(s, "status table", test_status_table);
    CU_add_test(s, "accept-language", test_accept_language);
    CU_add_test(s, "framing", test_framing);
    CU_add_test(s, "trusted proxies", test_proxy);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
