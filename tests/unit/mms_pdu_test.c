/*
 * mms_pdu_test — CUnit suite for common/mms_pdu: known-good bytes (the
 * m-notification-ind and WSP push of reference/mms-notes.md 4.2/4.3, which
 * tshark decoded), round trips of the six PDUs with a multipart body, what
 * real handsets send that is legal but unusual (length-quoted short
 * Content-Type, empty start and Content-ID, textual part types and headers,
 * UCS-2 and Latin-1 subjects), and hostile input: every prefix and every
 * one-byte change of a valid PDU, uintvar overflow, lengths past the end,
 * too many parts, too deep a nesting. Each hostile buffer is an exact-size
 * heap copy so that ASan sees any read past it. tshark checks the encoder
 * independently in tests/unit/mms_tshark_test.sh.
 */
#define _GNU_SOURCE /* memmem */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mms_pdu.h"

/* Decode from an exact-size heap copy (ASan catches over-reads). */
static enum mms_pdu_result decode_copy(const unsigned char *d, size_t n, struct mms_pdu *pdu)
{
    unsigned char *c = malloc(n ? n : 1);
    enum mms_pdu_result rc;
    if (n)
        memcpy(c, d, n);
    rc = mms_pdu_decode(c, n, pdu);
    free(c);
    return rc;
}

static void hex_to(const char *hex, unsigned char *out, size_t *n)
{
    size_t o = 0;
    unsigned v;
    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        sscanf(hex, "%2x", &v);
        out[o++] = (unsigned char)v;
        hex += 2;
    }
    *n = o;
}

/* reference/mms-notes.md 4.2, as decoded by tshark 4.0.17 */
static const char notification_hex[] =
    "8c82 98 543766336130303031 00 8d92"
    "89 10 80 343234322f545950453d504c4d4e00"
    "96 4172636869766564204d4d5320233300"
    "8a80 8e 02 6068 88 05 81 03 093a80"
    "83 687474703a2f2f3132372e302e302e313a383038312f6d6d732f51336b397800";

static void fill_notification(struct mms_pdu *p)
{
    mms_pdu_init(p, MMS_M_NOTIFICATION_IND);
    p->transaction_id = strdup("T7f3a0001");
    p->from = strdup("4242/TYPE=PLMN");
    p->subject = strdup("Archived MMS #3");
    p->message_class = MMS_CLASS_PERSONAL;
    p->message_size = 24680;
    p->has_message_size = true;
    p->expiry = 604800;
    p->has_expiry = p->expiry_relative = true;
    p->content_location = strdup("http://127.0.0.1:8081/mms/Q3k9x");
}

static void test_known_bytes(void)
{
    unsigned char want[256], *out = NULL, *push = NULL;
    size_t wn, n = 0, pn = 0;
    struct mms_pdu p, d;
    struct mms_pdu_push pp;

    hex_to(notification_hex, want, &wn);
    CU_ASSERT_EQUAL(wn, 96);
    fill_notification(&p);
    CU_ASSERT_EQUAL_FATAL(mms_pdu_encode(&p, &out, &n), MMS_PDU_OK);
    CU_ASSERT_EQUAL(n, wn);
    CU_ASSERT(n == wn && memcmp(out, want, n) == 0);

    /* the push of the notes: 01 06 03 be af 84 + the 96 bytes */
    mms_pdu_push_encode(1, out, n, &push, &pn);
    CU_ASSERT_EQUAL_FATAL(pn, 102);
    CU_ASSERT_EQUAL(memcmp(push, "\x01\x06\x03\xbe\xaf\x84", 6), 0);
    CU_ASSERT_EQUAL(memcmp(push + 6, want, wn), 0);
    CU_ASSERT_EQUAL_FATAL(mms_pdu_push_decode(push, pn, &pp), MMS_PDU_OK);
    CU_ASSERT_EQUAL(pp.tid, 1);
    CU_ASSERT_EQUAL(pp.pdu_type, MMS_PDU_WSP_PUSH);
    CU_ASSERT_STRING_EQUAL(pp.content_type, MMS_PDU_CONTENT_TYPE);
    CU_ASSERT_EQUAL(pp.app_id, MMS_PDU_APP_ID_MMS);
    CU_ASSERT_EQUAL(pp.body_len, wn);

    CU_ASSERT_EQUAL_FATAL(decode_copy(pp.body, pp.body_len, &d), MMS_PDU_OK);
    CU_ASSERT_EQUAL(d.type, MMS_M_NOTIFICATION_IND);
    CU_ASSERT_STRING_EQUAL(d.transaction_id, "T7f3a0001");
    CU_ASSERT_EQUAL(d.version, MMS_PDU_VERSION_1_2);
    CU_ASSERT_STRING_EQUAL(d.from, "4242/TYPE=PLMN");
    CU_ASSERT_STRING_EQUAL(d.subject, "Archived MMS #3");
    CU_ASSERT_EQUAL(d.message_class, MMS_CLASS_PERSONAL);
    CU_ASSERT(d.has_message_size && d.message_size == 24680);
    CU_ASSERT(d.has_expiry && d.expiry_relative && d.expiry == 604800);
    CU_ASSERT_STRING_EQUAL(d.content_location, "http://127.0.0.1:8081/mms/Q3k9x");
    CU_ASSERT_EQUAL(d.nparts, 0);
    mms_pdu_cleanup(&d);
    mms_pdu_cleanup(&p);
    mms_pdu_cleanup(&p); /* twice is safe */
    free(out);
    free(push);
}

