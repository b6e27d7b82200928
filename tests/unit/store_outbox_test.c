/*
 * store_outbox_test — CUnit suite for the MT outbox (enqueue, claim with SKIP
 * LOCKED by two connections, states, retry, requeue, LISTEN/NOTIFY), the
 * sender instances sharing it (each requeues only its own rows; a gone one's
 * rows are requeued, a live one's never; a delivery report applied by another
 * instance), delivery requests and the rows they are rendered into (binary
 * MT byte for byte), replies handed over in memory (SENDING at once, only
 * what committed, queued behind a row of their phone still waiting), web
 * sessions with expiry, and binding a phone by texted code (NEEDS_DB).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_test_main.h"

/* One sender instance per store connection, as vaultbox runs it: a fresh id
 * whose lease is held on that connection. */
struct sender {
    struct store *s;
    char id[STORE_ID_LEN];
};

static struct sender sender_open(void)
{
    struct sender x = { testdb_open(), "" };
    store_outbox_instance_new(x.id);
    CU_ASSERT_EQUAL_FATAL(store_outbox_hold(x.s, x.id), STORE_OK);
    return x;
}

/* The instance the suite's plain claims use (held on its own connection). */
static struct sender main_sender;

static const char *me(void)
{
    if (main_sender.s == NULL)
        main_sender = sender_open();
    return main_sender.id;
}

static long long enqueue(struct store *s, const char *uid, const char *msisdn, const char *text)
{
    struct store_outbox_new in = { .user_id = uid, .msisdn = msisdn, .text = text, .text_len = strlen(text) };
    long long id = 0;
    CU_ASSERT_EQUAL(store_outbox_enqueue(s, &in, &id), STORE_OK);
    return id;
}

static void drain(struct store *s)
{
    struct store_outbox_row *rows;
    size_t n;
    do {
        CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 100, &rows, &n, NULL), STORE_OK);
        for (size_t i = 0; i < n; i++)
            CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, rows[i].id, NULL, NULL), STORE_OK);
        store_outbox_rows_free(rows, n);
    } while (n > 0);
}

static void test_outbox_states(void)
{
    struct store *s = testdb_open();
    drain(s);
    const char *text = "回复: 已保存 #1 ✓ '; DROP TABLE outbox; --";
    long long a = enqueue(s, NULL, "+8613900000001", text);
    long long b = enqueue(s, NULL, "+8613900000002", "second");
    CU_ASSERT(b > a);
    struct store_outbox_new bad = { .user_id = NULL, .msisdn = "", .text = "x", .text_len = 1 };
    long long id;
    CU_ASSERT_EQUAL(store_outbox_enqueue(s, &bad, &id), STORE_INVALID);
    bad = (struct store_outbox_new){ .msisdn = "+1", .text = "\xc3", .text_len = 1 };
    CU_ASSERT_EQUAL(store_outbox_enqueue(s, &bad, &id), STORE_INVALID);
    enum store_outbox_state st;
    CU_ASSERT_EQUAL(store_outbox_state(s, a, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_QUEUED);
    struct store_outbox_row *rows;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 1, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(rows[0].id, a);   /* oldest first */
    CU_ASSERT_STRING_EQUAL(rows[0].msisdn, "+8613900000001");
    CU_ASSERT_EQUAL(rows[0].text_len, strlen(text));
    CU_ASSERT(memcmp(rows[0].text, text, strlen(text)) == 0);
    CU_ASSERT_EQUAL(rows[0].attempts, 0);
    store_outbox_rows_free(rows, n);
    CU_ASSERT_EQUAL(store_outbox_state(s, a, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_SENDING);
    /* temporary failure: back to queued later, attempts + 1 */
    CU_ASSERT_EQUAL(store_outbox_retry(s, a, 3600), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 10, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(rows[0].id, b);   /* a waits for its retry time */
    store_outbox_rows_free(rows, n);
    CU_ASSERT_EQUAL(store_outbox_retry(s, a, 0), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 10, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(rows[0].id, a);
    CU_ASSERT_EQUAL(rows[0].attempts, 2);
    store_outbox_rows_free(rows, n);
    /* submitted, delivered; final states stay final */
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, a, "kannel-uuid-1", NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_state(s, a, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_SUBMITTED);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, a, NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, a, NULL), STORE_OK);   /* repeated report */
    CU_ASSERT_EQUAL(store_outbox_mark_failed(s, a, "late", NULL), STORE_OK);   /* no downgrade */
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, a, "x", NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_state(s, a, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(store_outbox_mark_failed(s, b, "rejected by SMSC", NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, b, NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_state(s, b, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_FAILED);
    /* b's ack after its report: moves it once (counted as submitted), final state kept */
    struct store_outbox_moved mv = { false, STORE_MT_CODE };
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, b, "kannel-uuid-b", &mv), STORE_OK);
    CU_ASSERT(mv.moved);
    CU_ASSERT_EQUAL(mv.purpose, STORE_MT_REPLY);
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, b, "kannel-uuid-b", &mv), STORE_OK);
    CU_ASSERT(!mv.moved);
    CU_ASSERT_EQUAL(store_outbox_state(s, b, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_FAILED);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND reason = 'rejected by SMSC'"
                                   " AND kannel_uuid = 'kannel-uuid-b'", b), 1);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, 999999, NULL), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_outbox_state(s, 999999, &st), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_outbox_retry(s, 999999, 1), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 0, &rows, &n, NULL), STORE_INVALID);
    /* rows left SENDING by a dead vaultbox go back */
    long long c = enqueue(s, NULL, "+1", "c");
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 10, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL(n, 1);
    store_outbox_rows_free(rows, n);
    long long requeued = -1;
    CU_ASSERT_EQUAL(store_outbox_requeue_sending(s, me(), &requeued), STORE_OK);
    CU_ASSERT_EQUAL(requeued, 1);
    CU_ASSERT_EQUAL(store_outbox_state(s, c, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_QUEUED);
    drain(s);
    store_free(s);
}

#define CLAIM_ROWS 600

struct claimer {
    long long *got;
    size_t ngot;
};

static void *claim_run(void *arg)
{
    struct claimer *c = arg;
    struct store *s = testdb_open();
    c->got = calloc(CLAIM_ROWS, sizeof *c->got);
    for (;;) {
        struct store_outbox_row *rows;
        size_t n;
        if (store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 7, &rows, &n, NULL) != STORE_OK)
            break;
        for (size_t i = 0; i < n && c->ngot < CLAIM_ROWS; i++)
            c->got[c->ngot++] = rows[i].id;
        store_outbox_rows_free(rows, n);
        if (n == 0)
            break;
    }
    store_free(s);
    return NULL;
}

static void test_claim_two_connections(void)
{
    struct store *s = testdb_open();
    drain(s);
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    long long first = 0;
    for (int i = 0; i < CLAIM_ROWS; i++) {
        long long id = enqueue(s, NULL, "+100", "load");
        if (i == 0)
            first = id;
    }
    CU_ASSERT_EQUAL_FATAL(store_tx_commit(s), STORE_OK);
    struct claimer c[2] = { { NULL, 0 }, { NULL, 0 } };
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, claim_run, &c[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CU_ASSERT_EQUAL(c[0].ngot + c[1].ngot, CLAIM_ROWS);
    char *seen = calloc(CLAIM_ROWS, 1);
    for (int i = 0; i < 2; i++) {
        for (size_t k = 0; k < c[i].ngot; k++) {
            long long idx = c[i].got[k] - first;
            CU_ASSERT_FATAL(idx >= 0 && idx < CLAIM_ROWS);
            CU_ASSERT_EQUAL(seen[idx], 0);   /* never handed out twice */
            seen[idx] = 1;
        }
        free(c[i].got);
    }
    printf("\n  claimed %zu + %zu rows\n", c[0].ngot, c[1].ngot);
    free(seen);
    store_free(s);
}

static void test_listen_notify(void)
{
    struct store *waiter = testdb_open(), *s = testdb_open();
    CU_ASSERT_EQUAL(store_outbox_wait(waiter, 10), STORE_ERR);   /* not listening */
    CU_ASSERT_EQUAL_FATAL(store_outbox_listen(waiter), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_wait(waiter, 50), STORE_NOT_FOUND);
    /* not before commit */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    enqueue(s, NULL, "+1", "wake up");
    CU_ASSERT_EQUAL(store_outbox_wait(waiter, 50), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_wait(waiter, 5000), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_wait(waiter, 50), STORE_NOT_FOUND);
    drain(s);
    store_free(waiter);
    store_free(s);
}

static void test_sessions(void)
{
    struct store *s = testdb_open();
    char id[STORE_ID_LEN], got[STORE_ID_LEN], tok[STORE_TOKEN_LEN], tok2[STORE_TOKEN_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "webuser", "password1", "en", id), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_session_create(s, id, 60, 300, tok), STORE_OK);
    CU_ASSERT_EQUAL(strlen(tok), 64);
    CU_ASSERT_EQUAL_FATAL(store_session_create(s, id, 60, 300, tok2), STORE_OK);
    CU_ASSERT(strcmp(tok, tok2) != 0);
    CU_ASSERT_EQUAL_FATAL(store_session_lookup(s, tok, got), STORE_OK);
    CU_ASSERT_STRING_EQUAL(got, id);
    /* only a hash is stored: the token itself appears nowhere */
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sessions WHERE encode(token_hash, 'hex') = '%s'", tok);
    CU_ASSERT_EQUAL(testdb_scalar(sql), 0);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM sessions WHERE length(token_hash) = 32"), 2);
    /* idle expiry: 50 s later it is still valid and the idle window moves on */
    store_test_clock_offset(s, 50);
    CU_ASSERT_EQUAL(store_session_lookup(s, tok, got), STORE_OK);
    store_test_clock_offset(s, 100);   /* 50 s after the last use: still inside 60 s */
    CU_ASSERT_EQUAL(store_session_lookup(s, tok, got), STORE_OK);
    CU_ASSERT_EQUAL(store_session_lookup(s, tok2, got), STORE_NOT_FOUND);   /* idle 100 s: gone */
    /* absolute expiry wins even when used all the time */
    for (int t = 150; t < 300; t += 50) {
        store_test_clock_offset(s, t);
        CU_ASSERT_EQUAL(store_session_lookup(s, tok, got), STORE_OK);
    }
    store_test_clock_offset(s, 301);
    CU_ASSERT_EQUAL(store_session_lookup(s, tok, got), STORE_NOT_FOUND);
    store_test_clock_offset(s, 0);
    /* delete (logout) */
    CU_ASSERT_EQUAL_FATAL(store_session_create(s, id, 60, 300, tok), STORE_OK);
    CU_ASSERT_EQUAL(store_session_delete(s, tok), STORE_OK);
    CU_ASSERT_EQUAL(store_session_lookup(s, tok, got), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_session_delete(s, tok), STORE_NOT_FOUND);
    /* junk */
    CU_ASSERT_EQUAL(store_session_lookup(s, "'; DROP TABLE sessions; --", got), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_session_lookup(s, "", got), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_session_create(s, id, 0, 300, tok), STORE_INVALID);
    CU_ASSERT_EQUAL(store_session_create(s, "00000000-0000-0000-0000-000000000000", 60, 300, tok),
                    STORE_NOT_FOUND);
    store_free(s);
}

