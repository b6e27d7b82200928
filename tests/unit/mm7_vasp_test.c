/*
 * mm7_vasp_test — CUnit suite for what vaultmms does with a request an
 * MMSC posts (mm7_vasp_handle), against a real PostgreSQL (NEEDS_DB), as a
 * user notices it: an unbound phone's MMS answered 1000, stored nowhere,
 * the phone sent the registration hint once; a bound phone's MMS stored
 * with its parts in order, charged, the phone told "Saved as M1" in its
 * language; a retried DeliverReq answered again and stored once; no space:
 * Fault 4007, nothing of the MMS written, the phone told once; a
 * TransactionID reused for other content stored as a new MMS; broken
 * requests refused with nothing written; delivery reports moving the
 * outbox row; the Fault's HTTP status per MMSC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "mm7_request.h"
#include "mm7_soap.h"
#include "mm7_vasp.h"
#include "store_test_main.h"

#define NS6 "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4"

static struct store *s;
static int hook_calls;
static void hook(void *ctx) { hook_calls++; }
static struct mm7_vasp V = { { 64 * 1024, 1 << 20, 32, 3 }, hook, NULL };
static struct mmsc_config M = { .name = "sim", .fault_http_status = 500 };

static const char *CT = "multipart/related; boundary=outer; type=\"text/xml\"; start=\"<env>\"";

/* A DeliverReq from sender with subject and an MM of a SMIL part, an image
 * of img_len bytes and a text part. */
static char *deliver_req(const char *tid, const char *sender_xml, const char *subject, size_t img_len,
                         const char *text, size_t *len)
{
    char *img = xmalloc(img_len + 1);
    for (size_t i = 0; i < img_len; i++)
        img[i] = (char)('A' + i % 26);   /* 8-bit safe, no boundary in it */
    img[img_len] = '\0';
    char *body = xasprintf(
        "--outer\r\nContent-Type: text/xml; charset=utf-8\r\nContent-ID: <env>\r\n\r\n"
        "<env:Envelope xmlns:env=\"http://schemas.xmlsoap.org/soap/envelope/\"><env:Header>"
        "<mm7:TransactionID xmlns:mm7=\"" NS6 "\">%s</mm7:TransactionID></env:Header><env:Body>"
        "<mm7:DeliverReq xmlns:mm7=\"" NS6 "\"><mm7:MM7Version>6.8.0</mm7:MM7Version>"
        "<mm7:LinkedID>lnk-%s</mm7:LinkedID><mm7:Sender>%s</mm7:Sender>"
        "<mm7:TimeStamp>2026-11-27T10:15:02Z</mm7:TimeStamp><mm7:Subject>%s</mm7:Subject>"
        "<mm7:Content href=\"cid:mm\"/></mm7:DeliverReq></env:Body></env:Envelope>\r\n"
        "--outer\r\nContent-ID: <mm>\r\nContent-Type: multipart/related; boundary=inner; start=\"<smil>\"\r\n\r\n"
        "--inner\r\nContent-Type: application/smil\r\nContent-ID: <smil>\r\n\r\n<smil/>\r\n"
        "--inner\r\nContent-Type: image/jpeg; name=\"beach.jpg\"\r\nContent-ID: <img1>\r\n\r\n%s\r\n"
        "--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-ID: <t1>\r\n\r\n%s\r\n"
        "--inner--\r\n--outer--\r\n",
        tid, tid, sender_xml, subject, img, text);
    free(img);
    *len = strlen(body);
    return body;
}

struct got {
    int http, status;
    enum mm7_op op;
    char *tid;
};

static struct got post(struct store *st, const struct mmsc_config *m, const char *ct, const char *body, size_t len)
{
    struct mm7_answer a;
    mm7_vasp_handle(&V, m, st, ct, body, len, &a);
    struct got g = { a.http_status, a.status, MM7_OP_UNKNOWN, NULL };
    struct mm7_envelope e;
    /* the answer is an MM7 envelope whatever happened */
    CU_ASSERT_EQUAL_FATAL(mm7_soap_parse(a.body, a.len, "utf-8", 64 * 1024, &e), MM7_OK);
    CU_ASSERT_EQUAL(e.status_code, a.status);
    g.op = e.op;
    g.tid = e.transaction_id ? xstrdup(e.transaction_id) : NULL;
    mm7_envelope_cleanup(&e);
    mm7_answer_cleanup(&a);
    return g;
}

