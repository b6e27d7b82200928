/*
 * mms_direct_test — CUnit suite for the direct path's PDUs
 * (gateway-plugin/mms/mms_direct.c), read back with common/mms_pdu's
 * decoder and common/smsudh's parser (tshark reads them too:
 * mms_direct_tshark_test): the notification is binary SMS to port 2948
 * from 9200, one segment when it fits and concatenated segments of at
 * most 140 octets when not, whose data joined are a WSP push of an
 * m-notification-ind with every field the handset needs; the
 * m-retrieve-conf of an archived MMS has every part byte-exact, the SMIL
 * part first and named as the start, Content-IDs with <>, names as
 * Content-Location, content-type parameters split off, From the short
 * code, the MMS's date and subject; the Transaction-Id names the delivery
 * and nothing else; the not-found answer says so.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm7_mime.h"
#include "mms_direct.h"
#include "mms_pdu.h"
#include "smsudh.h"

static void test_tid(void)
{
    char t[MMS_DIRECT_TID_MAX];
    mms_direct_tid(42, t);
    CU_ASSERT_STRING_EQUAL(t, "smsvault-d42");
    CU_ASSERT_EQUAL(mms_direct_tid_id(t), 42);
    mms_direct_tid(9007199254740993LL, t);
    CU_ASSERT_EQUAL(mms_direct_tid_id(t), 9007199254740993LL);
    CU_ASSERT_EQUAL(mms_direct_tid_id("smsvault-d"), 0);
    CU_ASSERT_EQUAL(mms_direct_tid_id("smsvault-d042"), 0);
    CU_ASSERT_EQUAL(mms_direct_tid_id("smsvault-d42x"), 0);
    CU_ASSERT_EQUAL(mms_direct_tid_id("smsvault-d-42"), 0);
    CU_ASSERT_EQUAL(mms_direct_tid_id("mmscsim-T000001"), 0);
    CU_ASSERT_EQUAL(mms_direct_tid_id("smsvault-d1234567890123456789"), 0);
    CU_ASSERT_EQUAL(mms_direct_tid_id(NULL), 0);
}

/* The segments' data joined, after checking each one's UDH: ports 2948
 * from 9200 on every segment, and a concatenation IE with one reference
 * and seq 1..n when there is more than one. *push malloc'd. */
static void join(const struct mms_direct_sms *sms, size_t n, unsigned ref, unsigned char **push, size_t *len)
{
    *push = malloc(n * SMSUDH_SEGMENT);
    *len = 0;
    for (size_t i = 0; i < n; i++) {
        struct smsudh u;
        CU_ASSERT(sms[i].udhlen + sms[i].len <= SMSUDH_SEGMENT);
        CU_ASSERT_TRUE_FATAL(smsudh_parse(sms[i].udh, sms[i].udhlen, &u));
        CU_ASSERT_TRUE(u.ports);
        CU_ASSERT_EQUAL(u.dst_port, 2948);
        CU_ASSERT_EQUAL(u.src_port, 9200);
        CU_ASSERT_EQUAL(u.concat, n > 1);
        if (n > 1) {
            CU_ASSERT_EQUAL(u.ref, ref);
            CU_ASSERT_EQUAL(u.total, (int)n);
            CU_ASSERT_EQUAL(u.seq, (int)i + 1);
        }
        memcpy(*push + *len, sms[i].data, sms[i].len);
        *len += sms[i].len;
    }
}