/* The code texted through the outbox, read back as vaultbox would. */
static void claim_code(struct store *s, const char *msisdn, char code[STORE_CODE_LEN])
{
    struct store_outbox_row *rows;
    size_t n;
    code[0] = '\0';
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 10, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_STRING_EQUAL(rows[0].msisdn, msisdn);
    CU_ASSERT_EQUAL(sscanf(rows[0].text, "Your code %6s %%d", code), 1);
    CU_ASSERT_EQUAL(strlen(code), 6);
    CU_ASSERT(strstr(rows[0].text, "%d") != NULL);   /* the rest of the template is literal */
    store_outbox_rows_free(rows, n);
}

/* A code asked for with limits that never stop it (store_codes_test tests them). */
static enum store_result code_start(struct store *s, const char *user_id, const char *msisdn, const char *tpl,
                                    int ttl_s)
{
    const struct store_code_request rq = { user_id, msisdn, "192.0.2.1", tpl, ttl_s, { 1000, 1000, 1000, 1000 } };
    return store_phone_code_start(s, &rq, NULL, NULL);
}

static void test_phone_codes(void)
{
    struct store *s = testdb_open();
    drain(s);
    char id[STORE_ID_LEN], other[STORE_ID_LEN], got[STORE_ID_LEN], code[STORE_CODE_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "binder", "password1", "en", id), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "binder2", "password1", "en", other), STORE_OK);
    const char *tpl = "Your code %s %d";
    CU_ASSERT_EQUAL(code_start(s, id, "+100200", "no placeholder", 300), STORE_INVALID);
    CU_ASSERT_EQUAL_FATAL(code_start(s, id, "+100200", tpl, 300), STORE_OK);
    claim_code(s, "+100200", code);
    char wrong[16];
    snprintf(wrong, sizeof wrong, "%06u", (unsigned)(atoi(code) + 1) % 1000000u);
    CU_ASSERT_EQUAL(store_phone_code_confirm(s, id, "+100200", wrong, NULL), STORE_DENIED);
    CU_ASSERT_EQUAL(store_phone_code_confirm(s, other, "+100200", code, NULL), STORE_DENIED);   /* not theirs */
    CU_ASSERT_EQUAL(store_phone_lookup(s, "+100200", got), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_phone_code_confirm(s, id, "+100200", code, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_phone_lookup(s, "+100200", got), STORE_OK);
    CU_ASSERT_STRING_EQUAL(got, id);
    CU_ASSERT_EQUAL(store_phone_code_confirm(s, id, "+100200", code, NULL), STORE_DENIED);   /* used */
    /* expired */
    CU_ASSERT_EQUAL_FATAL(code_start(s, id, "+100201", tpl, 60), STORE_OK);
    claim_code(s, "+100201", code);
    store_test_clock_offset(s, 61);
    CU_ASSERT_EQUAL(store_phone_code_confirm(s, id, "+100201", code, NULL), STORE_DENIED);
    store_test_clock_offset(s, 0);
    /* more than 5 tries: even the right code is refused (the pair is locked) */
    CU_ASSERT_EQUAL_FATAL(code_start(s, id, "+100202", tpl, 300), STORE_OK);
    claim_code(s, "+100202", code);
    snprintf(wrong, sizeof wrong, "%06u", (unsigned)(atoi(code) + 1) % 1000000u);
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(store_phone_code_confirm(s, id, "+100202", wrong, NULL), STORE_DENIED);
    CU_ASSERT_EQUAL(store_phone_code_confirm(s, id, "+100202", code, NULL), STORE_THROTTLED);
    CU_ASSERT_EQUAL(store_phone_lookup(s, "+100202", got), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(code_start(s, "00000000-0000-0000-0000-000000000000", "+1", tpl, 60),
                    STORE_NOT_FOUND);
    /* asked for as typed on the page, confirmed written otherwise: one phone,
     * texted at the number as typed, found in the form bearerbox uses */
    CU_ASSERT_EQUAL_FATAL(code_start(s, id, "86 139 0000 0009", tpl, 300), STORE_OK);
    claim_code(s, "86 139 0000 0009", code);
    CU_ASSERT_EQUAL(store_phone_code_confirm(s, id, "8613900000009", code, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_phone_lookup(s, "+8613900000009", got), STORE_OK);
    CU_ASSERT_STRING_EQUAL(got, id);
    store_free(s);
}


/* Claim exactly want rows as x; their ids into ids[]. */
static void claim_n(struct sender *x, size_t want, long long *ids)
{
    struct store_outbox_row *rows;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(x->s, x->id, STORE_CHANNEL_SMS, (int)want, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(n, want);
    for (size_t i = 0; i < n; i++)
        ids[i] = rows[i].id;
    store_outbox_rows_free(rows, n);
}

static int state_of(struct store *s, long long id)
{
    return testdb_outbox_state(s, id);
}

/* Make row id's last change seconds older (as if it had waited that long). */
static void age(long long id, int seconds)
{
    CU_ASSERT_EQUAL(testdb_scalarf("WITH u AS (UPDATE outbox SET updated_at = updated_at - interval '%d seconds'"
                                   " WHERE id = %lld RETURNING 1) SELECT count(*) FROM u", seconds, id), 1);
}

/* Rows still claimed (SENDING) by instance id. */
static long long sending_of(const char *id)
{
    return testdb_scalarf("SELECT count(*) FROM outbox WHERE state = 1 AND claimed_by = '%s'", id);
}

/* Wait (deadline 10 s) until PostgreSQL has ended the session that held
 * instance id's lock: closing a connection ends its backend a moment later. */
static void wait_lock_gone(const char *id)
{
    for (int i = 0; i < 1000; i++) {
        if (testdb_scalarf("SELECT count(*) FROM pg_locks l JOIN outbox_instances i ON l.objid = i.lock_key::oid"
                      " WHERE i.id = '%s' AND l.locktype = 'advisory' AND l.classid = 1936291425::oid"
                      " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                      id) == 0)
            return;
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    CU_FAIL("the closed session's advisory lock did not go away");
}

static void test_instances_own_rows(void)
{
    struct sender a = sender_open(), b = sender_open();
    drain(a.s);
    CU_ASSERT(strcmp(a.id, b.id) != 0);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox_instances WHERE id IN ('%s')", a.id), 1);
    for (int i = 0; i < 6; i++)
        enqueue(a.s, NULL, "+8613700000001", "reply");
    long long ra[3], rb[3];
    claim_n(&a, 3, ra);
    claim_n(&b, 3, rb);
    CU_ASSERT_EQUAL(sending_of(a.id), 3);
    CU_ASSERT_EQUAL(sending_of(b.id), 3);
    /* a delivery report for a row a claimed reaches b (bearerbox routes
     * reports to any connection of the box id): keyed by outbox id, it
     * updates the row all the same */
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(b.s, ra[0], NULL), STORE_OK);
    CU_ASSERT_EQUAL(state_of(b.s, ra[0]), OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(store_outbox_mark_failed(b.s, ra[1], "delivery report mask=2", NULL), STORE_OK);
    CU_ASSERT_EQUAL(state_of(a.s, ra[1]), OUTBOX_FAILED);
    /* and a's late ack does not undo it */
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(a.s, ra[0], "kannel-uuid", NULL), STORE_OK);
    CU_ASSERT_EQUAL(state_of(a.s, ra[0]), OUTBOX_DELIVERED);
    /* a lost bearerbox and reconnects: only its own in-flight row goes back */
    long long n = -1;
    CU_ASSERT_EQUAL(store_outbox_requeue_sending(a.s, a.id, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(state_of(a.s, ra[2]), OUTBOX_QUEUED);
    CU_ASSERT_EQUAL(state_of(a.s, ra[0]), OUTBOX_DELIVERED);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(state_of(a.s, rb[i]), OUTBOX_SENDING);   /* b's rows untouched */
    CU_ASSERT_EQUAL(sending_of(b.id), 3);
    /* nor does a sweep for gone instances touch either (both alive) */
    store_test_clock_offset(a.s, 100000);
    CU_ASSERT_EQUAL(store_outbox_requeue_orphans(a.s, 30, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 0);
    store_test_clock_offset(a.s, 0);
    CU_ASSERT_EQUAL(sending_of(b.id), 3);
    /* b's reconnect requeues b's three, and the row a requeued is claimed again */
    CU_ASSERT_EQUAL(store_outbox_requeue_sending(b.s, b.id, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 3);
    long long again[4];
    claim_n(&a, 4, again);
    CU_ASSERT_EQUAL(again[0], rb[0] < ra[2] ? rb[0] : ra[2]);
    CU_ASSERT_EQUAL(sending_of(a.id), 4);
    /* claims need the lease: an id never held, or one released, claims nothing */
    char stranger[STORE_ID_LEN];
    store_outbox_instance_new(stranger);
    enqueue(a.s, NULL, "+8613700000001", "waiting");
    struct store_outbox_row *rows;
    size_t cnt;
    CU_ASSERT_EQUAL(store_outbox_claim(a.s, stranger, STORE_CHANNEL_SMS, 10, &rows, &cnt, NULL), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_outbox_claim(a.s, "not-a-uuid", STORE_CHANNEL_SMS, 10, &rows, &cnt, NULL), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_outbox_requeue_sending(a.s, "x'; --", &n), STORE_INVALID);
    CU_ASSERT_EQUAL(store_outbox_hold(a.s, ""), STORE_INVALID);
    CU_ASSERT_EQUAL(store_outbox_requeue_orphans(a.s, 0, &n), STORE_INVALID);
    CU_ASSERT_EQUAL(store_outbox_release(b.s, b.id), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_claim(b.s, b.id, STORE_CHANNEL_SMS, 10, &rows, &cnt, NULL), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox_instances WHERE id = '%s'", b.id), 0);
    /* holding again after a release registers anew */
    CU_ASSERT_EQUAL(store_outbox_hold(b.s, b.id), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(b.s, b.id, STORE_CHANNEL_SMS, 10, &rows, &cnt, NULL), STORE_OK);
    CU_ASSERT_EQUAL(cnt, 1);
    if (cnt == 1)
        CU_ASSERT_EQUAL(store_outbox_mark_submitted(b.s, rows[0].id, NULL, NULL), STORE_OK);
    store_outbox_rows_free(rows, cnt);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(store_outbox_mark_submitted(a.s, again[i], NULL, NULL), STORE_OK);
    CU_ASSERT_EQUAL(sending_of(a.id) + sending_of(b.id), 0);
    CU_ASSERT_EQUAL(store_outbox_release(a.s, a.id), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_release(b.s, b.id), STORE_OK);
    store_free(a.s);
    store_free(b.s);
}

static void test_instances_gone(void)
{
    struct sender dead = sender_open(), live = sender_open(), sweeper = sender_open();
    struct store *s = sweeper.s;
    drain(s);
    for (int i = 0; i < 5; i++)
        enqueue(s, NULL, "+8613700000002", "in flight");
    long long rd[3], rl[2];
    claim_n(&dead, 3, rd);
    claim_n(&live, 2, rl);
    /* the process dies: its database session ends, the lock goes with it */
    store_free(dead.s);
    wait_lock_gone(dead.id);
    long long n = -1;
    /* within the grace it is not yet taken for gone (a live instance whose
     * connection broke takes its lock again in that time) */
    CU_ASSERT_EQUAL(store_outbox_requeue_orphans(s, 30, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(sending_of(dead.id), 3);
    /* past the grace it is gone: its rows go back to queued, it is forgotten;
     * the live instance — silent for just as long, but holding its lock —
     * keeps its rows */
    store_test_clock_offset(s, 31);
    CU_ASSERT_EQUAL(store_outbox_requeue_orphans(s, 30, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 3);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(state_of(s, rd[i]), OUTBOX_QUEUED);
    for (int i = 0; i < 2; i++)
        CU_ASSERT_EQUAL(state_of(s, rl[i]), OUTBOX_SENDING);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox_instances WHERE id = '%s'", dead.id), 0);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox_instances WHERE id = '%s'", live.id), 1);
    /* a live instance is never taken, however long ago it renewed */
    store_test_clock_offset(s, 30 * 86400);
    CU_ASSERT_EQUAL(store_outbox_requeue_orphans(s, 30, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(sending_of(live.id), 2);
    store_test_clock_offset(s, 0);
    /* the dead instance's rows are sent by someone else, once */
    long long got[3];
    claim_n(&sweeper, 3, got);
    CU_ASSERT_EQUAL(got[0], rd[0]);

    /* a live instance's connection breaks: inside the grace its rows wait;
     * it holds its lease again on a new connection and is alive again */
    struct store *old = live.s;
    live.s = testdb_open();
    store_free(old);
    wait_lock_gone(live.id);
    CU_ASSERT_EQUAL(store_outbox_requeue_orphans(s, 30, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(store_outbox_hold(live.s, live.id), STORE_OK);
    store_test_clock_offset(s, 3600);
    CU_ASSERT_EQUAL(store_outbox_requeue_orphans(s, 30, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 0);
    store_test_clock_offset(s, 0);
    CU_ASSERT_EQUAL(sending_of(live.id), 2);
    /* while a session holds the lock, another one cannot take it */
    struct store *twin = testdb_open();
    CU_ASSERT_EQUAL(store_outbox_hold(twin, live.id), STORE_CONFLICT);
    CU_ASSERT_EQUAL(store_outbox_hold(live.s, live.id), STORE_OK);   /* renewing is idempotent */
    store_free(twin);

    /* a clean stop (release) leaves its rows to the next sweep at once */
    struct sender stopped = sender_open();
    enqueue(s, NULL, "+8613700000002", "left behind");
    long long rs[1];
    claim_n(&stopped, 1, rs);
    CU_ASSERT_EQUAL(store_outbox_release(stopped.s, stopped.id), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_requeue_orphans(s, 30, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(state_of(s, rs[0]), OUTBOX_QUEUED);
    store_free(stopped.s);
    /* rows claimed before instances were recorded (claimed_by NULL) count as orphans */
    char sql[200];
    snprintf(sql, sizeof sql,
             "WITH u AS (UPDATE outbox SET state = 1, claimed_by = NULL WHERE id = %lld RETURNING 1)"
             " SELECT count(*) FROM u", rs[0]);
    CU_ASSERT_EQUAL(testdb_scalar(sql), 1);
    CU_ASSERT_EQUAL(store_outbox_requeue_orphans(s, 30, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(state_of(s, rs[0]), OUTBOX_QUEUED);
    drain(s);
    store_free(live.s);
    store_free(s);
}

/* Many marks in one statement follow the single marks' rules: submitted
 * from queued or sending, a final state from anything not final, never a
 * final state changed; a row that is gone is left alone. */
static void test_mark_many(void)
{
    struct store *s = testdb_open();
    drain(s);
    long long id[5];
    for (int i = 0; i < 5; i++)
        id[i] = enqueue(s, NULL, "+8613900000009", "many");
    struct store_outbox_row *rows;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 5, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL(n, 5);
    store_outbox_rows_free(rows, n);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, id[3], NULL), STORE_OK);   /* final before the batch */
    struct store_outbox_mark m[] = {
        { .id = id[4], .state = OUTBOX_SUBMITTED, .kannel_uuid = "uuid-4", .reason = NULL },
        { .id = id[0], .state = OUTBOX_SUBMITTED, .kannel_uuid = "uuid-0", .reason = NULL },
        { .id = id[1], .state = OUTBOX_DELIVERED, .kannel_uuid = "uuid-1", .reason = NULL },   /* an ack and a report folded */
        { .id = id[2], .state = OUTBOX_FAILED, .kannel_uuid = NULL, .reason = "delivery report mask=2" },
        { .id = id[3], .state = OUTBOX_FAILED, .kannel_uuid = NULL, .reason = "late" },         /* no downgrade of a final state */
        { .id = 999999999, .state = OUTBOX_DELIVERED, .kannel_uuid = NULL, .reason = NULL },    /* no such row */
    };
    CU_ASSERT_EQUAL(store_outbox_mark_many(s, m, 6), STORE_OK);
    CU_ASSERT_EQUAL(state_of(s, id[0]), OUTBOX_SUBMITTED);
    CU_ASSERT_EQUAL(state_of(s, id[1]), OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(state_of(s, id[2]), OUTBOX_FAILED);
    CU_ASSERT_EQUAL(state_of(s, id[3]), OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(state_of(s, id[4]), OUTBOX_SUBMITTED);
    /* each mark says whether it moved its row (for counting each MT once) */
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(m[i].done.moved, i < 4);
    CU_ASSERT_EQUAL(m[0].done.purpose, STORE_MT_REPLY);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND kannel_uuid = 'uuid-1'", id[1]), 1);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND reason LIKE 'delivery%%'", id[2]), 1);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND reason IS NULL", id[3]), 1);
    /* a report after the submitted mark, then a submitted mark after the report */
    struct store_outbox_mark later[] = { { .id = id[0], .state = OUTBOX_DELIVERED, .kannel_uuid = NULL, .reason = NULL },
                                         { .id = id[4], .state = OUTBOX_FAILED, .kannel_uuid = NULL, .reason = "x" } };
    CU_ASSERT_EQUAL(store_outbox_mark_many(s, later, 2), STORE_OK);
    struct store_outbox_mark again[] = { { .id = id[0], .state = OUTBOX_SUBMITTED, .kannel_uuid = "other", .reason = NULL } };
    CU_ASSERT_EQUAL(store_outbox_mark_many(s, again, 1), STORE_OK);
    CU_ASSERT_FALSE(again[0].done.moved);
    CU_ASSERT_EQUAL(state_of(s, id[0]), OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND kannel_uuid = 'uuid-0'", id[0]), 1);
    CU_ASSERT_EQUAL(state_of(s, id[4]), OUTBOX_FAILED);
    /* the ack of a row whose report came first (id[3]: delivered before
     * any ack) moves it once, keeping it delivered, with its uuid, so the
     * MT counts as submitted; a second ack does not */
    struct store_outbox_mark late_ack[] = { { .id = id[3], .state = OUTBOX_SUBMITTED, .kannel_uuid = "uuid-3", .reason = NULL } };
    CU_ASSERT_EQUAL(store_outbox_mark_many(s, late_ack, 1), STORE_OK);
    CU_ASSERT_TRUE(late_ack[0].done.moved);
    CU_ASSERT_EQUAL(state_of(s, id[3]), OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND kannel_uuid = 'uuid-3'", id[3]), 1);
    late_ack[0].kannel_uuid = "uuid-3b";
    CU_ASSERT_EQUAL(store_outbox_mark_many(s, late_ack, 1), STORE_OK);
    CU_ASSERT_FALSE(late_ack[0].done.moved);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND kannel_uuid = 'uuid-3'", id[3]), 1);
    /* refused before anything runs */
    struct store_outbox_mark bad[] = { { .id = id[0], .state = OUTBOX_QUEUED, .kannel_uuid = NULL, .reason = NULL } };
    CU_ASSERT_EQUAL(store_outbox_mark_many(s, bad, 1), STORE_INVALID);
    struct store_outbox_mark bad_uuid[] = { { .id = id[0], .state = OUTBOX_SUBMITTED, .kannel_uuid = "a\nb", .reason = NULL } };
    CU_ASSERT_EQUAL(store_outbox_mark_many(s, bad_uuid, 1), STORE_INVALID);
    CU_ASSERT_EQUAL(store_outbox_mark_many(s, NULL, 0), STORE_OK);
    /* a one-time code leaves the queue emptied, as with the single marks
     * (the acker marks through this one); an ordinary row keeps its text */
    struct store_outbox_new code = { .msisdn = "+8613900000009", .text = "code 123456", .text_len = 11,
                                     .secret = true };
    long long sec[3];
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL_FATAL(store_outbox_enqueue(s, &code, &sec[i]), STORE_OK);
    long long plain = enqueue(s, NULL, "+8613900000009", "plain");
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 5, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL(n, 4);
    store_outbox_rows_free(rows, n);
    struct store_outbox_mark ends[] = { { .id = sec[0], .state = OUTBOX_SUBMITTED, .kannel_uuid = "u-s0", .reason = NULL },
                                        { .id = sec[1], .state = OUTBOX_DELIVERED, .kannel_uuid = NULL, .reason = NULL },
                                        { .id = sec[2], .state = OUTBOX_FAILED, .kannel_uuid = NULL, .reason = "refused" },
                                        { .id = plain, .state = OUTBOX_SUBMITTED, .kannel_uuid = "u-p", .reason = NULL } };
    CU_ASSERT_EQUAL(store_outbox_mark_many(s, ends, 4), STORE_OK);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_TRUE(ends[i].done.moved);
        CU_ASSERT_EQUAL(ends[i].done.purpose, i < 3 ? STORE_MT_CODE : STORE_MT_REPLY);
    }
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(testdb_scalarf("SELECT length(text) FROM outbox WHERE id = %lld", sec[i]), 0);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT length(text) FROM outbox WHERE id = %lld", plain), 5);
    store_free(s);
}

/* Sent without a report asked for (migration 014): final at the ack, not
 * waiting for a report, so not in the gauge of submitted rows, and no late
 * report or second ack moves it; in one statement or alone, a secret's
 * text emptied as with the other marks. */
static void test_mark_sent(void)
{
    struct store *s = testdb_open();
    drain(s);
    struct store_gauges g0, g1;
    CU_ASSERT_EQUAL_FATAL(store_gauges_get(s, &g0), STORE_OK);
    struct store_outbox_new code = { .msisdn = "+8613900000006", .text = "code 654321", .text_len = 11,
                                     .secret = true };
    long long id[3];
    id[0] = enqueue(s, NULL, "+8613900000006", "sent one");
    id[1] = enqueue(s, NULL, "+8613900000006", "sent two");
    CU_ASSERT_EQUAL_FATAL(store_outbox_enqueue(s, &code, &id[2]), STORE_OK);
    struct store_outbox_row *rows;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 5, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL(n, 3);
    store_outbox_rows_free(rows, n);
    struct store_outbox_moved m = { false, STORE_MT_CODE };
    CU_ASSERT_EQUAL(store_outbox_mark_sent(s, id[0], "u-sent-0", &m), STORE_OK);
    CU_ASSERT(m.moved);
    CU_ASSERT_EQUAL(m.purpose, STORE_MT_REPLY);
    struct store_outbox_mark many[] = { { .id = id[1], .state = OUTBOX_SENT, .kannel_uuid = "u-sent-1", .reason = NULL },
                                        { .id = id[2], .state = OUTBOX_SENT, .kannel_uuid = NULL, .reason = NULL } };
    CU_ASSERT_EQUAL(store_outbox_mark_many(s, many, 2), STORE_OK);
    CU_ASSERT(many[0].done.moved && many[1].done.moved);
    CU_ASSERT_EQUAL(many[1].done.purpose, STORE_MT_CODE);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(state_of(s, id[i]), OUTBOX_SENT);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND kannel_uuid = 'u-sent-1'", id[1]), 1);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT length(text) FROM outbox WHERE id = %lld", id[2]), 0);
    CU_ASSERT_EQUAL_FATAL(store_gauges_get(s, &g1), STORE_OK);
    CU_ASSERT_EQUAL(g1.outbox_submitted, g0.outbox_submitted);   /* nothing waits for a report */
    CU_ASSERT_EQUAL(g1.outbox_sending, g0.outbox_sending);
    struct store_stats st;
    CU_ASSERT_EQUAL_FATAL(store_stats_get(s, &st), STORE_OK);
    CU_ASSERT_EQUAL(st.outbox_sent, testdb_scalar("SELECT count(*) FROM outbox WHERE state = 6"));
    CU_ASSERT(st.outbox_sent >= 3);
    /* final for acks; a report that comes after all still says how it ended */
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, id[0], NULL, &m), STORE_OK);
    CU_ASSERT(!m.moved);
    CU_ASSERT_EQUAL(state_of(s, id[0]), OUTBOX_SENT);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, id[0], &m), STORE_OK);
    CU_ASSERT(m.moved);
    struct store_outbox_mark late[] = { { .id = id[1], .state = OUTBOX_FAILED, .kannel_uuid = NULL, .reason = "x" } };
    CU_ASSERT_EQUAL(store_outbox_mark_many(s, late, 1), STORE_OK);
    CU_ASSERT(late[0].done.moved);
    CU_ASSERT_EQUAL(state_of(s, id[0]), OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(state_of(s, id[1]), OUTBOX_FAILED);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, id[1], &m), STORE_OK);   /* failed stays failed */
    CU_ASSERT(!m.moved);
    CU_ASSERT_EQUAL(store_outbox_mark_sent(s, id[0], "u-again", &m), STORE_OK);
    CU_ASSERT(!m.moved);
    CU_ASSERT_EQUAL(state_of(s, id[0]), OUTBOX_DELIVERED);
    /* and a submitted row does not become sent */
    long long sub = enqueue(s, NULL, "+8613900000006", "submitted");
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 5, &rows, &n, NULL), STORE_OK);
    store_outbox_rows_free(rows, n);
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, sub, NULL, &m), STORE_OK);
    struct store_outbox_mark twice[] = { { .id = sub, .state = OUTBOX_SENT, .kannel_uuid = NULL, .reason = NULL } };
    CU_ASSERT_EQUAL(store_outbox_mark_many(s, twice, 1), STORE_OK);
    CU_ASSERT(!twice[0].done.moved);
    CU_ASSERT_EQUAL(state_of(s, sub), OUTBOX_SUBMITTED);
    store_free(s);
}

/* Accepted rows whose report never came become sent after the wait, the
 * oldest first, a batch at a time, on their own channel only; a report
 * that comes later still counts. */
static void test_settle_unreported(void)
{
    struct store *s = testdb_open();
    drain(s);
    struct store_gauges g0, g1;
    long long counts[STORE_MT_PURPOSES];
    /* what earlier tests left submitted is young: nothing to settle */
    CU_ASSERT_EQUAL_FATAL(store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, 3600, 1000, counts), STORE_OK);
    CU_ASSERT_EQUAL(counts[STORE_MT_REPLY] + counts[STORE_MT_CODE] + counts[STORE_MT_ITEM], 0);
    /* (and reported now: they would stand first in the sweep's window) */
    CU_ASSERT(testdb_scalar("WITH u AS (UPDATE outbox SET state = 3 WHERE state = 2 RETURNING 1)"
                            " SELECT count(*) FROM u") >= 0);
    CU_ASSERT_EQUAL_FATAL(store_gauges_get(s, &g0), STORE_OK);
    struct store_outbox_new code = { .msisdn = "+8613900000007", .text = "code 112233", .text_len = 11,
                                     .secret = true };
    long long a = enqueue(s, NULL, "+8613900000007", "old one");
    long long b = 0;
    CU_ASSERT_EQUAL_FATAL(store_outbox_enqueue(s, &code, &b), STORE_OK);
    long long c = enqueue(s, NULL, "+8613900000007", "young one");
    long long d = enqueue(s, NULL, "+8613900000007", "held one");
    long long e = enqueue(s, NULL, "+8613900000007", "not acked");
    struct store_outbox_row *rows;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 10, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL(n, 5);
    store_outbox_rows_free(rows, n);
    long long acked[] = { a, b, c, d };
    for (size_t i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, acked[i], NULL, NULL), STORE_OK);
    age(a, 7200);
    age(b, 7200);
    age(d, 7200);
    age(e, 7200);   /* sending, not submitted: the sweep of gone instances' rows is another */
    /* another channel's sweep leaves them */
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_MMS, 3600, 1000, counts), STORE_OK);
    CU_ASSERT_EQUAL(counts[STORE_MT_REPLY] + counts[STORE_MT_CODE], 0);
    CU_ASSERT_EQUAL(state_of(s, a), OUTBOX_SUBMITTED);
    /* a longer wait than they waited: nothing */
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, 10800, 1000, counts), STORE_OK);
    CU_ASSERT_EQUAL(counts[STORE_MT_REPLY] + counts[STORE_MT_CODE], 0);
    /* a row a report is moving meanwhile (locked by another session) is left for the next sweep */
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT 1 FROM outbox WHERE id = %lld FOR UPDATE", d);
    struct testdb_session *held = testdb_hold(sql);
    /* one at a time, oldest first */
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, 3600, 1, counts), STORE_OK);
    CU_ASSERT_EQUAL(counts[STORE_MT_REPLY], 1);
    CU_ASSERT_EQUAL(counts[STORE_MT_CODE], 0);
    CU_ASSERT_EQUAL(state_of(s, a), OUTBOX_SENT);
    CU_ASSERT_EQUAL(state_of(s, b), OUTBOX_SUBMITTED);
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, 3600, 1000, counts), STORE_OK);
    CU_ASSERT_EQUAL(counts[STORE_MT_REPLY], 0);
    CU_ASSERT_EQUAL(counts[STORE_MT_CODE], 1);
    CU_ASSERT_EQUAL(state_of(s, b), OUTBOX_SENT);
    CU_ASSERT_EQUAL(state_of(s, d), OUTBOX_SUBMITTED);
    testdb_release(held);
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, 3600, 1000, counts), STORE_OK);
    CU_ASSERT_EQUAL(counts[STORE_MT_REPLY], 1);
    CU_ASSERT_EQUAL(state_of(s, d), OUTBOX_SENT);
    CU_ASSERT_EQUAL(state_of(s, c), OUTBOX_SUBMITTED);   /* young: still waits for its report */
    CU_ASSERT_EQUAL(state_of(s, e), OUTBOX_SENDING);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT length(text) FROM outbox WHERE id = %lld", b), 0);
    /* the gauge counts what may still be reported */
    CU_ASSERT_EQUAL_FATAL(store_gauges_get(s, &g1), STORE_OK);
    CU_ASSERT_EQUAL(g1.outbox_submitted, g0.outbox_submitted + 1);
    /* a report after the wait still says how it ended, once */
    struct store_outbox_moved m = { false, STORE_MT_CODE };
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, a, &m), STORE_OK);
    CU_ASSERT(m.moved);
    CU_ASSERT_EQUAL(m.purpose, STORE_MT_REPLY);
    CU_ASSERT_EQUAL(state_of(s, a), OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, a, &m), STORE_OK);
    CU_ASSERT(!m.moved);
    /* the sweep reads the max oldest submitted rows only: behind c (young,
     * first in line) an old row waits for a window of two */
    long long g = enqueue(s, NULL, "+8613900000007", "behind a young one");
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 10, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL(n, 1);
    store_outbox_rows_free(rows, n);
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, g, NULL, NULL), STORE_OK);
    age(g, 7200);
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, 3600, 1, counts), STORE_OK);
    CU_ASSERT_EQUAL(counts[STORE_MT_REPLY], 0);
    CU_ASSERT_EQUAL(state_of(s, g), OUTBOX_SUBMITTED);
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, 3600, 2, counts), STORE_OK);
    CU_ASSERT_EQUAL(counts[STORE_MT_REPLY], 1);
    CU_ASSERT_EQUAL(state_of(s, g), OUTBOX_SENT);
    CU_ASSERT_EQUAL(state_of(s, c), OUTBOX_SUBMITTED);
    /* what it refuses */
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, "fax", 3600, 10, counts), STORE_INVALID);
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, 0, 10, counts), STORE_INVALID);
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, 3600, 0, counts), STORE_INVALID);
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, 3600, LIMIT_OUTBOX_MARKS_MAX + 1, counts),
                    STORE_INVALID);
    /* the row left sending goes to the orphan sweep, not here */
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, e, NULL, NULL), STORE_OK);
    store_free(s);
}