static const char smil[] =
    "<smil><head><layout><root-layout/><region id=\"Image\"/><region id=\"Text\"/></layout>"
    "</head><body><par dur=\"5000ms\"><img src=\"cid:img1\" region=\"Image\"/>"
    "<text src=\"cid:txt1\" region=\"Text\"/></par></body></smil>";

static void fill_send_req(struct mms_pdu *p, const unsigned char *img, size_t imglen)
{
    mms_pdu_init(p, MMS_M_SEND_REQ);
    p->transaction_id = strdup("phonesim-1");
    p->from_insert = true;
    mms_pdu_add_address(&p->to, &p->nto, "10659/TYPE=PLMN");
    p->subject = strdup("假日 holiday ✓");
    p->date = 1700000000;
    p->has_date = true;
    p->message_class = MMS_CLASS_PERSONAL;
    p->delivery_report = MMS_NO;
    mms_pdu_add_part(p, "application/smil", "utf-8", "smil.xml", "<smil>", "smil.xml",
                     (const unsigned char *)smil, strlen(smil));
    mms_pdu_add_part(p, "image/jpeg", NULL, "beach.jpg", "<img1>", "beach.jpg", img, imglen);
    mms_pdu_add_part(p, "text/plain", "utf-8", "text.txt", "<txt1>", "text.txt",
                     (const unsigned char *)"Greetings 你好", strlen("Greetings 你好"));
    mms_pdu_add_part(p, "audio/amr", NULL, "voice.amr", NULL, NULL,
                     (const unsigned char *)"#!AMR\n", 6);
}

static void check_parts_equal(const struct mms_pdu *a, const struct mms_pdu *b)
{
    size_t i;
    CU_ASSERT_EQUAL_FATAL(a->nparts, b->nparts);
    for (i = 0; i < a->nparts; i++) {
        const struct mms_part *x = &a->parts[i], *y = &b->parts[i];
        CU_ASSERT_STRING_EQUAL(x->content_type, y->content_type);
        CU_ASSERT_EQUAL(!x->charset, !y->charset);
        if (x->charset && y->charset)
            CU_ASSERT_STRING_EQUAL(x->charset, y->charset);
        CU_ASSERT_EQUAL(!x->name, !y->name);
        if (x->name && y->name)
            CU_ASSERT_STRING_EQUAL(x->name, y->name);
        CU_ASSERT_EQUAL(!x->content_id, !y->content_id);
        if (x->content_id && y->content_id)
            CU_ASSERT_STRING_EQUAL(x->content_id, y->content_id);
        CU_ASSERT_EQUAL(!x->content_location, !y->content_location);
        if (x->content_location && y->content_location)
            CU_ASSERT_STRING_EQUAL(x->content_location, y->content_location);
        CU_ASSERT_EQUAL_FATAL(x->len, y->len);
        CU_ASSERT(memcmp(x->data, y->data, x->len) == 0);
    }
}

