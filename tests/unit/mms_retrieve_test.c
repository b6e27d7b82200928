/*
 * mms_retrieve_test — CUnit suite for what vaultmms's retrieval URL
 * answers (gateway-plugin/mms/mms_retrieve.c) on a real PostgreSQL
 * (NEEDS_DB), as a handset would see it: GET with a delivery's token gives
 * the archived MMS as an m-retrieve-conf, every part byte-exact; a second
 * GET, a token never made and an expired one give the same 404 bytes; the
 * handset's m-notifyresp-ind marks the delivery and its outbox row
 * delivered, Rejected marks them failed, Deferred keeps the token for a
 * later GET whose m-acknowledge-ind then delivers; another delivery's
 * Transaction-Id and a body that is no answer change nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm7_mime.h"
#include "mms_direct.h"
#include "mms_pdu.h"
#include "mms_retrieve.h"
#include "store_test_main.h"

static struct store *s;
static char uid[STORE_ID_LEN];
static long long n1;
static const struct mms_retrieve cfg = { "10659" };
static unsigned char jpeg[5000];
static const char smil[] = "<smil><body><par><img src=\"cid:photo.jpg\"/></par></body></smil>";

static void test_open(void)
{
    mm7_mime_init();
    s = testdb_open();
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "handset", "password1", "en", uid), STORE_OK);
    for (size_t i = 0; i < sizeof jpeg; i++)
        jpeg[i] = (unsigned char)(i * 31);
    struct store_mms_part_new parts[] = {
        { .content_type = "image/jpeg", .name = "photo.jpg", .data = jpeg, .len = sizeof jpeg,
          .content_id = "photo.jpg" },
        { .content_type = "text/plain; charset=utf-8", .name = "note.txt", .data = (const unsigned char *)"你好", .len = 6,
          .content_id = "note.txt" },
        { .content_type = "application/smil", .name = "", .data = (const unsigned char *)smil, .len = strlen(smil),
          .content_id = "smil" },
    };
    struct store_mms_new in = { .peer = "+8613800000001", .subject = "Holiday", .sent_at = 1700000000,
                                .source = "mm7", .parts = parts, .nparts = 3 };
    CU_ASSERT_EQUAL_FATAL(store_mms_add(s, uid, &in, &n1), STORE_OK);
}

static void test_close(void)
{
    store_free(s);
    s = NULL;
}

static long long delivery(long long outbox_id, char token[STORE_RETRIEVAL_TOKEN_LEN])
{
    long long id = 0;
    CU_ASSERT_EQUAL(store_mms_retrieval_create(s, uid, n1, "+8613800000001", outbox_id, 600, token, &id),
                    STORE_OK);
    return id;
}

static long long outbox_row(void)
{
    return testdb_outbox_row(s, uid, "+8613800000001", "M1");
}

static int state_of(long long id)
{
    return testdb_outbox_state(s, id);
}

/* The handset's answer PDU for delivery id. */
static void answer_pdu(int type, long long id, int status, unsigned char **out, size_t *len)
{
    struct mms_pdu p;
    char tid[MMS_DIRECT_TID_MAX];
    mms_pdu_init(&p, type);
    mms_direct_tid(id, tid);
    p.transaction_id = strdup(tid);
    p.status = status;
    CU_ASSERT_EQUAL_FATAL(mms_pdu_encode(&p, out, len), MMS_PDU_OK);
    mms_pdu_cleanup(&p);
}

static int post(const char *token, int type, long long id, int status)
{
    unsigned char *pdu = NULL;
    size_t len = 0;
    answer_pdu(type, id, status, &pdu, &len);
    struct mms_retrieve_answer a;
    mms_retrieve_post(&cfg, s, token, pdu, len, &a);
    free(pdu);
    int code = a.http_status;
    mms_retrieve_answer_cleanup(&a);
    return code;
}

