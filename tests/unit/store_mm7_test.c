/*
 * store_mm7_test — CUnit suite for what vaultmms keeps (migration 005)
 * against a real PostgreSQL (NEEDS_DB): a part's Content-ID kept with the
 * MMS; a phone found in the form it was bound with; the DeliverReq de-duplication (a claim commits with the MMS and a
 * retry sees the first answer; a rolled-back claim leaves nothing; a
 * duplicate in flight waits for the first and then sees its answer); and
 * SubmitReq records with their delivery reports moving the outbox row.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_test_main.h"

static struct store *s;
static char uid[STORE_ID_LEN];

static void test_open(void)
{
    s = testdb_open();
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "mm7user", "password1", "en", uid), STORE_OK);
}

static void test_close(void)
{
    store_free(s);
    s = NULL;
}

static void test_content_id_kept(void)
{
    const char *smil = "<smil><body><par><img src=\"cid:img1\"/></par></body></smil>";
    unsigned char gif[] = { 'G', 'I', 'F', '8', '9', 'a', 0, 1 };
    struct store_mms_part_new parts[] = {
        { .content_type = "application/smil", .name = "smil.xml", .data = (const unsigned char *)smil,
          .len = strlen(smil), .content_id = "smil" },
        { .content_type = "image/gif", .name = "beach.gif", .data = gif, .len = sizeof gif, .content_id = "img1" },
        { .content_type = "text/plain", .data = (const unsigned char *)"hi", .len = 2 },
    };
    struct store_mms_new in = { .peer = "+8613800000001", .subject = "Holiday", .source = "mm7",
                                .parts = parts, .nparts = 3 };
    long long n = 0;
    CU_ASSERT_EQUAL_FATAL(store_mms_add(s, uid, &in, &n), STORE_OK);
    struct store_mms_part *pv = NULL;
    size_t np = 0;
    CU_ASSERT_EQUAL_FATAL(store_mms_parts(s, uid, n, &pv, &np), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(np, 3);
    CU_ASSERT_STRING_EQUAL(pv[0].content_id, "smil");
    CU_ASSERT_STRING_EQUAL(pv[0].content_type, "application/smil");
    CU_ASSERT_STRING_EQUAL(pv[1].content_id, "img1");
    CU_ASSERT_STRING_EQUAL(pv[2].content_id, "");
    store_mms_parts_free(pv, np);
    /* a Content-ID is one line like a name */
    parts[2].content_id = "a\nb";
    CU_ASSERT_EQUAL(store_mms_add(s, uid, &in, &n), STORE_INVALID);
}

/* vaultmms answers a phone at the number it was bound with, whatever form
 * the MMSC writes it in */
static void test_phone_owner_bound_form(void)
{
    CU_ASSERT_EQUAL_FATAL(store_phone_bind(s, "+8613800000077", uid), STORE_OK);
    struct store_phone_owner o;
    CU_ASSERT_EQUAL(store_phone_owner(s, "8613800000077", &o), STORE_OK);
    CU_ASSERT_STRING_EQUAL(o.user_id, uid);
    CU_ASSERT_STRING_EQUAL(o.msisdn, "+8613800000077");
    CU_ASSERT_EQUAL(store_phone_owner(s, "008613800000077", &o), STORE_OK);
    CU_ASSERT_STRING_EQUAL(o.msisdn, "+8613800000077");
    CU_ASSERT_EQUAL(store_phone_owner(s, "8613800000078", &o), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_phone_owner(s, "alice@example.com", &o), STORE_NOT_FOUND);
}

static const char *D1 = "1111111111111111111111111111111111111111111111111111111111111111";
static const char *D2 = "2222222222222222222222222222222222222222222222222222222222222222";