static void check_notification(const struct mms_direct_notice *n, size_t want_segments)
{
    struct mms_direct_sms *sms = NULL;
    size_t count = 0, len = 0;
    unsigned char *push = NULL;
    CU_ASSERT_EQUAL_FATAL(mms_direct_notification(n, &sms, &count), MMS_DIRECT_OK);
    CU_ASSERT_EQUAL(count, want_segments);
    join(sms, count, (unsigned)(n->id & 0xFF), &push, &len);
    if (count == 1) {
        static const unsigned char udh[] = { 0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0 };
        CU_ASSERT_EQUAL(sms[0].udhlen, sizeof udh);
        CU_ASSERT_EQUAL(memcmp(sms[0].udh, udh, sizeof udh), 0);
    }
    struct mms_pdu_push p;
    CU_ASSERT_EQUAL_FATAL(mms_pdu_push_decode(push, len, &p), MMS_PDU_OK);
    CU_ASSERT_EQUAL(p.tid, (unsigned)(n->id & 0xFF));
    CU_ASSERT_EQUAL(p.pdu_type, MMS_PDU_WSP_PUSH);
    CU_ASSERT_STRING_EQUAL(p.content_type, MMS_PDU_CONTENT_TYPE);
    CU_ASSERT_EQUAL(p.app_id, MMS_PDU_APP_ID_MMS);
    struct mms_pdu ind;
    CU_ASSERT_EQUAL_FATAL(mms_pdu_decode(p.body, p.body_len, &ind), MMS_PDU_OK);
    char tid[MMS_DIRECT_TID_MAX];
    mms_direct_tid(n->id, tid);
    CU_ASSERT_EQUAL(ind.type, MMS_M_NOTIFICATION_IND);
    CU_ASSERT_STRING_EQUAL(ind.transaction_id, tid);
    CU_ASSERT_EQUAL(ind.version, MMS_PDU_VERSION_1_2);
    CU_ASSERT_STRING_EQUAL(ind.from, "10659/TYPE=PLMN");
    CU_ASSERT_EQUAL(ind.message_class, MMS_CLASS_PERSONAL);
    CU_ASSERT_TRUE(ind.has_message_size);
    CU_ASSERT_EQUAL(ind.message_size, n->size);
    CU_ASSERT_TRUE(ind.has_expiry && ind.expiry_relative);
    CU_ASSERT_EQUAL(ind.expiry, n->expiry_s);
    CU_ASSERT_STRING_EQUAL(ind.content_location, n->url);
    if (n->subject && n->subject[0]) {
        CU_ASSERT_PTR_NOT_NULL(ind.subject);
    } else {
        CU_ASSERT_PTR_NULL(ind.subject);
    }
    mms_pdu_cleanup(&ind);
    free(push);
    free(sms);
}

static void test_notification_one_sms(void)
{
    struct mms_direct_notice n = { 42, "http://127.0.0.1:8089/mms/r/AbCdEfGhIjKlMnOpQrStUv", "10659", "Holiday",
                                   24680, 604800 };
    check_notification(&n, 1);
}

static void test_notification_concatenated(void)
{
    const char *url = "http://mms-retrieval.operator-with-a-long-name.example.net:8089/mms/r/AbCdEfGhIjKlMnOpQrStUv";
    struct mms_direct_notice n = { 0x1234, url, "10659", "海边的问候 and a long subject that is cut", 300000, 3600 };
    check_notification(&n, 2);
    /* the subject is cut to MMS_DIRECT_SUBJECT_MAX bytes on a UTF-8 boundary */
    struct mms_direct_sms *sms = NULL;
    size_t count = 0, len = 0;
    unsigned char *push = NULL;
    CU_ASSERT_EQUAL_FATAL(mms_direct_notification(&n, &sms, &count), MMS_DIRECT_OK);
    join(sms, count, 0x34, &push, &len);
    struct mms_pdu_push p;
    struct mms_pdu ind;
    CU_ASSERT_EQUAL_FATAL(mms_pdu_push_decode(push, len, &p), MMS_PDU_OK);
    CU_ASSERT_EQUAL_FATAL(mms_pdu_decode(p.body, p.body_len, &ind), MMS_PDU_OK);
    CU_ASSERT(strlen(ind.subject) <= MMS_DIRECT_SUBJECT_MAX);
    CU_ASSERT_EQUAL(strncmp(ind.subject, "海边的问候 and a", strlen("海边的问候 and a")), 0);
    mms_pdu_cleanup(&ind);
    free(push);
    free(sms);
    /* no subject: none in the notification */
    n.subject = NULL;
    check_notification(&n, 2);
}

static void test_notification_refused(void)
{
    struct mms_direct_sms *sms = NULL;
    size_t count = 0;
    struct mms_direct_notice n = { 1, "", "10659", NULL, 1, 60 };
    CU_ASSERT_EQUAL(mms_direct_notification(&n, &sms, &count), MMS_DIRECT_INVALID);
    /* more than 255 segments */
    size_t big = 40000;
    char *url = malloc(big + 1);
    memset(url, 'a', big);
    url[big] = '\0';
    n.url = url;
    CU_ASSERT_EQUAL(mms_direct_notification(&n, &sms, &count), MMS_DIRECT_TOO_LONG);
    free(url);
}