/* What each row is for is derived from the columns it has (a code's secret,
 * a request's children); a mark says whether it moved the row (so each MT
 * is counted once) and what the row was for; the gauges count what is on
 * its way. */
static void test_purposes_marks_gauges(void)
{
    struct store *s = testdb_open();
    struct store_gauges g0, g1;
    drain(s);
    char uid[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "gaugeuser", "password1", "en", uid), STORE_OK);
    struct store_sms_new sms = { .body = "hello", .body_len = 5, .source = "sms" };
    long long sn;
    CU_ASSERT_EQUAL_FATAL(store_sms_add(s, uid, &sms, &sn), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_gauges_get(s, &g0), STORE_OK);
    CU_ASSERT_EQUAL(g0.outbox_queued, 0);
    CU_ASSERT_EQUAL(g0.users, testdb_scalar("SELECT count(*) FROM users"));
    CU_ASSERT_EQUAL(g0.used_bytes, testdb_scalar("SELECT coalesce(sum(used_bytes), 0) FROM users"));
    CU_ASSERT_EQUAL(g0.allocated_bytes, testdb_scalar("SELECT coalesce(sum(allocated_bytes), 0) FROM users"));
    CU_ASSERT_EQUAL(g0.outbox_submitted, testdb_scalar("SELECT count(*) FROM outbox WHERE state = 2"));
    CU_ASSERT_EQUAL(g0.oldest_queued_age_s, 0);
    /* a reply, a code, and a request rendered into one text (its child) */
    long long ids[3], req;
    struct store_outbox_new reply = { .msisdn = "+8613900000007", .text = "reply", .text_len = 5 };
    struct store_outbox_new code = { .msisdn = "+8613900000007", .text = "code", .text_len = 4, .secret = true };
    CU_ASSERT_EQUAL(store_outbox_enqueue(s, &reply, &ids[0]), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_enqueue(s, &code, &ids[1]), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_outbox_request_item(s, uid, "+8613900000007", STORE_SMS, sn, &req), STORE_OK);
    CU_ASSERT_EQUAL(testdb_scalarf("UPDATE outbox SET created_at = now() - interval '30 seconds' WHERE id = %lld"
                                   " RETURNING 1", ids[0]), 1);
    CU_ASSERT_EQUAL_FATAL(store_gauges_get(s, &g1), STORE_OK);
    CU_ASSERT_EQUAL(g1.outbox_queued, 3);   /* the request is on its way too */
    CU_ASSERT(g1.oldest_queued_age_s >= 30);   /* the oldest queued row's age */
    CU_ASSERT(g1.oldest_queued_age_s < 3600);
    struct store_outbox_request *reqs;
    size_t nr;
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_outbox_take_requests(s, STORE_CHANNEL_SMS, 10, &reqs, &nr), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(nr, 1);
    store_outbox_requests_free(reqs, nr);
    struct store_outbox_mt text = { .kind = OUTBOX_TEXT, .text = "hello", .text_len = 5 };
    CU_ASSERT_EQUAL(store_outbox_expand(s, req, &text, 1, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_tx_commit(s), STORE_OK);
    ids[2] = testdb_scalarf("SELECT id FROM outbox WHERE parent_id = %lld", req);
    const enum store_mt_purpose purposes[] = { STORE_MT_REPLY, STORE_MT_CODE, STORE_MT_ITEM };
    struct store_outbox_row *rows;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 10, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(rows[i].id, ids[i]);
        CU_ASSERT_EQUAL(rows[i].purpose, purposes[i]);
    }
    store_outbox_rows_free(rows, n);
    CU_ASSERT_EQUAL_FATAL(store_gauges_get(s, &g1), STORE_OK);
    CU_ASSERT_EQUAL(g1.outbox_queued, 0);
    CU_ASSERT_EQUAL(g1.outbox_sending, g0.outbox_sending + 3);
    struct store_outbox_moved m = { true, STORE_MT_REPLY };
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, ids[2], "u-2", &m), STORE_OK);
    CU_ASSERT(m.moved);
    CU_ASSERT_EQUAL(m.purpose, STORE_MT_ITEM);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, ids[2], &m), STORE_OK);
    CU_ASSERT(m.moved);
    CU_ASSERT_EQUAL(m.purpose, STORE_MT_ITEM);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, ids[2], &m), STORE_OK);   /* the same report again */
    CU_ASSERT(!m.moved);
    /* a code is still a code once its text is emptied */
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, ids[1], NULL, &m), STORE_OK);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND text = ''", ids[1]), 1);
    CU_ASSERT_EQUAL(store_outbox_mark_failed(s, ids[1], "refused", &m), STORE_OK);
    CU_ASSERT(m.moved);
    CU_ASSERT_EQUAL(m.purpose, STORE_MT_CODE);
    CU_ASSERT_EQUAL(store_outbox_mark_failed(s, ids[2], "late", &m), STORE_OK);   /* no downgrade */
    CU_ASSERT(!m.moved);
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, ids[0], NULL, &m), STORE_OK);
    CU_ASSERT(m.moved);
    CU_ASSERT_EQUAL(m.purpose, STORE_MT_REPLY);
    CU_ASSERT_EQUAL_FATAL(store_gauges_get(s, &g1), STORE_OK);
    CU_ASSERT_EQUAL(g1.outbox_sending, g0.outbox_sending);
    CU_ASSERT_EQUAL(g1.outbox_submitted, g0.outbox_submitted + 1);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, 999999, &m), STORE_NOT_FOUND);
    store_free(s);
}

