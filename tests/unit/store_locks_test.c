/*
 * store_locks_test — CUnit suite: the two transactions vaultbox runs side by
 * side never deadlock (NEEDS_DB). The acker's batch applies an MT ack and a
 * delivery report to one outbox row in one transaction (mark_submitted,
 * then mark_delivered); the second update of a row the transaction already
 * updated makes PostgreSQL check the row's foreign key to users again, which
 * takes a KEY SHARE lock on the user's row. A worker's batch charges
 * uploads under the user's row lock and queues the replies. Before the fix
 * that lock was FOR UPDATE, which conflicts with KEY SHARE: an acker holding
 * user 1's row (share) and waiting for user 2's, and a worker holding user
 * 2's and waiting for user 1's, was PostgreSQL's deadlock 40P01 (vaultbox's
 * log showed them, retried). The space lock is FOR NO KEY UPDATE now, which
 * a foreign key check never waits for.
 *
 * The first test makes that interleaving happen every round (a barrier
 * between the two halves of each transaction); the second runs the two
 * paths freely, with several users in a shuffled order per batch. Both fail
 * on the first STORE_RETRY (what a deadlock is to the store).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_test_main.h"

#define USERS 4
#define ROUNDS 20        /* barrier rounds: before the fix, each one deadlocked */
#define FREE_BATCHES 150 /* free-running batches per thread */

static char users[USERS][STORE_ID_LEN];
static pthread_barrier_t halfway;

static void make_users(void)
{
    static bool made;
    if (made)
        return;
    struct store *s = testdb_open();
    for (int i = 0; i < USERS; i++) {
        char name[32];
        snprintf(name, sizeof name, "locks%d", i);
        CU_ASSERT_EQUAL_FATAL(store_user_create(s, name, "pass1234", "en", users[i]), STORE_OK);
    }
    store_free(s);
    made = true;
}

/* A reply for user u, claimed by instance (SENDING), as the acker finds it. */
static long long sending_row(struct store *s, const char *instance, int u)
{
    struct store_outbox_new in = { .user_id = users[u], .msisdn = "+8613900000001", .text = "Saved as 1.", .text_len = 11 };
    long long id = 0;
    CU_ASSERT_EQUAL_FATAL(store_outbox_enqueue(s, &in, &id), STORE_OK);
    struct store_outbox_row *rows = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, instance, STORE_CHANNEL_SMS, 10, &rows, &n, NULL), STORE_OK);
    store_outbox_rows_free(rows, n);
    return id;
}

/* The acker's part for one row: its MT ack and its delivery report. */
static enum store_result receipts(struct store *s, long long id)
{
    enum store_result r = store_outbox_mark_submitted(s, id, "00000000-0000-0000-0000-000000000001", NULL);
    return r != STORE_OK ? r : store_outbox_mark_delivered(s, id, NULL);
}

/* The worker's part for one user: a SAVE (space charged under the user's
 * row lock) and its reply queued in the same transaction. */
static enum store_result upload(struct store *s, int u)
{
    struct store_sms_new in = { .peer = "", .body = "SAVE under the row lock", .body_len = 23, .source = "sms" };
    long long n = 0, id = 0;
    enum store_result r = store_sms_add(s, users[u], &in, &n);
    if (r != STORE_OK)
        return r;
    struct store_outbox_new reply = { .user_id = users[u], .msisdn = "+8613900000001", .text = "Saved.", .text_len = 6 };
    return store_outbox_enqueue(s, &reply, &id);
}

struct side {
    struct store *s;
    char instance[STORE_ID_LEN];
    bool acker;            /* else the worker */
    long long rows[ROUNDS][2];
    int failures;          /* any result but STORE_OK: a deadlock is STORE_RETRY */
};

static void note(struct side *x, enum store_result r, const char *what)
{
    if (r != STORE_OK && x->failures++ == 0)
        fprintf(stderr, "store_locks_test: %s: %s\n", what, store_result_name(r));
}

/* Round k: acker takes user 0's row (share) then user 1's; the worker user
 * 1's then user 0's; the barrier makes both hold their first before either
 * asks for its second. */
static void *barrier_side(void *arg)
{
    struct side *x = arg;
    for (int k = 0; k < ROUNDS; k++) {
        note(x, store_tx_begin(x->s), "begin");
        note(x, x->acker ? receipts(x->s, x->rows[k][0]) : upload(x->s, 1), "first half");
        pthread_barrier_wait(&halfway);
        note(x, x->acker ? receipts(x->s, x->rows[k][1]) : upload(x->s, 0), "second half");
        if (x->failures == 0)
            note(x, store_tx_commit(x->s), "commit");
        else
            store_tx_rollback(x->s);
        pthread_barrier_wait(&halfway);
    }
    return NULL;
}