static struct got post_deliver(struct store *st, const char *tid, const char *sender_xml, const char *subject,
                               size_t img_len, const char *text)
{
    size_t len;
    char *body = deliver_req(tid, sender_xml, subject, img_len, text, &len);
    struct got g = post(st, &M, CT, body, len);
    free(body);
    return g;
}

static void bind_phone(const char *user, const char *lang, const char *msisdn, char uid[STORE_ID_LEN])
{
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, user, "password1", lang, uid), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_phone_bind(s, msisdn, uid), STORE_OK);
}

static void test_open(void)
{
    s = testdb_open();
}

static void test_unbound_phone(void)
{
    hook_calls = 0;
    struct got g = post_deliver(s, "u-1", "<mm7:Number>+8613900000009/TYPE=PLMN</mm7:Number>", "hi", 10, "hello");
    CU_ASSERT_EQUAL(g.http, 200);
    CU_ASSERT_EQUAL(g.status, 1000);
    CU_ASSERT_EQUAL(g.op, MM7_OP_DELIVER_RSP);
    CU_ASSERT_STRING_EQUAL(g.tid, "u-1");
    free(g.tid);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM mms"), 0);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE msisdn = '+8613900000009' AND text LIKE '%s'",
                           "This phone has no account.%REG%"), 1);
    CU_ASSERT_EQUAL(hook_calls, 1);
    /* the MMSC sends it again: answered again, the hint not sent twice */
    g = post_deliver(s, "u-1", "<mm7:Number>+8613900000009/TYPE=PLMN</mm7:Number>", "hi", 10, "hello");
    CU_ASSERT_EQUAL(g.status, 1000);
    free(g.tid);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM outbox WHERE msisdn = '+8613900000009'"), 1);
    CU_ASSERT_EQUAL(hook_calls, 1);
    /* a Chinese MMS from an unbound phone gets the hint in Chinese */
    g = post_deliver(s, "u-2", "<mm7:Number>8613900000008</mm7:Number>", "你好", 10, "hello");
    free(g.tid);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE msisdn = '8613900000008' AND text LIKE '%s'",
                           "本机未开通%"), 1);
    /* a sender that is no phone number: answered, nothing written */
    g = post_deliver(s, "u-3", "<mm7:RFC2822Address>alice@example.com</mm7:RFC2822Address>", "x", 10, "y");
    CU_ASSERT_EQUAL(g.status, 1000);
    free(g.tid);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM mm7_seen WHERE transaction_id = 'u-3'"), 0);
}