static void test_send_req_round_trip(void)
{
    unsigned char img[3000], *out = NULL;
    size_t n = 0, i;
    struct mms_pdu p, d;

    for (i = 0; i < sizeof img; i++)
        img[i] = (unsigned char)(i * 31 + 7); /* every byte value, 0x00 included */
    fill_send_req(&p, img, sizeof img);
    CU_ASSERT_EQUAL_FATAL(mms_pdu_encode(&p, &out, &n), MMS_PDU_OK);
    /* first three headers in order, From = insert-address token */
    CU_ASSERT_EQUAL(out[0], 0x8C);
    CU_ASSERT_EQUAL(out[1], 0x80);
    CU_ASSERT_EQUAL(out[2], 0x98);
    CU_ASSERT(memmem(out, n, "\x89\x01\x81", 3) != NULL);
    /* multipart.related with type application/smil and start <smil> */
    CU_ASSERT(memmem(out, n, "\x84", 1) != NULL);
    CU_ASSERT(memmem(out, n, "\xb3\x89" "application/smil\0\x8a<smil>", 27) != NULL);
    /* the non-ASCII subject goes with charset utf-8 (0xEA) */
    CU_ASSERT(memmem(out, n, "\x96", 1) != NULL);
    CU_ASSERT(memmem(out, n, "\xea\xe5\x81\x87", 4) != NULL);

    CU_ASSERT_EQUAL_FATAL(decode_copy(out, n, &d), MMS_PDU_OK);
    CU_ASSERT_EQUAL(d.type, MMS_M_SEND_REQ);
    CU_ASSERT_STRING_EQUAL(d.transaction_id, "phonesim-1");
    CU_ASSERT(d.from_insert && d.from == NULL);
    CU_ASSERT_EQUAL_FATAL(d.nto, 1);
    CU_ASSERT_STRING_EQUAL(d.to[0], "10659/TYPE=PLMN");
    CU_ASSERT_STRING_EQUAL(d.subject, "假日 holiday ✓");
    CU_ASSERT(d.has_date && d.date == 1700000000);
    CU_ASSERT_EQUAL(d.delivery_report, MMS_NO);
    CU_ASSERT_STRING_EQUAL(d.content_type, "application/vnd.wap.multipart.related");
    CU_ASSERT_STRING_EQUAL(d.ct_type, "application/smil");
    CU_ASSERT_STRING_EQUAL(d.ct_start, "<smil>");
    check_parts_equal(&p, &d);
    mms_pdu_cleanup(&d);
    mms_pdu_cleanup(&p);
    free(out);
}

/* Encode, decode, encode again: the same bytes. */
static void round_trip_stable(struct mms_pdu *p)
{
    unsigned char *a = NULL, *b = NULL;
    size_t an = 0, bn = 0;
    struct mms_pdu d;

    CU_ASSERT_EQUAL_FATAL(mms_pdu_encode(p, &a, &an), MMS_PDU_OK);
    CU_ASSERT_EQUAL_FATAL(decode_copy(a, an, &d), MMS_PDU_OK);
    CU_ASSERT_EQUAL(d.type, p->type);
    CU_ASSERT_EQUAL_FATAL(mms_pdu_encode(&d, &b, &bn), MMS_PDU_OK);
    CU_ASSERT_EQUAL(an, bn);
    CU_ASSERT(an == bn && memcmp(a, b, an) == 0);
    mms_pdu_cleanup(&d);
    free(a);
    free(b);
}