static void test_get_then_notifyresp(void)
{
    char t[STORE_RETRIEVAL_TOKEN_LEN];
    long long ob = outbox_row();
    long long id = delivery(ob, t);
    struct mms_retrieve_answer a;
    mms_retrieve_get(&cfg, s, t, &a);
    CU_ASSERT_EQUAL_FATAL(a.http_status, 200);
    CU_ASSERT_STRING_EQUAL(a.content_type, MMS_PDU_CONTENT_TYPE);
    struct mms_pdu c;
    CU_ASSERT_EQUAL_FATAL(mms_pdu_decode(a.body, a.len, &c), MMS_PDU_OK);
    CU_ASSERT_EQUAL(c.type, MMS_M_RETRIEVE_CONF);
    CU_ASSERT_EQUAL(mms_direct_tid_id(c.transaction_id), id);
    CU_ASSERT_STRING_EQUAL(c.from, "10659/TYPE=PLMN");
    CU_ASSERT_STRING_EQUAL(c.to[0], "+8613800000001/TYPE=PLMN");
    CU_ASSERT_STRING_EQUAL(c.subject, "Holiday");
    CU_ASSERT_EQUAL(c.date, 1700000000);
    CU_ASSERT_EQUAL_FATAL(c.nparts, 3);
    CU_ASSERT_STRING_EQUAL(c.parts[0].content_type, "application/smil");
    CU_ASSERT_STRING_EQUAL(c.ct_start, "<smil>");
    CU_ASSERT_EQUAL_FATAL(c.parts[1].len, sizeof jpeg);
    CU_ASSERT_EQUAL(memcmp(c.parts[1].data, jpeg, sizeof jpeg), 0);
    CU_ASSERT_EQUAL(c.parts[2].len, 6);
    CU_ASSERT_EQUAL(memcmp(c.parts[2].data, "你好", 6), 0);
    mms_pdu_cleanup(&c);
    mms_retrieve_answer_cleanup(&a);
    CU_ASSERT_EQUAL(state_of(ob), OUTBOX_QUEUED);

    /* one time: the second GET is the not-found answer, byte for byte */
    unsigned char *nf = NULL;
    size_t nflen = 0;
    mms_direct_not_found(&nf, &nflen);
    mms_retrieve_get(&cfg, s, t, &a);
    CU_ASSERT_EQUAL(a.http_status, 404);
    CU_ASSERT_EQUAL(a.len, nflen);
    CU_ASSERT_EQUAL(a.len == nflen && memcmp(a.body, nf, nflen) == 0, 1);
    mms_retrieve_answer_cleanup(&a);

    /* another delivery's Transaction-Id on this URL changes nothing */
    CU_ASSERT_EQUAL(post(t, MMS_M_NOTIFYRESP_IND, id + 1, MMS_STATUS_RETRIEVED), 404);
    CU_ASSERT_EQUAL(state_of(ob), OUTBOX_QUEUED);
    /* the handset's m-notifyresp-ind: delivered, once */
    CU_ASSERT_EQUAL(post(t, MMS_M_NOTIFYRESP_IND, id, MMS_STATUS_RETRIEVED), 200);
    CU_ASSERT_EQUAL(state_of(ob), OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(post(t, MMS_M_NOTIFYRESP_IND, id, MMS_STATUS_REJECTED), 404);
    CU_ASSERT_EQUAL(state_of(ob), OUTBOX_DELIVERED);
    free(nf);
}

static void test_unknown_used_expired_alike(void)
{
    char t[STORE_RETRIEVAL_TOKEN_LEN], used[STORE_RETRIEVAL_TOKEN_LEN];
    struct mms_retrieve_answer a, b, c, d;
    delivery(0, used);
    mms_retrieve_get(&cfg, s, used, &a);
    CU_ASSERT_EQUAL(a.http_status, 200);
    mms_retrieve_answer_cleanup(&a);
    delivery(0, t);
    store_test_clock_offset(s, 601);
    mms_retrieve_get(&cfg, s, t, &a);       /* expired */
    store_test_clock_offset(s, 0);
    mms_retrieve_get(&cfg, s, used, &b);    /* used */
    mms_retrieve_get(&cfg, s, "AAAAAAAAAAAAAAAAAAAAAA", &c);   /* never made */
    mms_retrieve_get(&cfg, s, "../../etc/passwd", &d);         /* not a token */
    const struct mms_retrieve_answer *all[] = { &b, &c, &d };
    CU_ASSERT_EQUAL(a.http_status, 404);
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(all[i]->http_status, 404);
        CU_ASSERT_STRING_EQUAL(all[i]->what, a.what);
        CU_ASSERT_EQUAL(all[i]->len, a.len);
        CU_ASSERT_EQUAL(all[i]->len == a.len && memcmp(all[i]->body, a.body, a.len) == 0, 1);
    }
    mms_retrieve_answer_cleanup(&a);
    mms_retrieve_answer_cleanup(&b);
    mms_retrieve_answer_cleanup(&c);
    mms_retrieve_answer_cleanup(&d);
}