static const char smil[] = "<smil><body><par><img src=\"cid:photo.jpg\"/><text src=\"cid:note.txt\"/></par></body></smil>";
static unsigned char jpeg[3000];

static void test_retrieve_conf(void)
{
    for (size_t i = 0; i < sizeof jpeg; i++)
        jpeg[i] = (unsigned char)(i * 7 + 3);
    memcpy(jpeg, "\xff\xd8\xff\xe0\x00\r\n", 7);
    const char *text = "海边的问候 🌊";
    struct store_mms_part parts[] = {
        { .seq = 0, .content_type = "image/jpeg", .name = "photo.jpg",
          .data = jpeg, .len = sizeof jpeg, .content_id = "photo.jpg", .content_location = "" },
        { .seq = 1, .content_type = "text/plain; charset=utf-8", .name = "note.txt",
          .data = (unsigned char *)text, .len = strlen(text), .content_id = "note.txt", .content_location = "" },
        /* SMIL last in the archive: first in the PDU */
        { .seq = 2, .content_type = "application/smil; charset=\"utf-8\"", .name = "",
          .data = (unsigned char *)smil, .len = strlen(smil), .content_id = "smil", .content_location = "" },
        /* no name, no Content-ID, parameters only in the type */
        { .seq = 3, .content_type = "Audio/AMR; name=\"v.amr\"", .name = "",
          .data = (unsigned char *)"#!AMR\n", .len = 6, .content_id = "", .content_location = "" },
        /* a type GMime cannot read: bytes as bytes */
        { .seq = 4, .content_type = "not a type", .name = "x.bin",
          .data = (unsigned char *)"\x00\x01", .len = 2, .content_id = "", .content_location = "" },
    };
    struct store_mms mms = { .n = 3, .peer = "+8613800000001", .subject = "假日 Holiday", .text = "",
                             .sent_at = 1700000000, .saved_at = 1700000500 };
    struct mms_direct_message m = { 77, "10659", "+8613800000001", &mms, parts, 5 };
    unsigned char *out = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(mms_direct_retrieve_conf(&m, &out, &len), MMS_DIRECT_OK);
    struct mms_pdu c;
    CU_ASSERT_EQUAL_FATAL(mms_pdu_decode(out, len, &c), MMS_PDU_OK);
    CU_ASSERT_EQUAL(c.type, MMS_M_RETRIEVE_CONF);
    CU_ASSERT_STRING_EQUAL(c.transaction_id, "smsvault-d77");
    CU_ASSERT_PTR_NOT_NULL(c.message_id);
    CU_ASSERT_TRUE(c.has_date);
    CU_ASSERT_EQUAL(c.date, 1700000000);
    CU_ASSERT_STRING_EQUAL(c.from, "10659/TYPE=PLMN");
    CU_ASSERT_EQUAL_FATAL(c.nto, 1);
    CU_ASSERT_STRING_EQUAL(c.to[0], "+8613800000001/TYPE=PLMN");
    CU_ASSERT_STRING_EQUAL(c.subject, "假日 Holiday");
    CU_ASSERT_EQUAL(c.message_class, MMS_CLASS_PERSONAL);
    CU_ASSERT_STRING_EQUAL(c.content_type, "application/vnd.wap.multipart.related");
    CU_ASSERT_STRING_EQUAL(c.ct_type, "application/smil");
    CU_ASSERT_STRING_EQUAL(c.ct_start, "<smil>");
    CU_ASSERT_EQUAL_FATAL(c.nparts, 5);
    CU_ASSERT_STRING_EQUAL(c.parts[0].content_type, "application/smil");
    CU_ASSERT_STRING_EQUAL(c.parts[0].charset, "utf-8");
    CU_ASSERT_STRING_EQUAL(c.parts[0].content_id, "<smil>");
    CU_ASSERT_EQUAL(c.parts[0].len, strlen(smil));
    CU_ASSERT_EQUAL(memcmp(c.parts[0].data, smil, strlen(smil)), 0);
    CU_ASSERT_STRING_EQUAL(c.parts[1].content_type, "image/jpeg");
    CU_ASSERT_PTR_NULL(c.parts[1].charset);
    CU_ASSERT_STRING_EQUAL(c.parts[1].content_id, "<photo.jpg>");
    CU_ASSERT_STRING_EQUAL(c.parts[1].content_location, "photo.jpg");
    CU_ASSERT_STRING_EQUAL(c.parts[1].name, "photo.jpg");
    CU_ASSERT_EQUAL_FATAL(c.parts[1].len, sizeof jpeg);
    CU_ASSERT_EQUAL(memcmp(c.parts[1].data, jpeg, sizeof jpeg), 0);
    CU_ASSERT_STRING_EQUAL(c.parts[2].content_type, "text/plain");
    CU_ASSERT_STRING_EQUAL(c.parts[2].charset, "utf-8");
    CU_ASSERT_EQUAL(c.parts[2].len, strlen(text));
    CU_ASSERT_EQUAL(memcmp(c.parts[2].data, text, strlen(text)), 0);
    CU_ASSERT_STRING_EQUAL(c.parts[3].content_type, "audio/amr");
    CU_ASSERT_STRING_EQUAL(c.parts[3].name, "v.amr");
    CU_ASSERT_PTR_NULL(c.parts[3].content_id);
    CU_ASSERT_STRING_EQUAL(c.parts[4].content_type, "application/octet-stream");
    CU_ASSERT_EQUAL(c.parts[4].len, 2);
    mms_pdu_cleanup(&c);
    free(out);

    /* no SMIL: multipart.mixed, in the archive's order; no sent date: the
     * saved one; no subject: the item's number */
    mms.sent_at = 0;
    mms.subject = "";
    m.parts = parts;
    m.nparts = 2;
    CU_ASSERT_EQUAL_FATAL(mms_direct_retrieve_conf(&m, &out, &len), MMS_DIRECT_OK);
    CU_ASSERT_EQUAL_FATAL(mms_pdu_decode(out, len, &c), MMS_PDU_OK);
    CU_ASSERT_STRING_EQUAL(c.content_type, "application/vnd.wap.multipart.mixed");
    CU_ASSERT_EQUAL(c.date, 1700000500);
    CU_ASSERT_STRING_EQUAL(c.subject, "M3");
    CU_ASSERT_EQUAL_FATAL(c.nparts, 2);
    CU_ASSERT_STRING_EQUAL(c.parts[0].content_type, "image/jpeg");
    mms_pdu_cleanup(&c);
    free(out);
}

