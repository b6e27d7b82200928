/*
 * store_retrieval_test — CUnit suite for the direct path's deliveries
 * (store/retrieval.c, migration 007) against a real PostgreSQL (NEEDS_DB):
 * a token is unguessable and only its hash is kept; it fetches its MMS
 * once; an unknown, used or expired token is refused alike; the handset's
 * answers (Retrieved after a fetch, Rejected, Deferred) move the delivery
 * and its outbox row, never twice; another delivery's id, another user's
 * MMS and a deleted MMS find nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_test_main.h"

static struct store *s;
static char uid[STORE_ID_LEN], other[STORE_ID_LEN];
static long long mms1;

static void test_open(void)
{
    s = testdb_open();
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "retr1", "password1", "en", uid), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "retr2", "password1", "en", other), STORE_OK);
    struct store_mms_part_new parts[] = {
        { .content_type = "image/jpeg", .name = "a.jpg", .data = (const unsigned char *)"\xff\xd8\x00\x01", .len = 4,
          .content_id = "a.jpg" },
        { .content_type = "text/plain; charset=utf-8", .name = "a.txt", .data = (const unsigned char *)"hi", .len = 2,
          .content_id = "a.txt" },
    };
    struct store_mms_new in = { .peer = "+8613800000001", .subject = "s", .source = "mm7",
                                .parts = parts, .nparts = 2 };
    CU_ASSERT_EQUAL_FATAL(store_mms_add(s, uid, &in, &mms1), STORE_OK);
}

static void test_close(void)
{
    store_free(s);
    s = NULL;
}

static long long outbox_row(void)
{
    return testdb_outbox_row(s, uid, "+8613800000001", "M1");
}

static int state_of(long long id)
{
    return testdb_outbox_state(s, id);
}

static long long create(long long outbox_id, char token[STORE_RETRIEVAL_TOKEN_LEN])
{
    long long id = 0;
    CU_ASSERT_EQUAL(store_mms_retrieval_create(s, uid, mms1, "+8613800000001", outbox_id, 600, token, &id),
                    STORE_OK);
    CU_ASSERT(id > 0);
    return id;
}

static void test_token_shape_and_hash(void)
{
    char a[STORE_RETRIEVAL_TOKEN_LEN], b[STORE_RETRIEVAL_TOKEN_LEN];
    create(0, a);
    create(0, b);
    CU_ASSERT_EQUAL(strlen(a), STORE_RETRIEVAL_TOKEN_LEN - 1);
    CU_ASSERT_EQUAL(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), strlen(a));
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    /* the table holds a 32-byte hash, never the token's text */
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM mms_retrievals WHERE length(token_hash) = 32"), 2);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM mms_retrievals WHERE position(convert_to('%s', 'UTF8')"
                                   " IN token_hash) > 0 OR msisdn = '%s'", a, a), 0);
    /* every bit of the hash comes from the 16 random bytes: the same
     * token's hash can be recomputed from its bytes, and only that */
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM mms_retrievals WHERE token_hash ="
                                   " sha256(decode(translate('%s', '-_', '+/') || '==', 'base64'))", a), 1);
}

static void test_fetch_once(void)
{
    char t[STORE_RETRIEVAL_TOKEN_LEN];
    long long id = create(0, t);
    struct store_mms_retrieval r = { 0 };
    CU_ASSERT_EQUAL_FATAL(store_mms_retrieval_fetch(s, t, &r), STORE_OK);
    CU_ASSERT_EQUAL(r.id, id);
    CU_ASSERT_STRING_EQUAL(r.user_id, uid);
    CU_ASSERT_EQUAL(r.mms_n, mms1);
    CU_ASSERT_STRING_EQUAL(r.msisdn, "+8613800000001");
    CU_ASSERT_EQUAL(r.outbox_id, 0);
    CU_ASSERT(r.expires_at > time(NULL) + 500 && r.expires_at <= time(NULL) + 601);
    /* used: refused like a token never made */
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, t, &r), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, "AAAAAAAAAAAAAAAAAAAAAA", &r), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, "short", &r), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, "!!!!!!!!!!!!!!!!!!!!!!", &r), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, NULL, &r), STORE_NOT_FOUND);
    /* a fetch rolled back with the reading of the MMS leaves the token unused */
    long long id2 = create(0, t);
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, t, &r), STORE_OK);
    store_tx_rollback(s);
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, t, &r), STORE_OK);
    CU_ASSERT_EQUAL(r.id, id2);
}

static void test_expiry(void)
{
    char t[STORE_RETRIEVAL_TOKEN_LEN];
    create(0, t);
    store_test_clock_offset(s, 601);
    struct store_mms_retrieval r;
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, t, &r), STORE_NOT_FOUND);
    /* the next delivery of this user deletes the expired ones */
    long long before = testdb_scalarf("SELECT count(*) FROM mms_retrievals WHERE user_id = '%s'", uid);
    char t2[STORE_RETRIEVAL_TOKEN_LEN];
    create(0, t2);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM mms_retrievals WHERE user_id = '%s'", uid), 1);
    CU_ASSERT(before > 1);
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, t2, &r), STORE_OK);
    store_test_clock_offset(s, 0);
}