static void test_bound_phone_stored_once(void)
{
    char uid[STORE_ID_LEN];
    bind_phone("mmsalice", "en", "+8613800000001", uid);
    hook_calls = 0;
    /* the MMSC writes the number its own way: /TYPE=PLMN, no '+' */
    struct got g = post_deliver(s, "b-1", "<mm7:Number>8613800000001/TYPE=PLMN</mm7:Number>", "Beach &amp; sun",
                                3000, "Greetings");
    CU_ASSERT_EQUAL(g.http, 200);
    CU_ASSERT_EQUAL(g.status, 1000);
    free(g.tid);
    struct store_mms m;
    CU_ASSERT_EQUAL_FATAL(store_mms_get(s, uid, 1, &m), STORE_OK);
    CU_ASSERT_STRING_EQUAL(m.subject, "Beach & sun");
    CU_ASSERT_STRING_EQUAL(m.peer, "");   /* the user's own, as SAVE's text: the phone is no correspondent */
    CU_ASSERT_STRING_EQUAL(m.text, "Greetings");
    CU_ASSERT_EQUAL(m.nparts, 3);
    CU_ASSERT_EQUAL(m.size_bytes, 7 + 3000 + 9);
    CU_ASSERT_EQUAL(m.sent_at, 1795774502);   /* 2026-11-27T10:15:02Z */
    store_mms_cleanup(&m);
    struct store_mms_part *pv;
    size_t np;
    CU_ASSERT_EQUAL_FATAL(store_mms_parts(s, uid, 1, &pv, &np), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(np, 3);
    CU_ASSERT_STRING_EQUAL(pv[0].content_type, "application/smil");
    CU_ASSERT_STRING_EQUAL(pv[0].content_id, "smil");
    CU_ASSERT_STRING_EQUAL(pv[1].name, "beach.jpg");
    CU_ASSERT_STRING_EQUAL(pv[1].content_id, "img1");
    CU_ASSERT_EQUAL(pv[1].len, 3000);
    CU_ASSERT_STRING_EQUAL(pv[2].content_type, "text/plain; charset=utf-8");
    store_mms_parts_free(pv, np);
    struct store_usage u;
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, uid, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.used_bytes, 3016);
    CU_ASSERT_EQUAL(u.mms_count, 1);
    /* to the phone as it was bound, not as the MMSC wrote it */
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM outbox WHERE msisdn = '+8613800000001'"
                                  " AND text = 'Saved as M1. Used 2.9 KB of 10 MB.'"), 1);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM mm7_seen WHERE transaction_id = 'b-1' AND mms_n = 1"
                           " AND linked_id = 'lnk-b-1' AND user_id = '%s'", uid), 1);
    CU_ASSERT_EQUAL(hook_calls, 1);
    /* retried, as an MMSC does when the answer did not come: stored once */
    for (int i = 0; i < 2; i++) {
        g = post_deliver(s, "b-1", "<mm7:Number>8613800000001/TYPE=PLMN</mm7:Number>", "Beach &amp; sun", 3000,
                         "Greetings");
        CU_ASSERT_EQUAL(g.status, 1000);
        CU_ASSERT_EQUAL(g.op, MM7_OP_DELIVER_RSP);
        free(g.tid);
    }
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM mms WHERE user_id = '%s'", uid), 1);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT used_bytes FROM users WHERE id = '%s'", uid), 3016);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM outbox WHERE text LIKE 'Saved as M%'"), 1);
    CU_ASSERT_EQUAL(hook_calls, 1);
    /* another MMSC's b-1 is another message */
    struct mmsc_config other = M;
    other.name = "other";
    size_t len;
    char *body = deliver_req("b-1", "<mm7:Number>+8613800000001</mm7:Number>", "two", 10, "x", &len);
    g = post(s, &other, CT, body, len);
    free(body);
    CU_ASSERT_EQUAL(g.status, 1000);
    free(g.tid);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM mms WHERE user_id = '%s'", uid), 2);
    /* the same TransactionID for other content (an MMSC that reuses ids):
     * a new MMS, not silently dropped */
    g = post_deliver(s, "b-1", "<mm7:Number>+8613800000001</mm7:Number>", "three", 10, "other text");
    CU_ASSERT_EQUAL(g.status, 1000);
    free(g.tid);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM mms WHERE user_id = '%s'", uid), 3);
}

static void test_chinese_user_reply(void)
{
    char uid[STORE_ID_LEN];
    bind_phone("mmszhang", "zh", "+8613800000005", uid);
    struct got g = post_deliver(s, "zh-1", "<mm7:Number>+8613800000005</mm7:Number>", "生日", 100, "快乐");
    CU_ASSERT_EQUAL(g.status, 1000);
    free(g.tid);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE msisdn = '+8613800000005' AND text LIKE '%s'",
                           "彩信已保存为 M1。%"), 1);
}

/* No space that can be found: nothing of the MMS is written, the phone is
 * told once, the MMSC gets 4007 (again when it retries). */