static void test_not_found(void)
{
    unsigned char *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    mms_direct_not_found(&a, &alen);
    mms_direct_not_found(&b, &blen);
    /* one answer, whatever the reason */
    CU_ASSERT_EQUAL(alen, blen);
    CU_ASSERT_EQUAL(memcmp(a, b, alen), 0);
    struct mms_pdu c;
    CU_ASSERT_EQUAL_FATAL(mms_pdu_decode(a, alen, &c), MMS_PDU_OK);
    CU_ASSERT_EQUAL(c.type, MMS_M_RETRIEVE_CONF);
    CU_ASSERT_EQUAL(c.retrieve_status, MMS_RETRIEVE_ERROR_MESSAGE_NOT_FOUND);
    CU_ASSERT_EQUAL(c.nparts, 0);
    mms_pdu_cleanup(&c);
    free(a);
    free(b);
    mms_direct_try_later(&a, &alen);
    CU_ASSERT_EQUAL_FATAL(mms_pdu_decode(a, alen, &c), MMS_PDU_OK);
    CU_ASSERT_EQUAL(c.retrieve_status, MMS_RETRIEVE_ERROR_TRANSIENT_FAILURE);
    mms_pdu_cleanup(&c);
    free(a);
}

int main(void)
{
    mm7_mime_init();
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("mms_direct", NULL, NULL);
    CU_add_test(s, "Transaction-Id of a delivery and back", test_tid);
    CU_add_test(s, "a notification in one SMS to port 2948", test_notification_one_sms);
    CU_add_test(s, "a long notification concatenated", test_notification_concatenated);
    CU_add_test(s, "a notification that cannot be sent", test_notification_refused);
    CU_add_test(s, "the m-retrieve-conf of an archived MMS", test_retrieve_conf);
    CU_add_test(s, "one not-found answer", test_not_found);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