static void test_rejected_and_deferred(void)
{
    char t[STORE_RETRIEVAL_TOKEN_LEN];
    struct mms_retrieve_answer a;
    /* Rejected without fetching: the row failed, the URL dead */
    long long ob = outbox_row();
    long long id = delivery(ob, t);
    CU_ASSERT_EQUAL(post(t, MMS_M_NOTIFYRESP_IND, id, MMS_STATUS_REJECTED), 200);
    CU_ASSERT_EQUAL(state_of(ob), OUTBOX_FAILED);
    mms_retrieve_get(&cfg, s, t, &a);
    CU_ASSERT_EQUAL(a.http_status, 404);
    mms_retrieve_answer_cleanup(&a);

    /* Deferred, then the GET, then m-acknowledge-ind (deferred retrieval) */
    ob = outbox_row();
    id = delivery(ob, t);
    CU_ASSERT_EQUAL(post(t, MMS_M_NOTIFYRESP_IND, id, MMS_STATUS_DEFERRED), 200);
    CU_ASSERT_EQUAL(state_of(ob), OUTBOX_QUEUED);
    /* an acknowledgement before the fetch confirms nothing */
    CU_ASSERT_EQUAL(post(t, MMS_M_ACKNOWLEDGE_IND, id, 0), 404);
    mms_retrieve_get(&cfg, s, t, &a);
    CU_ASSERT_EQUAL(a.http_status, 200);
    mms_retrieve_answer_cleanup(&a);
    CU_ASSERT_EQUAL(post(t, MMS_M_ACKNOWLEDGE_IND, id, 0), 200);
    CU_ASSERT_EQUAL(state_of(ob), OUTBOX_DELIVERED);

    /* Unrecognised: the handset could not use it — failed */
    ob = outbox_row();
    id = delivery(ob, t);
    CU_ASSERT_EQUAL(post(t, MMS_M_NOTIFYRESP_IND, id, MMS_STATUS_UNRECOGNISED), 200);
    CU_ASSERT_EQUAL(state_of(ob), OUTBOX_FAILED);
}

static void test_not_an_answer(void)
{
    char t[STORE_RETRIEVAL_TOKEN_LEN];
    long long ob = outbox_row();
    long long id = delivery(ob, t);
    struct mms_retrieve_answer a;
    mms_retrieve_post(&cfg, s, t, "GET / HTTP/1.0", 14, &a);
    CU_ASSERT_EQUAL(a.http_status, 400);
    mms_retrieve_answer_cleanup(&a);
    /* a well-formed PDU that is no answer (an m-send-req) */
    CU_ASSERT_EQUAL(post(t, MMS_M_SEND_REQ, id, 0), 400);
    /* a Transaction-Id that is not ours */
    unsigned char *pdu = NULL;
    size_t len = 0;
    struct mms_pdu p;
    mms_pdu_init(&p, MMS_M_NOTIFYRESP_IND);
    p.transaction_id = strdup("mmscsim-T000001");
    p.status = MMS_STATUS_RETRIEVED;
    CU_ASSERT_EQUAL_FATAL(mms_pdu_encode(&p, &pdu, &len), MMS_PDU_OK);
    mms_pdu_cleanup(&p);
    mms_retrieve_post(&cfg, s, t, pdu, len, &a);
    CU_ASSERT_EQUAL(a.http_status, 404);
    mms_retrieve_answer_cleanup(&a);
    free(pdu);
    CU_ASSERT_EQUAL(state_of(ob), OUTBOX_QUEUED);
    /* and the token still fetches */
    mms_retrieve_get(&cfg, s, t, &a);
    CU_ASSERT_EQUAL(a.http_status, 200);
    mms_retrieve_answer_cleanup(&a);
}

static const struct test_entry tests[] = {
    { "open", test_open },
    { "GET the MMS once, then the m-notifyresp-ind delivers", test_get_then_notifyresp },
    { "unknown, used and expired tokens answer alike", test_unknown_used_expired_alike },
    { "Rejected, Deferred then acknowledged, Unrecognised", test_rejected_and_deferred },
    { "a body that is no answer changes nothing", test_not_an_answer },
    { "close", test_close },
};

int main(void)
{
    return suite_main("mms_retrieve", tests, sizeof tests / sizeof tests[0]);
}