static void test_answers_move_the_outbox_row(void)
{
    char t[STORE_RETRIEVAL_TOKEN_LEN];
    long long ob = outbox_row(), got = -1;
    long long id = create(ob, t);
    struct store_mms_retrieval r;
    /* Retrieved before any fetch: nothing to confirm */
    CU_ASSERT_EQUAL(store_mms_retrieval_answer(s, t, id, STORE_MMS_RETRIEVED, &got), STORE_NOT_FOUND);
    /* Deferred: it will come later; nothing changes */
    CU_ASSERT_EQUAL(store_mms_retrieval_answer(s, t, id, STORE_MMS_DEFERRED, &got), STORE_OK);
    CU_ASSERT_EQUAL(got, ob);
    CU_ASSERT_EQUAL(state_of(ob), OUTBOX_QUEUED);
    CU_ASSERT_EQUAL_FATAL(store_mms_retrieval_fetch(s, t, &r), STORE_OK);
    CU_ASSERT_EQUAL(r.outbox_id, ob);
    /* another delivery's id on this token */
    CU_ASSERT_EQUAL(store_mms_retrieval_answer(s, t, id + 1000, STORE_MMS_RETRIEVED, NULL), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mms_retrieval_answer(s, t, id, STORE_MMS_RETRIEVED, &got), STORE_OK);
    CU_ASSERT_EQUAL(got, ob);
    CU_ASSERT_EQUAL(state_of(ob), OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT state FROM mms_retrievals WHERE id = %lld", id), 2);
    /* used: a second answer finds nothing, and cannot downgrade it */
    CU_ASSERT_EQUAL(store_mms_retrieval_answer(s, t, id, STORE_MMS_RETRIEVED, NULL), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mms_retrieval_answer(s, t, id, STORE_MMS_REJECTED, NULL), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(state_of(ob), OUTBOX_DELIVERED);

    /* Rejected without a fetch: the row failed, with a reason; the token is used */
    long long ob2 = outbox_row();
    long long id2 = create(ob2, t);
    CU_ASSERT_EQUAL(store_mms_retrieval_answer(s, t, id2, STORE_MMS_REJECTED, &got), STORE_OK);
    CU_ASSERT_EQUAL(got, ob2);
    CU_ASSERT_EQUAL(state_of(ob2), OUTBOX_FAILED);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND reason = 'rejected by the handset'",
                                   ob2), 1);
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, t, &r), STORE_NOT_FOUND);

    /* a delivery without an outbox row: answered, nothing else to move */
    long long id3 = create(0, t);
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, t, &r), STORE_OK);
    CU_ASSERT_EQUAL(store_mms_retrieval_answer(s, t, id3, STORE_MMS_RETRIEVED, &got), STORE_OK);
    CU_ASSERT_EQUAL(got, 0);

    /* expired after the fetch: the late answer is refused */
    long long ob4 = outbox_row();
    long long id4 = create(ob4, t);
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, t, &r), STORE_OK);
    store_test_clock_offset(s, 601);
    CU_ASSERT_EQUAL(store_mms_retrieval_answer(s, t, id4, STORE_MMS_RETRIEVED, NULL), STORE_NOT_FOUND);
    store_test_clock_offset(s, 0);
    CU_ASSERT_EQUAL(state_of(ob4), OUTBOX_QUEUED);
}

static void test_what_is_not_there(void)
{
    char t[STORE_RETRIEVAL_TOKEN_LEN];
    long long id = 0;
    /* another user's MMS number, an MMS that does not exist */
    CU_ASSERT_EQUAL(store_mms_retrieval_create(s, other, mms1, "+8613800000002", 0, 600, t, &id), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mms_retrieval_create(s, uid, mms1 + 99, "+8613800000001", 0, 600, t, &id),
                    STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mms_retrieval_create(s, "not-a-uuid", mms1, "+8613800000001", 0, 600, t, &id),
                    STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mms_retrieval_create(s, uid, mms1, "+8613800000001", 0, 0, t, &id), STORE_INVALID);
    CU_ASSERT_EQUAL(store_mms_retrieval_create(s, uid, mms1, "+8613800000001", 0, LIMIT_RETRIEVAL_TTL_MAX + 1, t,
                                               &id), STORE_INVALID);
    CU_ASSERT_EQUAL(store_mms_retrieval_create(s, uid, mms1, "", 0, 600, t, &id), STORE_INVALID);
    /* the MMS deleted before the handset fetches it: its deliveries go too */
    id = create(0, t);
    long long deleted = 0, freed = 0;
    CU_ASSERT_EQUAL_FATAL(store_items_delete(s, uid, STORE_MMS, &mms1, 1, &deleted, &freed), STORE_OK);
    CU_ASSERT_EQUAL(deleted, 1);
    struct store_mms_retrieval r;
    CU_ASSERT_EQUAL(store_mms_retrieval_fetch(s, t, &r), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_mms_retrieval_answer(s, t, id, STORE_MMS_REJECTED, NULL), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM mms_retrievals"), 0);
}

static const struct test_entry tests[] = {
    { "open", test_open },
    { "a token is random and only its hash is kept", test_token_shape_and_hash },
    { "a token fetches once; unknown and used alike", test_fetch_once },
    { "an expired token fetches nothing and is cleaned up", test_expiry },
    { "the handset's answers move the outbox row once", test_answers_move_the_outbox_row },
    { "another user's, a missing or a deleted MMS", test_what_is_not_there },
    { "close", test_close },
};

int main(void)
{
    return suite_main("retrieval", tests, sizeof tests / sizeof tests[0]);
}