static void test_every_type(void)
{
    struct mms_pdu p;
    unsigned char img[10] = { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F' };

    fill_send_req(&p, img, sizeof img);
    round_trip_stable(&p);
    mms_pdu_cleanup(&p);

    mms_pdu_init(&p, MMS_M_SEND_CONF);
    p.transaction_id = strdup("phonesim-1");
    p.response_status = MMS_RESPONSE_OK;
    p.response_text = strdup("Ok");
    p.message_id = strdup("mmsc-000001");
    round_trip_stable(&p);
    mms_pdu_cleanup(&p);

    fill_notification(&p);
    round_trip_stable(&p);
    mms_pdu_cleanup(&p);

    mms_pdu_init(&p, MMS_M_NOTIFYRESP_IND);
    p.transaction_id = strdup("T7f3a0001");
    p.status = MMS_STATUS_RETRIEVED;
    p.report_allowed = MMS_YES;
    round_trip_stable(&p);
    mms_pdu_cleanup(&p);

    mms_pdu_init(&p, MMS_M_RETRIEVE_CONF);
    p.transaction_id = strdup("T7f3a0001");
    p.message_id = strdup("smsvault-3-0001");
    p.date = 1700000000;
    p.has_date = true;
    p.from = strdup("4242/TYPE=PLMN");
    mms_pdu_add_address(&p.to, &p.nto, "+15550100001/TYPE=PLMN");
    mms_pdu_add_address(&p.cc, &p.ncc, "friend@example.org");
    p.subject = strdup("Subject ünïcödé");
    p.message_class = MMS_CLASS_PERSONAL;
    p.priority = MMS_PRIORITY_NORMAL;
    p.retrieve_status = MMS_RETRIEVE_OK;
    mms_pdu_add_part(&p, "text/plain", "utf-8", NULL, "<txt1>", "text.txt",
                     (const unsigned char *)"Hello from the archive", 22);
    mms_pdu_add_part(&p, "image/gif", NULL, NULL, "<img1>", "img1.gif",
                     (const unsigned char *)"GIF89a", 6);
    round_trip_stable(&p);
    mms_pdu_cleanup(&p);

    /* an empty subject is one 0x00 octet, which could also read as a
     * Value-length of 0 (found by fuzz_mms_pdu) */
    mms_pdu_init(&p, MMS_M_SEND_CONF);
    p.transaction_id = strdup("t");
    p.subject = strdup("");
    p.response_status = MMS_RESPONSE_OK;
    round_trip_stable(&p);
    mms_pdu_cleanup(&p);

    /* an empty media type is 0x01 0x00, never the lone 0x00 that reads as
     * a general form of length 0 (found by fuzz_mms_pdu) */
    mms_pdu_init(&p, MMS_M_RETRIEVE_CONF);
    p.content_type = strdup("");
    mms_pdu_add_part(&p, "", NULL, NULL, NULL, NULL, (const unsigned char *)"?", 1);
    round_trip_stable(&p);
    mms_pdu_cleanup(&p);

    mms_pdu_init(&p, MMS_M_ACKNOWLEDGE_IND);
    p.transaction_id = strdup("T7f3a0001");
    p.report_allowed = MMS_NO;
    round_trip_stable(&p);
    mms_pdu_cleanup(&p);

    /* a single-part body (not multipart): the part's type is the message's */
    mms_pdu_init(&p, MMS_M_RETRIEVE_CONF);
    p.message_id = strdup("x");
    p.content_type = strdup("text/plain");
    mms_pdu_add_part(&p, "text/plain", "utf-8", NULL, NULL, NULL, (const unsigned char *)"hi", 2);
    round_trip_stable(&p);
    mms_pdu_cleanup(&p);
}

static void test_encode_refuses(void)
{
    struct mms_pdu p;
    unsigned char *out = NULL;
    size_t n = 0;

    mms_pdu_init(&p, MMS_M_SEND_REQ); /* no transaction id */
    CU_ASSERT_EQUAL(mms_pdu_encode(&p, &out, &n), MMS_PDU_INVALID);
    mms_pdu_cleanup(&p);
    mms_pdu_init(&p, MMS_M_NOTIFICATION_IND); /* no content location */
    p.transaction_id = strdup("t");
    CU_ASSERT_EQUAL(mms_pdu_encode(&p, &out, &n), MMS_PDU_INVALID);
    mms_pdu_cleanup(&p);
    mms_pdu_init(&p, 0);
    CU_ASSERT_EQUAL(mms_pdu_encode(&p, &out, &n), MMS_PDU_INVALID);
    mms_pdu_init(&p, MMS_M_RETRIEVE_CONF); /* two parts, not multipart */
    p.content_type = strdup("text/plain");
    mms_pdu_add_part(&p, "text/plain", NULL, NULL, NULL, NULL, (const unsigned char *)"a", 1);
    mms_pdu_add_part(&p, "text/plain", NULL, NULL, NULL, NULL, (const unsigned char *)"b", 1);
    CU_ASSERT_EQUAL(mms_pdu_encode(&p, &out, &n), MMS_PDU_INVALID);
    mms_pdu_cleanup(&p);
    mms_pdu_init(&p, MMS_M_SEND_CONF); /* not valid UTF-8 where a charset is written */
    p.transaction_id = strdup("t");
    p.response_text = strdup("\xff\xfe");
    CU_ASSERT_EQUAL(mms_pdu_encode(&p, &out, &n), MMS_PDU_INVALID);
    mms_pdu_cleanup(&p);
}

/* What real handsets send: legal, unusual. */
static void test_handset_quirks(void)
{
    /* m-send-req; Content-Type length-quoted (1F 0B) though short, empty
     * start (8A 00), one part typed by text with textual Content-ID header
     * and a name parameter 0x85, one with an empty Content-ID (C0 22 00) */
    static const unsigned char q[] = {
        0x8C, 0x80, 0x98, 'a', 0, 0x8D, 0x90, 0x89, 0x01, 0x81,
        0x97, '1', '2', '3', 0,
        0x84, 0x1F, 0x05, 0xB3, 0x89, 0x00, 0x8A, 0x00,
        0x02,
        /* part 1: hlen 0x21, dlen 3 */
        0x21, 0x03,
        0x11, 'a', 'u', 'd', 'i', 'o', '/', 'a', 'm', 'r', 0, 0x85, 'v', '.', 'a', 'm', 'r', 0,
        'C', 'o', 'n', 't', 'e', 'n', 't', '-', 'I', 'D', 0, '<', 'a', '>', 0,
        'x', 'y', 'z',
        /* part 2: hlen 4, dlen 2; text/plain short form, empty Content-ID */
        0x04, 0x02, 0x83, 0xC0, 0x22, 0x00, 'h', 'i',
    };
    struct mms_pdu d;

    CU_ASSERT_EQUAL_FATAL(decode_copy(q, sizeof q, &d), MMS_PDU_OK);
    CU_ASSERT_EQUAL(d.version, 0x10);
    CU_ASSERT(d.from_insert);
    CU_ASSERT_STRING_EQUAL(d.content_type, "application/vnd.wap.multipart.related");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d.ct_start);
    CU_ASSERT_STRING_EQUAL(d.ct_start, "");
    CU_ASSERT_EQUAL_FATAL(d.nparts, 2);
    CU_ASSERT_STRING_EQUAL(d.parts[0].content_type, "audio/amr");
    CU_ASSERT_STRING_EQUAL(d.parts[0].name, "v.amr");
    CU_ASSERT_STRING_EQUAL(d.parts[0].content_id, "<a>");
    CU_ASSERT_EQUAL(d.parts[0].len, 3);
    CU_ASSERT_STRING_EQUAL(d.parts[1].content_type, "text/plain");
    CU_ASSERT_STRING_EQUAL(d.parts[1].content_id, "");
    CU_ASSERT_EQUAL(memcmp(d.parts[1].data, "hi", 2), 0);
    mms_pdu_cleanup(&d);

    /* subjects in UCS-2 (MIBenum 1000, NUL octets inside), Latin-1 and
     * bad UTF-8; a Message-Class as text; an unknown header skipped;
     * an application header skipped */
    static const unsigned char s[] = {
        0x8C, 0x81, 0x98, 't', 0, 0x8D, 0x92,
        0x96, 0x07, 0x02, 0x03, 0xE8, 0x4F, 0x60, 0x59, 0x7D,      /* 你好 in UCS-2 */
        0x93, 0x04, 0x84, 'c', 0xE9, 0x00,                          /* "cé" Latin-1 */
        0xB7, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05,                   /* unknown 0x37, Value-length */
        'X', '-', 'N', 'o', 'k', 'i', 'a', 0, 'v', 0,               /* Application-header */
        0x8A, 'a', 'u', 't', 'o', 0,
        0x92, 0x80,
    };
    CU_ASSERT_EQUAL_FATAL(decode_copy(s, sizeof s, &d), MMS_PDU_OK);
    CU_ASSERT_STRING_EQUAL(d.subject, "你好");
    CU_ASSERT_STRING_EQUAL(d.response_text, "cé");
    CU_ASSERT_EQUAL(d.message_class, MMS_CLASS_AUTO);
    CU_ASSERT_EQUAL(d.response_status, MMS_RESPONSE_OK);
    mms_pdu_cleanup(&d);

    static const unsigned char b[] = { 0x8C, 0x81, 0x98, 't', 0, 0x96, 'a', 0xC3, 0x28, 0 };
    CU_ASSERT_EQUAL_FATAL(decode_copy(b, sizeof b, &d), MMS_PDU_OK);
    CU_ASSERT_STRING_EQUAL(d.subject, "a\xEF\xBF\xBD("); /* U+FFFD for the broken byte */
    mms_pdu_cleanup(&d);

    /* a textual X-Wap-Application-Id in a push */
    static const unsigned char push[] = {
        0x07, 0x06, 0x2F, 0xBE,
        'X', '-', 'W', 'a', 'p', '-', 'A', 'p', 'p', 'l', 'i', 'c', 'a', 't', 'i', 'o', 'n', '-',
        'I', 'd', 0, 'x', '-', 'w', 'a', 'p', '-', 'a', 'p', 'p', 'l', 'i', 'c', 'a', 't', 'i',
        'o', 'n', ':', 'm', 'm', 's', '.', 'u', 'a', 0,
    };
    struct mms_pdu_push pp;
    CU_ASSERT_EQUAL(sizeof push, 3 + 0x2F);
    CU_ASSERT_EQUAL_FATAL(mms_pdu_push_decode(push, sizeof push, &pp), MMS_PDU_OK);
    CU_ASSERT_EQUAL(pp.app_id, MMS_PDU_APP_ID_MMS);
    CU_ASSERT_EQUAL(pp.tid, 7);
    CU_ASSERT_EQUAL(pp.body_len, 0);
}