static void test_barrier_rounds(void)
{
    make_users();
    struct side a = { .s = testdb_open(), .acker = true }, w = { .s = testdb_open() };
    store_outbox_instance_new(a.instance);
    CU_ASSERT_EQUAL_FATAL(store_outbox_hold(a.s, a.instance), STORE_OK);
    for (int k = 0; k < ROUNDS; k++) {
        a.rows[k][0] = sending_row(a.s, a.instance, 0);
        a.rows[k][1] = sending_row(a.s, a.instance, 1);
    }
    pthread_t ta, tw;
    CU_ASSERT_EQUAL_FATAL(pthread_barrier_init(&halfway, NULL, 2), 0);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&ta, NULL, barrier_side, &a), 0);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&tw, NULL, barrier_side, &w), 0);
    pthread_join(ta, NULL);
    pthread_join(tw, NULL);
    pthread_barrier_destroy(&halfway);
    CU_ASSERT_EQUAL(a.failures, 0);
    CU_ASSERT_EQUAL(w.failures, 0);
    /* what the user notices: every reply delivered, every SAVE counted */
    for (int k = 0; k < ROUNDS; k++) {
        enum store_outbox_state st = OUTBOX_QUEUED;
        CU_ASSERT_EQUAL(store_outbox_state(a.s, a.rows[k][1], &st), STORE_OK);
        CU_ASSERT_EQUAL(st, OUTBOX_DELIVERED);
    }
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sms WHERE user_id IN ('%s', '%s')", users[0], users[1]);
    CU_ASSERT_EQUAL(testdb_scalar(sql), 2 * ROUNDS);
    store_outbox_release(a.s, a.instance);
    store_free(a.s);
    store_free(w.s);
}

/* Free running: each batch touches every user once, in an order of its own
 * (a small LCG per thread), like batches of MOs and receipts from many
 * phones. */
struct free_side {
    struct store *s;
    char instance[STORE_ID_LEN];
    bool acker;
    unsigned seed;
    int failures;
};

static void *free_side(void *arg)
{
    struct free_side *x = arg;
    struct side n = { .s = x->s };
    for (int b = 0; b < FREE_BATCHES && n.failures == 0; b++) {
        int order[USERS];
        for (int i = 0; i < USERS; i++)
            order[i] = i;
        for (int i = USERS - 1; i > 0; i--) {
            x->seed = x->seed * 1103515245u + 12345u;
            int j = (int)((x->seed >> 16) % (unsigned)(i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        long long ids[USERS];
        if (x->acker)
            for (int i = 0; i < USERS; i++)
                ids[i] = sending_row(x->s, x->instance, order[i]);
        note(&n, store_tx_begin(x->s), "begin");
        for (int i = 0; i < USERS && n.failures == 0; i++)
            note(&n, x->acker ? receipts(x->s, ids[i]) : upload(x->s, order[i]), "batch");
        if (n.failures == 0)
            note(&n, store_tx_commit(x->s), "commit");
        else
            store_tx_rollback(x->s);
    }
    x->failures = n.failures;
    return NULL;
}

static void test_free_running(void)
{
    make_users();
    struct free_side a = { .s = testdb_open(), .acker = true, .seed = 7 }, w = { .s = testdb_open(), .seed = 11 };
    store_outbox_instance_new(a.instance);
    CU_ASSERT_EQUAL_FATAL(store_outbox_hold(a.s, a.instance), STORE_OK);
    pthread_t ta, tw;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&ta, NULL, free_side, &a), 0);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&tw, NULL, free_side, &w), 0);
    pthread_join(ta, NULL);
    pthread_join(tw, NULL);
    CU_ASSERT_EQUAL(a.failures, 0);
    CU_ASSERT_EQUAL(w.failures, 0);
    /* the space accounting held through it */
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM users u WHERE used_bytes <>"
                                  " (SELECT coalesce(sum(size_bytes), 0) FROM sms WHERE user_id = u.id)"), 0);
    store_outbox_release(a.s, a.instance);
    store_free(a.s);
    store_free(w.s);
}

static const struct test_entry tests[] = {
    { "receipts and uploads of two users, opposite orders, every round: no deadlock", test_barrier_rounds },
    { "receipts and uploads of four users in shuffled orders: no deadlock", test_free_running },
};

int main(void)
{
    return suite_main("store_locks", tests, sizeof tests / sizeof tests[0]);
}