static void test_no_space(void)
{
    struct store_config *cfg = testdb_config();
    long long cap = cfg->user_cap_bytes, initial = cfg->initial_bytes;
    cfg->user_cap_bytes = 8 << 10;
    cfg->initial_bytes = 4 << 10;
    struct store *small = testdb_open();
    char uid[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(small, "mmsfull", "password1", "en", uid), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_phone_bind(small, "+8613800000006", uid), STORE_OK);
    long long used = testdb_scalarf("SELECT used_bytes FROM users WHERE id = '%s'", uid);
    hook_calls = 0;
    for (int i = 0; i < 2; i++) {
        struct got g = post_deliver(small, "full-1", "<mm7:Number>+8613800000006</mm7:Number>", "big", 20000, "x");
        CU_ASSERT_EQUAL(g.status, MM7_SERVICE_DENIED);
        CU_ASSERT_EQUAL(g.http, 500);
        CU_ASSERT_EQUAL(g.op, MM7_OP_FAULT);
        CU_ASSERT_STRING_EQUAL(g.tid, "full-1");
        free(g.tid);
    }
    CU_ASSERT_EQUAL(hook_calls, 1);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM mms WHERE user_id = '%s'", uid), 0);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM mms_parts WHERE user_id = '%s'", uid), 0);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT used_bytes FROM users WHERE id = '%s'", uid), used);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM outbox WHERE msisdn = '+8613800000006'"
                                  " AND text = 'MMS not saved (20 KB): no space left. DEL some items first.'"), 1);
    /* one that fits, and makes the space grow (less than the threshold left) */
    struct got g = post_deliver(small, "full-2", "<mm7:Number>+8613800000006</mm7:Number>", "small", 3500, "x");
    CU_ASSERT_EQUAL(g.status, 1000);
    free(g.tid);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM outbox WHERE msisdn = '+8613800000006'"
                                  " AND text = 'Saved as M1. Your space grew to 8 KB.'"), 1);
    store_free(small);
    cfg->user_cap_bytes = cap;
    cfg->initial_bytes = initial;
}

static void test_broken_requests_write_nothing(void)
{
    long long seen = testdb_scalar("SELECT count(*) FROM mm7_seen"), out = testdb_scalar("SELECT count(*) FROM outbox");
    /* XML cut short */
    const char *bad = "--outer\r\nContent-Type: text/xml\r\nContent-ID: <env>\r\n\r\n<env:Envelope xmlns:env="
                      "\"http://schemas.xmlsoap.org/soap/envelope/\"><env:Body>\r\n--outer--\r\n";
    struct got g = post(s, &M, CT, bad, strlen(bad));
    CU_ASSERT_EQUAL(g.status, MM7_VALIDATION_ERROR);
    CU_ASSERT_EQUAL(g.http, 500);
    free(g.tid);
    /* bad base64 in the MM */
    size_t len;
    char *body = deliver_req("bad-1", "<mm7:Number>+8613800000001</mm7:Number>", "x", 10, "y", &len);
    char *img = strstr(body, "Content-ID: <img1>\r\n\r\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    img[strlen("Content-ID: <img1>\r\n")] = '\0';
    char *bad64 = xasprintf("%sContent-Transfer-Encoding: base64\r\n\r\n!!!!%s", body,
                            img + strlen("Content-ID: <img1>\r\n\r\n") + 10);
    g = post(s, &M, CT, bad64, strlen(bad64));
    free(bad64);
    free(body);
    CU_ASSERT_EQUAL(g.status, MM7_CONTENT_REFUSED);
    CU_ASSERT_STRING_EQUAL(g.tid, "bad-1");
    free(g.tid);
    /* no Sender */
    body = deliver_req("bad-2", "", "x", 10, "y", &len);
    g = post(s, &M, CT, body, len);
    free(body);
    CU_ASSERT_EQUAL(g.status, MM7_VALIDATION_ERROR);
    free(g.tid);
    /* an operation we do not serve */
    const char *sub = "<E:Envelope xmlns:E=\"http://schemas.xmlsoap.org/soap/envelope/\"><E:Header>"
                      "<TransactionID>op-1</TransactionID></E:Header><E:Body><SubmitReq xmlns=\"" NS6 "\">"
                      "<MM7Version>6.8.0</MM7Version></SubmitReq></E:Body></E:Envelope>";
    g = post(s, &M, "text/xml", sub, strlen(sub));
    CU_ASSERT_EQUAL(g.status, MM7_UNSUPPORTED_OPERATION);
    free(g.tid);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM mm7_seen"), seen);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM outbox"), out);
    /* an MMSC configured for Mbuni-style faults gets HTTP 200 */
    struct mmsc_config m200 = M;
    m200.fault_http_status = 200;
    g = post(s, &m200, CT, bad, strlen(bad));
    CU_ASSERT_EQUAL(g.http, 200);
    CU_ASSERT_EQUAL(g.op, MM7_OP_FAULT);
    free(g.tid);
}