/* A PDU whose body is levels multiparts deep (1: one plain multipart),
 * with one text part 'z' at the bottom. */
static size_t nested_pdu(int levels, unsigned char *out)
{
    static const unsigned char head[] = { 0x8C, 0x84, 0x8D, 0x92, 0x84, 0xA3 };
    unsigned char body[64], tmp[64];
    size_t bl = 5;
    int i;

    memcpy(body, "\x01\x01\x01\x83z", 5); /* 1 part: hlen 1, dlen 1, text/plain */
    for (i = 1; i < levels; i++) {
        /* 1 part: hlen 1, dlen bl, multipart.mixed, data = the level below */
        tmp[0] = 0x01;
        tmp[1] = 0x01;
        tmp[2] = (unsigned char)bl;
        tmp[3] = 0xA3;
        memcpy(tmp + 4, body, bl);
        bl += 4;
        memcpy(body, tmp, bl);
    }
    memcpy(out, head, sizeof head);
    memcpy(out + sizeof head, body, bl);
    return sizeof head + bl;
}

static void test_nested(void)
{
    /* related { text a, alternative { text b, text c } }: three parts */
    static const unsigned char n2[] = {
        0x8C, 0x84, 0x8D, 0x92, 0x84, 0xB3,
        0x02,
        0x01, 0x01, 0x83, 'a',
        0x01, 0x09, 0xA6, 0x02, 0x01, 0x01, 0x83, 'b', 0x01, 0x01, 0x83, 'c',
    };
    struct mms_pdu d;
    unsigned char buf[64];
    size_t n;

    CU_ASSERT_EQUAL_FATAL(decode_copy(n2, sizeof n2, &d), MMS_PDU_OK);
    CU_ASSERT_EQUAL_FATAL(d.nparts, 3);
    CU_ASSERT_EQUAL(d.parts[0].data[0], 'a');
    CU_ASSERT_EQUAL(d.parts[2].data[0], 'c');
    mms_pdu_cleanup(&d);

    n = nested_pdu(MMS_PDU_MAX_DEPTH, buf);
    CU_ASSERT_EQUAL_FATAL(decode_copy(buf, n, &d), MMS_PDU_OK);
    CU_ASSERT_EQUAL_FATAL(d.nparts, 1);
    CU_ASSERT_EQUAL(d.parts[0].data[0], 'z');
    mms_pdu_cleanup(&d);
    n = nested_pdu(MMS_PDU_MAX_DEPTH + 1, buf);
    CU_ASSERT_EQUAL(decode_copy(buf, n, &d), MMS_PDU_LIMIT);
    CU_ASSERT_EQUAL(d.nparts, 0);
}