static void test_seen_claim_and_retry(void)
{
    struct store_mm7_seen prev = { 0 };
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(store_mm7_seen_claim(s, "main", "tx-1", D1, &prev), STORE_OK);
    CU_ASSERT_EQUAL(store_mm7_seen_finish(s, "main", "tx-1", 1000, uid, 7, "lnk-1"), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_tx_commit(s), STORE_OK);

    /* the retry: the first answer, same content */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(store_mm7_seen_claim(s, "main", "tx-1", D1, &prev), STORE_CONFLICT);
    CU_ASSERT_EQUAL(prev.status, 1000);
    CU_ASSERT_EQUAL(prev.mms_n, 7);
    CU_ASSERT_TRUE(prev.same_content);
    /* the same TransactionID with other content (an MMSC that reuses ids) */
    CU_ASSERT_EQUAL(store_mm7_seen_claim(s, "main", "tx-1", D2, &prev), STORE_CONFLICT);
    CU_ASSERT_FALSE(prev.same_content);
    /* the key is (MMSC, TransactionID): another MMSC's tx-1 is new */
    CU_ASSERT_EQUAL(store_mm7_seen_claim(s, "other", "tx-1", D1, &prev), STORE_OK);
    store_tx_rollback(s);

    /* a claim rolled back (the MMS could not be stored) leaves nothing */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(store_mm7_seen_claim(s, "main", "tx-2", D1, &prev), STORE_OK);
    store_tx_rollback(s);
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(store_mm7_seen_claim(s, "main", "tx-2", D1, &prev), STORE_OK);
    /* not stored (an unbound phone): no user, no MMS */
    CU_ASSERT_EQUAL(store_mm7_seen_finish(s, "main", "tx-2", 1000, NULL, 0, NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_mm7_seen_finish(s, "main", "tx-none", 1000, NULL, 0, NULL), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL_FATAL(store_tx_commit(s), STORE_OK);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM mm7_seen WHERE mmsc = 'main'"), 2);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM mm7_seen WHERE transaction_id = 'tx-2'"
                                  " AND user_id IS NULL AND mms_n IS NULL AND status = 1000"), 1);

    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(store_mm7_seen_claim(s, "main", "tx-2", D1, &prev), STORE_CONFLICT);
    CU_ASSERT_EQUAL(prev.mms_n, 0);
    /* ids are one line, at most 256 bytes */
    CU_ASSERT_EQUAL(store_mm7_seen_claim(s, "main", "", D1, &prev), STORE_INVALID);
    CU_ASSERT_EQUAL(store_mm7_seen_claim(s, "main", "a\r\nb", D1, &prev), STORE_INVALID);
    store_tx_rollback(s);
}

struct claimer {
    struct store *s;
    enum store_result rc;
    struct store_mm7_seen prev;
};

static void *claim_thread(void *arg)
{
    struct claimer *c = arg;
    if (store_tx_begin(c->s) != STORE_OK) {
        c->rc = STORE_ERR;
        return NULL;
    }
    c->rc = store_mm7_seen_claim(c->s, "main", "tx-race", D1, &c->prev);
    store_tx_rollback(c->s);
    return NULL;
}

/* Two copies of one DeliverReq at once (an MMSC that timed out and sent it
 * again while the first was being stored): the second waits for the first
 * and then sees its answer — never both stored. */
static void test_seen_duplicate_in_flight_waits(void)
{
    struct store_mm7_seen prev;
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_mm7_seen_claim(s, "main", "tx-race", D1, &prev), STORE_OK);

    struct claimer c = { testdb_open(), STORE_ERR, { 0 } };
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, claim_thread, &c), 0);
    /* wait (with a deadline) until the second claim is blocked on our row */
    time_t deadline = time(NULL) + 30;
    while (testdb_scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                         " AND query LIKE 'INSERT INTO mm7_seen%'") < 1 && time(NULL) < deadline) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    CU_ASSERT_EQUAL(store_mm7_seen_finish(s, "main", "tx-race", 1000, uid, 42, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_tx_commit(s), STORE_OK);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(c.rc, STORE_CONFLICT);
    CU_ASSERT_EQUAL(c.prev.status, 1000);
    CU_ASSERT_EQUAL(c.prev.mms_n, 42);
    store_free(c.s);
}

static long long outbox_row(const char *text)
{
    return testdb_outbox_row(s, uid, "+8613800000001", text);
}

static int state_of(long long id)
{
    return testdb_outbox_state(s, id);
}