static void report_xml(char *xml, size_t cap, const char *tid, const char *op, const char *msg,
                       const char *mm_status)
{
    snprintf(xml, cap, "<E:Envelope xmlns:E=\"http://schemas.xmlsoap.org/soap/envelope/\"><E:Header>"
             "<m:TransactionID xmlns:m=\"" NS6 "\">%s</m:TransactionID></E:Header><E:Body>"
             "<m:%s xmlns:m=\"" NS6 "\"><m:MM7Version>6.8.0</m:MM7Version><m:MessageID>%s</m:MessageID>"
             "<m:Recipient><m:Number>+8613800000001</m:Number></m:Recipient>"
             "<m:MMStatus>%s</m:MMStatus></m:%s></E:Body></E:Envelope>", tid, op, msg, mm_status, op);
}

static void test_reports(void)
{
    char uid[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_phone_lookup(s, "+8613800000001", uid), STORE_OK);
    struct store_outbox_new o = { .user_id = uid, .msisdn = "+8613800000001", .text = "mms M1", .text_len = 6 };
    long long id;
    CU_ASSERT_EQUAL_FATAL(store_outbox_enqueue(s, &o, &id), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_mm7_submitted(s, id, "sim", "msg-42"), STORE_OK);
    char xml[1024];
    report_xml(xml, sizeof xml, "dr-1", "DeliveryReportReq", "msg-42", "Retrieved");
    struct got g = post(s, &M, "text/xml", xml, strlen(xml));
    CU_ASSERT_EQUAL(g.status, 1000);
    CU_ASSERT_EQUAL(g.op, MM7_OP_DELIVERY_REPORT_RSP);
    CU_ASSERT_STRING_EQUAL(g.tid, "dr-1");
    free(g.tid);
    enum store_outbox_state st;
    CU_ASSERT_EQUAL(store_outbox_state(s, id, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_DELIVERED);
    /* a MessageID we never submitted */
    report_xml(xml, sizeof xml, "dr-2", "DeliveryReportReq", "msg-nope", "Retrieved");
    g = post(s, &M, "text/xml", xml, strlen(xml));
    CU_ASSERT_EQUAL(g.status, MM7_MESSAGE_ID_NOT_FOUND);
    free(g.tid);
    /* a read reply is acknowledged */
    report_xml(xml, sizeof xml, "rr-1", "ReadReplyReq", "msg-42", "Read");
    g = post(s, &M, "text/xml", xml, strlen(xml));
    CU_ASSERT_EQUAL(g.status, 1000);
    CU_ASSERT_EQUAL(g.op, MM7_OP_READ_REPLY_RSP);
    free(g.tid);
}

static void test_close(void)
{
    store_free(s);
    s = NULL;
}

static const struct test_entry tests[] = {
    { "open", test_open },
    { "unbound phone: 1000, stored nowhere, hinted once", test_unbound_phone },
    { "bound phone: stored, charged, told, once", test_bound_phone_stored_once },
    { "a Chinese user's reply", test_chinese_user_reply },
    { "no space: 4007, nothing written, told once", test_no_space },
    { "broken requests write nothing", test_broken_requests_write_nothing },
    { "delivery and read reports", test_reports },
    { "close", test_close },
};

int main(void)
{
    mm7_request_init();
    return suite_main("mm7_vasp", tests, sizeof tests / sizeof tests[0]);
}