static void test_hostile(void)
{
    struct mms_pdu d;
    /* uintvar over 32 bits (5 octets, top group too big), and 6 octets */
    static const unsigned char u1[] = { 0x8C, 0x84, 0x84, 0xA3, 0x9F, 0xFF, 0xFF, 0xFF, 0x7F };
    static const unsigned char u2[] = { 0x8C, 0x84, 0x84, 0xA3, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00 };
    /* part count over the cap */
    static const unsigned char many[] = { 0x8C, 0x84, 0x84, 0xA3, 0x41 };
    /* part header length past the end, data length past the end */
    static const unsigned char h1[] = { 0x8C, 0x84, 0x84, 0xA3, 0x01, 0x7F, 0x00, 0x83 };
    static const unsigned char h2[] = { 0x8C, 0x84, 0x84, 0xA3, 0x01, 0x01, 0x7F, 0x83, 'a' };
    /* hlen + dlen that would wrap a 32-bit sum */
    static const unsigned char h3[] = { 0x8C, 0x84, 0x84, 0xA3, 0x01, 0x8F, 0xFF, 0xFF, 0xFF, 0x7F,
                                        0x8F, 0xFF, 0xFF, 0xFF, 0x7F, 0x83 };
    /* a Long-integer of 9 octets, a text without its NUL, a Value-length past the end */
    static const unsigned char l9[] = { 0x8C, 0x84, 0x85, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    static const unsigned char nn[] = { 0x8C, 0x84, 0x98, 'a', 'b', 'c' };
    static const unsigned char vl[] = { 0x8C, 0x84, 0x89, 0x1F, 0x8F, 0xFF, 0xFF, 0xFF, 0x7F, 0x80 };
    /* not MMS, an empty buffer, a lone Message-Type */
    static const unsigned char nm[] = { 0x01, 0x06, 0x03 };
    static const unsigned char mt[] = { 0x8C };
    /* a second Message-Type */
    static const unsigned char m2[] = { 0x8C, 0x84, 0x8C, 0x80 };

    CU_ASSERT_EQUAL(decode_copy(u1, sizeof u1, &d), MMS_PDU_MALFORMED);
    CU_ASSERT_EQUAL(decode_copy(u2, sizeof u2, &d), MMS_PDU_MALFORMED);
    CU_ASSERT_EQUAL(decode_copy(many, sizeof many, &d), MMS_PDU_LIMIT);
    CU_ASSERT_EQUAL(decode_copy(h1, sizeof h1, &d), MMS_PDU_TRUNCATED);
    CU_ASSERT_EQUAL(decode_copy(h2, sizeof h2, &d), MMS_PDU_TRUNCATED);
    CU_ASSERT_EQUAL(decode_copy(h3, sizeof h3, &d), MMS_PDU_TRUNCATED);
    CU_ASSERT_EQUAL(decode_copy(l9, sizeof l9, &d), MMS_PDU_LIMIT);
    CU_ASSERT_EQUAL(decode_copy(nn, sizeof nn, &d), MMS_PDU_TRUNCATED);
    CU_ASSERT_EQUAL(decode_copy(vl, sizeof vl, &d), MMS_PDU_TRUNCATED);
    CU_ASSERT_EQUAL(decode_copy(nm, sizeof nm, &d), MMS_PDU_UNSUPPORTED);
    CU_ASSERT_EQUAL(decode_copy(nm, 0, &d), MMS_PDU_UNSUPPORTED);
    CU_ASSERT_EQUAL(decode_copy(mt, sizeof mt, &d), MMS_PDU_TRUNCATED);
    CU_ASSERT_EQUAL(decode_copy(m2, sizeof m2, &d), MMS_PDU_MALFORMED);
    CU_ASSERT_EQUAL(d.type, 0); /* zeroed on failure */

    /* 65 addresses: over the cap */
    unsigned char addrs[4 + 65 * 3];
    size_t k = 0, i;
    addrs[k++] = 0x8C;
    addrs[k++] = 0x84;
    for (i = 0; i < 65; i++) {
        addrs[k++] = 0x97;
        addrs[k++] = 'a';
        addrs[k++] = 0;
    }
    CU_ASSERT_EQUAL(decode_copy(addrs, k, &d), MMS_PDU_LIMIT);
    CU_ASSERT_EQUAL(decode_copy(addrs, k - 3, &d), MMS_PDU_OK);
    CU_ASSERT_EQUAL(d.nto, 64);
    mms_pdu_cleanup(&d);

    /* push: wrong PDU type, headers length past the end */
    struct mms_pdu_push pp;
    CU_ASSERT_EQUAL(mms_pdu_push_decode((const unsigned char *)"\x01\x04\x00", 3, &pp),
                    MMS_PDU_UNSUPPORTED);
    CU_ASSERT_EQUAL(mms_pdu_push_decode((const unsigned char *)"\x01\x06\x09\xbe", 4, &pp),
                    MMS_PDU_TRUNCATED);
    CU_ASSERT_EQUAL(mms_pdu_push_decode((const unsigned char *)"\x01", 1, &pp), MMS_PDU_TRUNCATED);
}

/* Every prefix and every one-byte change of a valid send-req: never a
 * crash, never a read past the buffer, never a leak; a cut body is never
 * taken for the whole message. */
static void test_prefixes_and_mutations(void)
{
    struct mms_pdu p, d;
    unsigned char img[300], *out = NULL;
    size_t n = 0, i, ok_prefixes = 0;
    unsigned seed = 7;

    for (i = 0; i < sizeof img; i++)
        img[i] = (unsigned char)i;
    fill_send_req(&p, img, sizeof img);
    CU_ASSERT_EQUAL_FATAL(mms_pdu_encode(&p, &out, &n), MMS_PDU_OK);
    for (i = 0; i < n; i++) {
        enum mms_pdu_result rc = decode_copy(out, i, &d);
        if (rc == MMS_PDU_OK) {
            ok_prefixes++;
            CU_ASSERT_EQUAL(d.nparts, 0);
            mms_pdu_cleanup(&d);
        }
    }
    /* prefixes that end between two headers decode; the body never does */
    CU_ASSERT(ok_prefixes > 0 && ok_prefixes < 20);
    for (int round = 0; round < 20000; round++) {
        unsigned char *m = malloc(n);
        memcpy(m, out, n);
        int changes = 1 + rand_r(&seed) % 3;
        for (int c = 0; c < changes; c++)
            m[rand_r(&seed) % n] = (unsigned char)rand_r(&seed);
        if (mms_pdu_decode(m, n, &d) == MMS_PDU_OK) {
            CU_ASSERT(d.nparts <= MMS_PDU_MAX_PARTS);
            mms_pdu_cleanup(&d);
        }
        free(m);
    }
    mms_pdu_cleanup(&p);
    free(out);
}

static void test_address_value(void)
{
    char out[32];
    CU_ASSERT_TRUE(mms_pdu_address_value("+8613800000001/TYPE=PLMN", out, sizeof out));
    CU_ASSERT_STRING_EQUAL(out, "+8613800000001");
    CU_ASSERT_TRUE(mms_pdu_address_value("10659", out, sizeof out));
    CU_ASSERT_STRING_EQUAL(out, "10659");
    CU_ASSERT_FALSE(mms_pdu_address_value("123456789/TYPE=PLMN", out, 5));
    CU_ASSERT_STRING_EQUAL(mms_pdu_type_name(MMS_M_RETRIEVE_CONF), "m-retrieve-conf");
    CU_ASSERT_STRING_EQUAL(mms_pdu_type_name(0x99), "unknown");
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("mms_pdu", NULL, NULL);
    CU_add_test(s, "m-notification-ind and push: the known-good bytes", test_known_bytes);
    CU_add_test(s, "m-send-req with SMIL, JPEG, UTF-8 text, AMR round trip", test_send_req_round_trip);
    CU_add_test(s, "six PDU types encode-decode-encode the same", test_every_type);
    CU_add_test(s, "encoder refuses what it cannot write", test_encode_refuses);
    CU_add_test(s, "handset quirks: quoted lengths, empty ids, UCS-2 subject", test_handset_quirks);
    CU_add_test(s, "nested multipart flattened, too deep refused", test_nested);
    CU_add_test(s, "hostile lengths, uintvar overflow, caps", test_hostile);
    CU_add_test(s, "every prefix, 20,000 mutations", test_prefixes_and_mutations);
    CU_add_test(s, "address without /TYPE=, names", test_address_value);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