/* Delivery requests (issue 8): written only for an item that exists, never
 * claimed as such, taken under lock by one sender, rendered once into
 * children that are claimed at their request's place, binary rows byte
 * for byte, the request's state its children's. */
static void test_delivery_requests(void)
{
    struct store *s = testdb_open();
    drain(s);
    char uid[STORE_ID_LEN], other[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "requser", "password1", "en", uid), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "requser2", "password1", "en", other), STORE_OK);
    struct store_sms_new sms = { .body = "hello", .body_len = 5, .source = "sms" };
    long long n1, n2;
    CU_ASSERT_EQUAL_FATAL(store_sms_add(s, uid, &sms, &n1), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_sms_add(s, uid, &sms, &n2), STORE_OK);
    long long before = testdb_scalar("SELECT count(*) FROM outbox");
    long long id;
    /* no such item, another user's item: nothing written */
    CU_ASSERT_EQUAL(store_outbox_request_item(s, uid, "+8613900000001", STORE_SMS, 99, &id), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_outbox_request_item(s, other, "+8613900000001", STORE_SMS, n1, &id), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_outbox_request_item(s, uid, "+8613900000001", STORE_CONTACT, 1, &id), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_outbox_request_item(s, uid, "", STORE_SMS, n1, &id), STORE_INVALID);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM outbox"), before);
    long long ra = 0, rb = 0, rc = 0;
    CU_ASSERT_EQUAL_FATAL(store_outbox_request_item(s, uid, "+8613900000001", STORE_SMS, n1, &ra), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_outbox_request_item(s, uid, "+8613900000001", STORE_SMS, n2, &rb), STORE_OK);
    long long t = enqueue(s, uid, "+8613900000001", "Not found: 99");
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND text IS NULL AND kind = 1"
                            " AND channel = 'sms'", ra), 1);
    /* a request is not claimed: only the text goes, and the claim says requests wait */
    struct store_outbox_row *rows;
    size_t n;
    bool waiting = false;
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 10, &rows, &n, &waiting), STORE_OK);
    CU_ASSERT_TRUE(waiting);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(rows[0].id, t);
    store_outbox_rows_free(rows, n);
    CU_ASSERT_EQUAL(store_outbox_retry(s, t, 0), STORE_OK);   /* queued again, behind the requests */
    /* taken inside a transaction only; a second sender does not see locked ones */
    struct store_outbox_request *reqs;
    size_t nr;
    CU_ASSERT_EQUAL(store_outbox_take_requests(s, STORE_CHANNEL_SMS, 10, &reqs, &nr), STORE_INVALID);
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_outbox_take_requests(s, STORE_CHANNEL_SMS, 10, &reqs, &nr), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(nr, 2);
    CU_ASSERT_EQUAL(reqs[0].id, ra);
    CU_ASSERT_STRING_EQUAL(reqs[0].user_id, uid);
    CU_ASSERT_STRING_EQUAL(reqs[0].msisdn, "+8613900000001");
    CU_ASSERT_EQUAL(reqs[0].kind, STORE_SMS);
    CU_ASSERT_EQUAL(reqs[0].n, n1);
    store_outbox_requests_free(reqs, nr);
    struct store *s2 = testdb_open();
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s2), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_take_requests(s2, STORE_CHANNEL_SMS, 10, &reqs, &nr), STORE_OK);
    CU_ASSERT_EQUAL(nr, 0);
    store_outbox_requests_free(reqs, nr);
    CU_ASSERT_EQUAL(store_tx_commit(s2), STORE_OK);
    /* rendered: a text child for ra, two binary children for rb (NUL and 0xFF bytes) */
    struct store_outbox_mt text = { .kind = OUTBOX_TEXT, .text = "hello", .text_len = 5 };
    static const unsigned char udh[] = { 6, 5, 4, 0x23, 0xF4, 0, 0 };
    static const unsigned char data[] = { 'B', 0, 0xFF, '\n', 'E' };
    struct store_outbox_mt bin[2] = {
        { .kind = OUTBOX_BINARY, .udh = udh, .udh_len = sizeof udh, .data = data, .data_len = sizeof data,
          .coding = STORE_CODING_8BIT },
        { .kind = OUTBOX_BINARY, .data = data, .data_len = 1, .coding = STORE_CODING_8BIT },
    };
    CU_ASSERT_EQUAL(store_outbox_expand(s, ra, &text, 1, NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_expand(s, rb, bin, 2, NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_expand(s, ra, &text, 1, NULL), STORE_NOT_FOUND);   /* once */
    CU_ASSERT_EQUAL(store_outbox_expand(s, t, &text, 1, NULL), STORE_NOT_FOUND);    /* not a request */
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    store_free(s2);
    /* what the rules refuse writes nothing */
    struct store_outbox_mt bad[] = {
        { .kind = OUTBOX_TEXT, .text = "", .text_len = 0 },
        { .kind = OUTBOX_TEXT, .text = "\xC3", .text_len = 1 },
        { .kind = OUTBOX_BINARY, .udh = udh, .udh_len = 3, .data = data, .data_len = 1, .coding = STORE_CODING_8BIT },
        { .kind = OUTBOX_BINARY, .data = data, .data_len = 1, .coding = 2 },
        { .kind = OUTBOX_BINARY, .data = data, .data_len = 0, .coding = STORE_CODING_8BIT },
        { .kind = OUTBOX_REQUEST },
    };
    CU_ASSERT_EQUAL_FATAL(store_outbox_request_item(s, uid, "+8613900000002", STORE_SMS, n1, &rc), STORE_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(store_outbox_expand(s, rc, &bad[i], 1, NULL), STORE_INVALID);
    CU_ASSERT_EQUAL(store_outbox_expand(s, rc, NULL, 0, NULL), STORE_INVALID);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE parent_id = %lld", rc), 0);
    /* claimed in request order: ra's child, rb's children, then the text after them */
    enum store_outbox_state st;
    CU_ASSERT_EQUAL(store_outbox_state(s, rb, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_QUEUED);
    waiting = false;
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 10, &rows, &n, &waiting), STORE_OK);
    CU_ASSERT_TRUE(waiting);   /* rc, still queued */
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT_EQUAL(rows[0].kind, OUTBOX_TEXT);
    CU_ASSERT_STRING_EQUAL(rows[0].text, "hello");
    CU_ASSERT_EQUAL(rows[1].kind, OUTBOX_BINARY);
    CU_ASSERT_PTR_NULL(rows[1].text);
    CU_ASSERT_EQUAL_FATAL(rows[1].udh_len, sizeof udh);
    CU_ASSERT(memcmp(rows[1].udh, udh, sizeof udh) == 0);
    CU_ASSERT_EQUAL_FATAL(rows[1].data_len, sizeof data);
    CU_ASSERT(memcmp(rows[1].data, data, sizeof data) == 0);
    CU_ASSERT_EQUAL(rows[1].coding, STORE_CODING_8BIT);
    CU_ASSERT_STRING_EQUAL(rows[1].msisdn, "+8613900000001");
    CU_ASSERT_EQUAL(rows[2].udh_len, 0);
    CU_ASSERT_PTR_NULL(rows[2].udh);
    CU_ASSERT_EQUAL(rows[3].id, t);
    long long a_child = rows[0].id, b1 = rows[1].id, b2 = rows[2].id;
    store_outbox_rows_free(rows, n);
    /* the request's state is its children's: the least advanced, failed if one failed */
    CU_ASSERT_EQUAL(store_outbox_state(s, ra, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_SENDING);
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, a_child, "u1", NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_state(s, ra, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_SUBMITTED);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, a_child, NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_state(s, ra, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, b1, NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_state(s, rb, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_SENDING);   /* b2 is still in flight */
    /* b2 accepted, and no report came in time: sent, and so is rb (sent is
     * less than delivered) */
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, b2, "u2", NULL), STORE_OK);
    age(b2, 7200);
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, 3600, 1000, NULL), STORE_OK);
    CU_ASSERT_EQUAL(state_of(s, b2), OUTBOX_SENT);
    CU_ASSERT_EQUAL(store_outbox_state(s, rb, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_SENT);
    /* and then its report came after all */
    CU_ASSERT_EQUAL(store_outbox_mark_failed(s, b2, "refused", NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_state(s, rb, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_FAILED);
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, t, NULL, NULL), STORE_OK);
    /* deleted before it was sent: the request fails with its reason, the notice goes */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_outbox_take_requests(s, STORE_CHANNEL_SMS, 10, &reqs, &nr), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(nr, 1);
    CU_ASSERT_EQUAL(reqs[0].id, rc);
    store_outbox_requests_free(reqs, nr);
    struct store_outbox_mt notice = { .kind = OUTBOX_TEXT, .text = "1 was deleted", .text_len = 13 };
    CU_ASSERT_EQUAL(store_outbox_expand(s, rc, &notice, 1, "deleted"), STORE_OK);
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_state(s, rc, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_FAILED);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND reason = 'deleted'", rc), 1);
    waiting = true;
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 10, &rows, &n, &waiting), STORE_OK);
    CU_ASSERT_FALSE(waiting);   /* every request rendered */
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_STRING_EQUAL(rows[0].text, "1 was deleted");
    CU_ASSERT_STRING_EQUAL(rows[0].msisdn, "+8613900000002");
    store_outbox_rows_free(rows, n);
    /* channels: nothing of ours on the MMS channel; an unknown one refused */
    CU_ASSERT_EQUAL(store_outbox_claim(s, me(), STORE_CHANNEL_MMS, 10, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL(n, 0);
    store_outbox_rows_free(rows, n);
    CU_ASSERT_EQUAL(store_outbox_claim(s, me(), "fax", 10, &rows, &n, NULL), STORE_INVALID);
    CU_ASSERT_STRING_EQUAL(store_outbox_channel_for(STORE_MMS), STORE_CHANNEL_MMS);   /* vaultmms delivers MMS */
    CU_ASSERT_STRING_EQUAL(store_outbox_channel_for(STORE_SMS), STORE_CHANNEL_SMS);
    CU_ASSERT_STRING_EQUAL(store_outbox_channel_for(STORE_CONTACT), STORE_CHANNEL_SMS);
    /* the migration's rules hold in SQL too: a request with a text, a binary row without data */
    CU_ASSERT_EQUAL(testdb_scalar("WITH i AS (INSERT INTO outbox (msisdn, kind, text, item_kind, item_n)"
                                  " VALUES ('1', 1, 'x', 0, 1) RETURNING 1) SELECT count(*) FROM i"), -1);
    CU_ASSERT_EQUAL(testdb_scalar("WITH i AS (INSERT INTO outbox (msisdn, kind, coding)"
                                  " VALUES ('1', 2, 1) RETURNING 1) SELECT count(*) FROM i"), -1);
    drain(s);
    store_free(s);
}

/* vaultmms's requests: claimed as rows are (lease, requeue), retried,
 * handed to vaultbox as binary children, and what the web page shows */
static void test_mms_requests(void)
{
    struct store *s = testdb_open();
    drain(s);
    char uid[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "mmsreq", "password1", "en", uid), STORE_OK);
    static const unsigned char jpeg[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0x00 };
    struct store_mms_part_new part = { .content_type = "image/jpeg", .name = "a.jpg", .data = jpeg, .len = sizeof jpeg };
    struct store_mms_new m = { .subject = "s", .source = "mm7", .parts = &part, .nparts = 1 };
    long long n = 0, ra = 0, rb = 0;
    CU_ASSERT_EQUAL_FATAL(store_mms_add(s, uid, &m, &n), STORE_OK);
    struct store_outbox_delivery d = { 0 };
    CU_ASSERT_EQUAL(store_outbox_item_delivery(s, uid, STORE_MMS, n, &d), STORE_NOT_FOUND);   /* never asked */
    CU_ASSERT_EQUAL_FATAL(store_outbox_request_item(s, uid, "+8613900000007", STORE_MMS, n, &ra), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_outbox_request_item(s, uid, "+8613900000007", STORE_MMS, n, &rb), STORE_OK);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id = %lld AND channel = 'mms'", ra), 1);
    /* vaultbox's claim takes none of them and is not told of requests to render */
    struct store_outbox_row *rows;
    size_t nrows;
    bool waiting = true;
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 10, &rows, &nrows, &waiting), STORE_OK);
    CU_ASSERT_EQUAL(nrows, 0);
    CU_ASSERT_FALSE(waiting);
    store_outbox_rows_free(rows, nrows);
    /* no lease, no claim */
    struct store_outbox_request *rq = NULL;
    size_t nr = 0;
    char nobody[STORE_ID_LEN];
    store_outbox_instance_new(nobody);
    CU_ASSERT_EQUAL(store_outbox_claim_requests(s, nobody, STORE_CHANNEL_MMS, 10, &rq, &nr), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_outbox_claim_requests(s, me(), "fax", 10, &rq, &nr), STORE_INVALID);
    /* a second vaultmms claims; both requests, oldest first, once */
    struct sender mms = sender_open();
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim_requests(s, mms.id, STORE_CHANNEL_MMS, 10, &rq, &nr), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(nr, 2);
    CU_ASSERT_EQUAL(rq[0].id, ra);
    CU_ASSERT_EQUAL(rq[1].id, rb);
    CU_ASSERT_STRING_EQUAL(rq[0].user_id, uid);
    CU_ASSERT_EQUAL(rq[0].kind, STORE_MMS);
    CU_ASSERT_EQUAL(rq[0].n, n);
    CU_ASSERT_EQUAL(rq[0].attempts, 0);
    CU_ASSERT_STRING_EQUAL(rq[0].msisdn, "+8613900000007");
    store_outbox_requests_free(rq, nr);
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim_requests(s, me(), STORE_CHANNEL_MMS, 10, &rq, &nr), STORE_OK);
    CU_ASSERT_EQUAL(nr, 0);
    store_outbox_requests_free(rq, nr);
    /* a delivery report for a MessageID not recorded yet, while submissions
     * are in flight: the MMSC is asked again (it may be theirs) */
    CU_ASSERT_EQUAL(store_mm7_report(s, "sim", "mmsc-early-1", STORE_MM7_DELIVERED, "Retrieved", NULL, NULL), STORE_RETRY);
    CU_ASSERT_EQUAL_FATAL(store_outbox_item_delivery(s, uid, STORE_MMS, n, &d), STORE_OK);
    CU_ASSERT_EQUAL(d.id, rb);   /* the newest */
    CU_ASSERT_EQUAL(d.state, OUTBOX_SENDING);
    CU_ASSERT_STRING_EQUAL(store_outbox_state_name(d.state), "sending");
    store_outbox_delivery_cleanup(&d);
    /* that vaultmms dies (its lock goes with its session): the sweep requeues both */
    store_free(mms.s);
    long long requeued = 0, swept = 0;
    CU_ASSERT_EQUAL(store_outbox_requeue_orphans(s, 1, &requeued), STORE_OK);
    store_test_clock_offset(s, 5);
    /* the server ends the closed session's backend (and its lock) a moment
     * after the client has gone: sweep until it has, for 20 s at most */
    for (int i = 0; i < 200 && swept < 2; i++) {
        if (i > 0)
            usleep(100 * 1000);
        CU_ASSERT_EQUAL(store_outbox_requeue_orphans(s, 1, &requeued), STORE_OK);
        swept += requeued;
    }
    store_test_clock_offset(s, 0);
    CU_ASSERT(swept >= 2);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE id IN (%lld, %lld) AND state = 0", ra, rb), 2);
    drain(s);   /* the sweep requeued earlier tests' SMS rows too */
    /* an MMSC that is down: a retry waits, counting the attempt */
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim_requests(s, me(), STORE_CHANNEL_MMS, 1, &rq, &nr), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(nr, 1);
    CU_ASSERT_EQUAL(rq[0].id, ra);
    store_outbox_requests_free(rq, nr);
    CU_ASSERT_EQUAL(store_outbox_retry(s, ra, 3600), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, ra, NULL, NULL), STORE_OK);   /* queued again: may be settled */
    /* the direct path: rb handed to vaultbox as binary children, submitted */
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim_requests(s, me(), STORE_CHANNEL_MMS, 10, &rq, &nr), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(nr, 1);
    CU_ASSERT_EQUAL(rq[0].id, rb);
    store_outbox_requests_free(rq, nr);
    static const unsigned char udh[] = { 6, 5, 4, 0x0B, 0x84, 0x23, 0xF0 }, push[] = { 1, 6, 0x22 };
    struct store_outbox_mt mt = { .kind = OUTBOX_BINARY, .udh = udh, .udh_len = sizeof udh, .data = push,
                                  .data_len = sizeof push, .coding = STORE_CODING_8BIT };
    struct store_outbox_mt bad = mt;
    bad.udh_len = 3;   /* a UDH starts with its own length */
    CU_ASSERT_EQUAL(store_outbox_handoff(s, rb, STORE_CHANNEL_SMS, &bad, 1), STORE_INVALID);
    CU_ASSERT_EQUAL(store_outbox_handoff(s, rb, STORE_CHANNEL_SMS, &mt, 1), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_handoff(s, rb, STORE_CHANNEL_SMS, &mt, 1), STORE_NOT_FOUND);   /* not claimed now */
    enum store_outbox_state st;
    CU_ASSERT_EQUAL(store_outbox_state(s, rb, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_SUBMITTED);
    /* the phone did not fetch it within [mms] report_wait: sent (vaultmms's
     * sweep; vaultbox's, of the sms channel, leaves it) */
    age(rb, 7200);
    long long counts[STORE_MT_PURPOSES];
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, 3600, 1000, counts), STORE_OK);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT state FROM outbox WHERE id = %lld", rb), OUTBOX_SUBMITTED);
    CU_ASSERT_EQUAL(store_outbox_settle_unreported(s, STORE_CHANNEL_MMS, 3600, 1000, counts), STORE_OK);
    CU_ASSERT_EQUAL(counts[STORE_MT_ITEM], 1);
    CU_ASSERT_EQUAL(store_outbox_state(s, rb, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_SENT);
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, me(), STORE_CHANNEL_SMS, 10, &rows, &nrows, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(nrows, 1);
    CU_ASSERT_EQUAL(rows[0].kind, OUTBOX_BINARY);
    CU_ASSERT_EQUAL(rows[0].udh_len, sizeof udh);
    CU_ASSERT_EQUAL(memcmp(rows[0].data, push, sizeof push), 0);
    CU_ASSERT_STRING_EQUAL(rows[0].msisdn, "+8613900000007");
    long long child = rows[0].id;
    store_outbox_rows_free(rows, nrows);
    /* the push could not be sent: the delivery failed */
    CU_ASSERT_EQUAL(store_outbox_mark_failed(s, child, "refused", NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_state(s, rb, &st), STORE_OK);
    CU_ASSERT_EQUAL(st, OUTBOX_FAILED);
    CU_ASSERT_EQUAL_FATAL(store_outbox_item_delivery(s, uid, STORE_MMS, n, &d), STORE_OK);
    CU_ASSERT_EQUAL(d.state, OUTBOX_FAILED);
    store_outbox_delivery_cleanup(&d);
    /* nothing in flight: an unknown MessageID is unknown */
    CU_ASSERT_EQUAL(store_mm7_report(s, "sim", "mmsc-early-1", STORE_MM7_DELIVERED, "Retrieved", NULL, NULL),
                    STORE_NOT_FOUND);
    /* another user sees nothing of it */
    char other[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "mmsreq2", "password1", "en", other), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_item_delivery(s, other, STORE_MMS, n, &d), STORE_NOT_FOUND);
    drain(s);
    store_free(s);
}