static void test_submissions_and_reports(void)
{
    long long a = outbox_row("mms a"), b = outbox_row("mms b"), c = outbox_row("mms c");
    CU_ASSERT_EQUAL(store_mm7_submitted(s, a, "main", "msg-a"), STORE_OK);
    CU_ASSERT_EQUAL(state_of(a), OUTBOX_SUBMITTED);
    CU_ASSERT_EQUAL(store_mm7_submitted(s, b, "main", "msg-b"), STORE_OK);
    CU_ASSERT_EQUAL(store_mm7_submitted(s, c, "main", "msg-c"), STORE_OK);
    /* no such row; a MessageID the MMSC gave another row already */
    CU_ASSERT_EQUAL(store_mm7_submitted(s, 999999, "main", "msg-x"), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mm7_submitted(s, b, "main", "msg-a"), STORE_CONFLICT);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM mm7_submissions"), 3);

    long long got = 0;
    bool moved = false;
    /* Retrieved: delivered; a repeated report changes nothing (and says
     * so: the metrics count it apart); a later failure does not downgrade it */
    CU_ASSERT_EQUAL(store_mm7_report(s, "main", "msg-a", STORE_MM7_DELIVERED, "Retrieved", &got, &moved), STORE_OK);
    CU_ASSERT_EQUAL(got, a);
    CU_ASSERT_TRUE(moved);
    CU_ASSERT_EQUAL(state_of(a), OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(store_mm7_report(s, "main", "msg-a", STORE_MM7_DELIVERED, "Retrieved", NULL, &moved), STORE_OK);
    CU_ASSERT_FALSE(moved);
    moved = true;
    CU_ASSERT_EQUAL(store_mm7_report(s, "main", "msg-a", STORE_MM7_FAILED, "Expired", NULL, &moved), STORE_OK);
    CU_ASSERT_FALSE(moved);
    CU_ASSERT_EQUAL(state_of(a), OUTBOX_DELIVERED);
    /* Rejected: failed, with the reason kept */
    CU_ASSERT_EQUAL(store_mm7_report(s, "main", "msg-b", STORE_MM7_FAILED, "Rejected", NULL, &moved), STORE_OK);
    CU_ASSERT_TRUE(moved);
    CU_ASSERT_EQUAL(state_of(b), OUTBOX_FAILED);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM outbox WHERE reason = 'MM7 Rejected'"), 1);
    /* Deferred: recorded, row still submitted */
    CU_ASSERT_EQUAL(store_mm7_report(s, "main", "msg-c", STORE_MM7_PENDING, "Deferred", NULL, &moved), STORE_OK);
    CU_ASSERT_FALSE(moved);
    CU_ASSERT_EQUAL(state_of(c), OUTBOX_SUBMITTED);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM mm7_submissions WHERE mm_status = 'Deferred'"
                                  " AND reported_at IS NOT NULL"), 1);
    /* a report for a MessageID of another MMSC, or unknown */
    CU_ASSERT_EQUAL(store_mm7_report(s, "other", "msg-c", STORE_MM7_DELIVERED, "Retrieved", NULL, NULL),
                    STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mm7_report(s, "main", "nope", STORE_MM7_DELIVERED, "Retrieved", NULL, NULL),
                    STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(state_of(c), OUTBOX_SUBMITTED);
    /* submitted again after a retry: the new MessageID is the one reported */
    CU_ASSERT_EQUAL(store_mm7_submitted(s, c, "main", "msg-c2"), STORE_OK);
    CU_ASSERT_EQUAL(store_mm7_report(s, "main", "msg-c", STORE_MM7_DELIVERED, "Retrieved", NULL, NULL),
                    STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mm7_report(s, "main", "msg-c2", STORE_MM7_DELIVERED, "Retrieved", NULL, NULL), STORE_OK);
    CU_ASSERT_EQUAL(state_of(c), OUTBOX_DELIVERED);
}

static const struct test_entry tests[] = {
    { "open", test_open },
    { "a part's Content-ID is kept", test_content_id_kept },
    { "a phone found in the form it was bound with", test_phone_owner_bound_form },
    { "DeliverReq claim, answer and retry", test_seen_claim_and_retry },
    { "a duplicate in flight waits for the first", test_seen_duplicate_in_flight_waits },
    { "SubmitReq records and delivery reports", test_submissions_and_reports },
    { "close", test_close },
};

int main(void)
{
    return suite_main("mm7", tests, sizeof tests / sizeof tests[0]);
}