/* One handed-over or claimed row's state. */
static enum store_outbox_state row_state(struct store *s, long long id)
{
    enum store_outbox_state st = OUTBOX_FAILED;
    CU_ASSERT_EQUAL(store_outbox_state(s, id, &st), STORE_OK);
    return st;
}

static void test_hand_over(void)
{
    struct store *s = testdb_open(), *web = testdb_open(), *waiter = testdb_open();
    const char *P = "+8613900000901", *Q = "+8613900000902";
    struct store_outbox_row *rows, *h;
    size_t n, nh;
    drain(s);
    CU_ASSERT_EQUAL_FATAL(store_outbox_listen(waiter), STORE_OK);
    store_outbox_hand_over(s, me());

    /* in a transaction: SENDING for the instance at once, no NOTIFY; a
     * rollback to a savepoint forgets what it undid */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    long long one = enqueue(s, NULL, P, "one");
    CU_ASSERT_EQUAL_FATAL(store_tx_savepoint(s), STORE_OK);
    long long undone = enqueue(s, NULL, P, "undone");
    store_tx_rollback_to(s);
    long long three = enqueue(s, NULL, Q, "three ✓");
    store_outbox_handed_take(s, &h, &nh);
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(nh, 2);
    CU_ASSERT_EQUAL(h[0].id, one);
    CU_ASSERT_EQUAL(h[0].place, one);
    CU_ASSERT_STRING_EQUAL(h[0].msisdn, P);
    CU_ASSERT_EQUAL(h[1].id, three);
    CU_ASSERT_EQUAL(h[1].kind, OUTBOX_TEXT);
    CU_ASSERT_EQUAL(h[1].text_len, strlen("three ✓"));
    CU_ASSERT(memcmp(h[1].text, "three ✓", h[1].text_len) == 0);
    CU_ASSERT_EQUAL(h[1].purpose, STORE_MT_REPLY);
    store_outbox_rows_free(h, nh);
    CU_ASSERT_EQUAL(row_state(s, one), OUTBOX_SENDING);
    CU_ASSERT_EQUAL(row_state(s, three), OUTBOX_SENDING);
    enum store_outbox_state st;
    CU_ASSERT_EQUAL(store_outbox_state(s, undone, &st), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_outbox_wait(waiter, 50), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(web, me(), STORE_CHANNEL_SMS, 10, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL(n, 0);   /* nothing to claim: the sender has them */
    store_outbox_rows_free(rows, n);

    /* a rolled-back transaction handed nothing: its row does not exist */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    long long gone = enqueue(s, NULL, P, "rolled back");
    store_tx_rollback(s);
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    store_outbox_handed_take(s, &h, &nh);
    CU_ASSERT_EQUAL(nh, 0);
    store_outbox_rows_free(h, nh);
    store_tx_rollback(s);
    CU_ASSERT_EQUAL(store_outbox_state(s, gone, &st), STORE_NOT_FOUND);

    /* a row to the same phone still queued: the reply queues behind it (the
     * phone's order), with its NOTIFY; another phone's is handed over */
    long long web_row = enqueue(web, NULL, P, "from the page");
    CU_ASSERT_EQUAL(store_outbox_wait(waiter, 5000), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    long long behind = enqueue(s, NULL, P, "behind it");
    long long other = enqueue(s, NULL, Q, "other phone");
    store_outbox_handed_take(s, &h, &nh);
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(nh, 1);
    CU_ASSERT_EQUAL(h[0].id, other);
    store_outbox_rows_free(h, nh);
    CU_ASSERT_EQUAL(row_state(s, behind), OUTBOX_QUEUED);
    CU_ASSERT_EQUAL(store_outbox_wait(waiter, 5000), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(web, me(), STORE_CHANNEL_SMS, 10, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(rows[0].id, web_row);
    CU_ASSERT_EQUAL(rows[0].place, web_row);
    CU_ASSERT_EQUAL(rows[1].id, behind);
    store_outbox_rows_free(rows, n);

    /* not in an explicit transaction, or turned off: queued as before */
    long long plain = enqueue(s, NULL, Q, "own transaction");
    CU_ASSERT_EQUAL(row_state(s, plain), OUTBOX_QUEUED);
    store_outbox_hand_over(s, NULL);
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    long long off = enqueue(s, NULL, "+8613900000903", "off");
    store_outbox_handed_take(s, &h, &nh);
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    CU_ASSERT_EQUAL(nh, 0);
    store_outbox_rows_free(h, nh);
    CU_ASSERT_EQUAL(row_state(s, off), OUTBOX_QUEUED);
    drain(s);

    /* a commit whose answer was lost: its handed rows requeued by id, once;
     * ids that never committed move nothing */
    store_outbox_hand_over(s, me());
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    long long unsure[2] = { enqueue(s, NULL, "+8613900000904", "unsure"), 0 };
    store_outbox_handed_take(s, &h, &nh);
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    CU_ASSERT_EQUAL(nh, 1);
    store_outbox_rows_free(h, nh);
    unsure[1] = unsure[0] + 100000;
    while (store_outbox_wait(waiter, 50) == STORE_OK)
        ;   /* what the rows above woke */
    long long moved = -1;
    CU_ASSERT_EQUAL(store_outbox_requeue_ids(s, me(), unsure, 2, &moved), STORE_OK);
    CU_ASSERT_EQUAL(moved, 1);
    CU_ASSERT_EQUAL(row_state(s, unsure[0]), OUTBOX_QUEUED);
    CU_ASSERT_EQUAL(store_outbox_wait(waiter, 5000), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_requeue_ids(s, me(), unsure, 2, &moved), STORE_OK);
    CU_ASSERT_EQUAL(moved, 0);
    CU_ASSERT_EQUAL(store_outbox_requeue_ids(s, "not-a-uuid", unsure, 2, &moved), STORE_INVALID);
    drain(s);

    /* a reconnect requeues handed-over rows like claimed ones (only ours) */
    CU_ASSERT_EQUAL(store_outbox_requeue_sending(s, me(), &moved), STORE_OK);
    CU_ASSERT(moved >= 3);   /* one, three, other (and what earlier tests left sending) */
    CU_ASSERT_EQUAL(row_state(s, one), OUTBOX_QUEUED);
    CU_ASSERT_EQUAL(row_state(s, three), OUTBOX_QUEUED);
    CU_ASSERT_EQUAL(row_state(s, other), OUTBOX_QUEUED);
    drain(s);
    store_free(waiter);
    store_free(web);
    store_free(s);
}

static void test_cleanup(void)
{
    CU_ASSERT_EQUAL(store_outbox_release(main_sender.s, main_sender.id), STORE_OK);
    store_free(main_sender.s);
    main_sender.s = NULL;
}

static const struct test_entry tests[] = {
    { "outbox states, retry, requeue", test_outbox_states },
    { "claim by two connections never hands a row twice", test_claim_two_connections },
    { "LISTEN/NOTIFY after commit", test_listen_notify },
    { "sessions: hash only, idle and absolute expiry, delete", test_sessions },
    { "phone binding by texted code", test_phone_codes },
    { "instances: each requeues only its own rows; reports from any instance", test_instances_own_rows },
    { "instances: a gone one's rows requeued, a live one's never", test_instances_gone },
    { "many marks in one statement, the single marks' rules", test_mark_many },
    { "sent without a report asked: final at the ack, not counted as waiting", test_mark_sent },
    { "accepted rows whose report never came: sent after the wait, a late report still counts",
      test_settle_unreported },
    { "purposes derived, marks that say whether they moved a row, gauges", test_purposes_marks_gauges },
    { "delivery requests: rendered once, children in order, binary rows, derived state", test_delivery_requests },
    { "MMS requests: claimed with a lease, requeued, retried, handed off, the item's delivery", test_mms_requests },
    { "replies handed over: SENDING at once, only what committed, behind a queued row of the phone", test_hand_over },
    { "release the suite's instance", test_cleanup },
};

int main(void)
{
    return suite_main("outbox", tests, sizeof tests / sizeof tests[0]);
}
