/*
 * store_codes_test — CUnit suite for the limits of phone-linking codes
 * (issue 11, point 2: no SMS pumping) against a real PostgreSQL
 * (NEEDS_DB): codes per account, per number, per client address and in all
 * per hour; five wrong tries of an (account, number) pair across codes; a
 * code's text emptied in the outbox once it has left the queue; parallel
 * requests cannot both take the last code. Each test runs at its own hour
 * of the test clock (store_test_clock_offset), so the sends of one never
 * count for another. The binding itself is store_outbox_test's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_test_main.h"

#define TPL "code %s"
#define HOUR 3600

static const struct store_code_limits roomy = { 100, 100, 100, 100 };

static struct store *store_at(int hour)
{
    struct store *s = testdb_open();
    store_test_clock_offset(s, hour * 2 * HOUR);   /* two hours apart: the windows never meet */
    return s;
}

static void user(struct store *s, const char *name, char id[STORE_ID_LEN])
{
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, name, "password1", "en", id), STORE_OK);
}

static enum store_result start(struct store *s, const char *id, const char *msisdn, const char *client,
                               struct store_code_limits lim, enum store_code_limit *hit, int *wait)
{
    const struct store_code_request rq = { id, msisdn, client, TPL, 600, lim };
    return store_phone_code_start(s, &rq, hit, wait);
}

/* Codes texted to msisdn as written (outbox rows). */
static long long texted(const char *msisdn)
{
    return testdb_scalarf("SELECT count(*) FROM outbox WHERE msisdn = '%s'", msisdn);
}

/* The code in the newest outbox row to msisdn, as the phone would read it. */
static void newest_code(const char *msisdn, char code[STORE_CODE_LEN])
{
    long long c = testdb_scalarf("SELECT substring(text FROM '[0-9]{6}')::bigint FROM outbox WHERE msisdn = '%s'"
                      " ORDER BY id DESC LIMIT 1", msisdn);
    CU_ASSERT_FATAL(c >= 0);
    snprintf(code, STORE_CODE_LEN, "%06lld", c);
}

static void test_per_account(void)
{
    struct store *s = store_at(1);
    char a[STORE_ID_LEN];
    user(s, "acc-a", a);
    struct store_code_limits lim = roomy;
    lim.per_account = 2;
    enum store_code_limit hit = STORE_CODE_BUDGET;
    int wait = -1;
    CU_ASSERT_EQUAL(start(s, a, "+8613900001001", "192.0.2.1", lim, NULL, NULL), STORE_OK);
    CU_ASSERT_EQUAL(start(s, a, "+8613900001002", "192.0.2.2", lim, NULL, NULL), STORE_OK);
    CU_ASSERT_EQUAL(start(s, a, "+8613900001003", "192.0.2.3", lim, &hit, &wait), STORE_THROTTLED);
    CU_ASSERT_EQUAL(hit, STORE_CODE_PER_ACCOUNT);
    CU_ASSERT(wait > HOUR - 60 && wait <= HOUR);
    CU_ASSERT_EQUAL(texted("+8613900001003"), 0);   /* nothing was texted */
    /* an hour after the first, one code again */
    store_test_clock_offset(s, 1 * 2 * HOUR + HOUR + 1);
    CU_ASSERT_EQUAL(start(s, a, "+8613900001003", "192.0.2.3", lim, NULL, NULL), STORE_OK);
    CU_ASSERT_EQUAL(texted("+8613900001003"), 1);
    store_free(s);
}

/* One limit set to 2: two codes pass, a third of the same kind is refused
 * with that limit and texts nothing, and the fourth ask — the same account,
 * another number or address — passes. */
struct ask {
    int who;                     /* which of the case's three accounts */
    const char *msisdn, *client;
};

static void limit_case(int hour, const char *prefix, struct store_code_limits lim, enum store_code_limit want,
                       const struct ask asks[4])
{
    struct store *s = store_at(hour);
    char id[3][STORE_ID_LEN], name[32];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s-%d", prefix, i);
        user(s, name, id[i]);
    }
    enum store_code_limit hit = STORE_CODE_BUDGET + 1;
    for (int i = 0; i < 4; i++) {
        long long before = texted(asks[i].msisdn);
        enum store_result rc = start(s, id[asks[i].who], asks[i].msisdn, asks[i].client, lim, &hit, NULL);
        CU_ASSERT_EQUAL(rc, i == 2 ? STORE_THROTTLED : STORE_OK);
        CU_ASSERT_EQUAL(texted(asks[i].msisdn), before + (i == 2 ? 0 : 1));
    }
    CU_ASSERT_EQUAL(hit, want);
    store_free(s);
}

static void test_per_number_across_accounts(void)
{
    struct store_code_limits lim = roomy;
    lim.per_number = 2;
    /* one number however it is written, from three accounts and addresses */
    const struct ask asks[4] = { { 0, "+8613900002001", "192.0.2.1" }, { 1, "86 139 0000 2001", "192.0.2.2" },
                                 { 2, "008613900002001", "192.0.2.3" }, { 2, "+8613900002002", "192.0.2.3" } };
    limit_case(2, "num", lim, STORE_CODE_PER_NUMBER, asks);
}

static void test_per_address(void)
{
    struct store_code_limits lim = roomy;
    lim.per_address = 2;
    const struct ask asks[4] = { { 0, "+8613900003001", "198.51.100.7" }, { 1, "+8613900003002", "198.51.100.7" },
                                 { 2, "+8613900003003", "198.51.100.7" }, { 2, "+8613900003003", "198.51.100.8" } };
    limit_case(3, "addr", lim, STORE_CODE_PER_ADDRESS, asks);
}

static void test_budget(void)
{
    struct store *s = store_at(4);
    char id[3][STORE_ID_LEN];
    user(s, "bud-a", id[0]);
    user(s, "bud-b", id[1]);
    user(s, "bud-c", id[2]);
    struct store_code_limits lim = roomy;
    lim.budget = 2;
    enum store_code_limit hit = STORE_CODE_PER_ACCOUNT;
    int wait = -1;
    CU_ASSERT_EQUAL(start(s, id[0], "+8613900004001", "192.0.2.1", lim, NULL, NULL), STORE_OK);
    CU_ASSERT_EQUAL(start(s, id[1], "+8613900004002", "192.0.2.2", lim, NULL, NULL), STORE_OK);
    CU_ASSERT_EQUAL(start(s, id[2], "+8613900004003", "192.0.2.3", lim, &hit, &wait), STORE_THROTTLED);
    CU_ASSERT_EQUAL(hit, STORE_CODE_BUDGET);
    CU_ASSERT(wait > HOUR - 60 && wait <= HOUR);
    /* storage: sends older than the hour are deleted by the next start */
    store_test_clock_offset(s, 4 * 2 * HOUR + HOUR + 1);
    CU_ASSERT_EQUAL(start(s, id[2], "+8613900004003", "192.0.2.3", lim, NULL, NULL), STORE_OK);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM phone_code_sends"), 1);
    store_free(s);
}

/* Five wrong tries belong to the (account, number) pair: a new code does
 * not give five more, and once locked no code is texted for the pair nor
 * compared, until an hour after the last wrong try. Another account's pair
 * with the same number is its own. */
static void test_pair_tries_across_codes(void)
{
    struct store *s = store_at(5);
    char a[STORE_ID_LEN], b[STORE_ID_LEN], got[STORE_ID_LEN], code[STORE_CODE_LEN];
    user(s, "pair-a", a);
    user(s, "pair-b", b);
    const char *n = "+8613900005001";
    CU_ASSERT_EQUAL_FATAL(start(s, a, n, "192.0.2.1", roomy, NULL, NULL), STORE_OK);
    newest_code(n, code);
    char wrong[16];
    snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(store_phone_code_confirm(s, a, n, wrong, NULL), STORE_DENIED);
    /* a new code: two wrong tries are left, not five */
    CU_ASSERT_EQUAL_FATAL(start(s, a, n, "192.0.2.1", roomy, NULL, NULL), STORE_OK);
    newest_code(n, code);
    snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
    for (int i = 0; i < 2; i++)
        CU_ASSERT_EQUAL(store_phone_code_confirm(s, a, n, wrong, NULL), STORE_DENIED);
    int wait = -1;
    CU_ASSERT_EQUAL(store_phone_code_confirm(s, a, n, code, &wait), STORE_THROTTLED);   /* the right one */
    CU_ASSERT(wait > HOUR - 60 && wait <= HOUR);
    enum store_code_limit hit = STORE_CODE_BUDGET;
    long long before = texted(n);
    CU_ASSERT_EQUAL(start(s, a, n, "192.0.2.1", roomy, &hit, &wait), STORE_THROTTLED);
    CU_ASSERT_EQUAL(hit, STORE_CODE_PAIR_LOCKED);
    CU_ASSERT_EQUAL(texted(n), before);
    CU_ASSERT_EQUAL(store_phone_lookup(s, n, got), STORE_NOT_FOUND);
    /* trying while locked does not push the end of the lock further */
    store_test_clock_offset(s, 5 * 2 * HOUR + HOUR / 2);
    CU_ASSERT_EQUAL(store_phone_code_confirm(s, a, n, code, NULL), STORE_THROTTLED);
    /* another account's pair with this number is not locked */
    CU_ASSERT_EQUAL(start(s, b, n, "192.0.2.2", roomy, NULL, NULL), STORE_OK);
    /* an hour after the last wrong try the pair opens: five tries again, and a code binds */
    store_test_clock_offset(s, 5 * 2 * HOUR + HOUR + 1);
    CU_ASSERT_EQUAL_FATAL(start(s, a, n, "192.0.2.1", roomy, NULL, NULL), STORE_OK);
    newest_code(n, code);
    snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(store_phone_code_confirm(s, a, n, wrong, NULL), STORE_DENIED);
    CU_ASSERT_EQUAL(store_phone_code_confirm(s, a, n, code, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_phone_lookup(s, n, got), STORE_OK);
    CU_ASSERT_STRING_EQUAL(got, a);
    store_free(s);
}

/* The texted code stays in outbox.text only while the row may still be
 * sent: once bearerbox accepted it (what the acker records), or a report
 * or a failure ended it, the text is empty; a retry keeps it (it is sent
 * again). An ordinary reply keeps its text. */
static void test_code_text_cleared_once_sent(void)
{
    struct store *s = store_at(6);
    char a[STORE_ID_LEN], inst[STORE_ID_LEN];
    user(s, "secret-a", a);
    store_outbox_instance_new(inst);
    CU_ASSERT_EQUAL_FATAL(store_outbox_hold(s, inst), STORE_OK);
    /* drain what earlier tests queued, so the claims below see only ours */
    struct store_outbox_row *rows;
    size_t n;
    do {
        CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, inst, STORE_CHANNEL_SMS, 1000, &rows, &n, NULL), STORE_OK);
        for (size_t i = 0; i < n; i++)
            store_outbox_mark_submitted(s, rows[i].id, NULL, NULL);
        store_outbox_rows_free(rows, n);
    } while (n > 0);

    CU_ASSERT_EQUAL_FATAL(start(s, a, "+8613900006001", "192.0.2.1", roomy, NULL, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(start(s, a, "+8613900006002", "192.0.2.1", roomy, NULL, NULL), STORE_OK);
    struct store_outbox_new reply = { .user_id = a, .msisdn = "+8613900006003", .text = "an ordinary reply", .text_len = 17 };
    long long plain;
    CU_ASSERT_EQUAL_FATAL(store_outbox_enqueue(s, &reply, &plain), STORE_OK);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM outbox WHERE secret AND msisdn LIKE '%s'", "+861390000600_"), 2);
    CU_ASSERT_EQUAL_FATAL(store_outbox_claim(s, inst, STORE_CHANNEL_SMS, 10, &rows, &n, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    /* the first code: refused for now (kept, to be sent again), then accepted */
    CU_ASSERT_EQUAL(store_outbox_retry(s, rows[0].id, 0), STORE_OK);
    char q[160];
    snprintf(q, sizeof q, "SELECT length(text) FROM outbox WHERE id = %lld", rows[0].id);
    CU_ASSERT_EQUAL(testdb_scalar(q), (long long)strlen("code 123456"));
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, rows[0].id, "kannel-1", NULL), STORE_OK);
    CU_ASSERT_EQUAL(testdb_scalar(q), 0);
    /* the second: failed for good */
    CU_ASSERT_EQUAL(store_outbox_mark_failed(s, rows[1].id, "rejected", NULL), STORE_OK);
    snprintf(q, sizeof q, "SELECT length(text) FROM outbox WHERE id = %lld", rows[1].id);
    CU_ASSERT_EQUAL(testdb_scalar(q), 0);
    /* the ordinary reply keeps its text */
    CU_ASSERT_EQUAL(store_outbox_mark_submitted(s, plain, "kannel-2", NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_outbox_mark_delivered(s, plain, NULL), STORE_OK);
    snprintf(q, sizeof q, "SELECT length(text) FROM outbox WHERE id = %lld", plain);
    CU_ASSERT_EQUAL(testdb_scalar(q), 17);
    store_outbox_rows_free(rows, n);
    CU_ASSERT_EQUAL(store_outbox_release(s, inst), STORE_OK);
    store_free(s);
}

/* Requests at the same moment cannot both take the last code of the hour. */
struct racer {
    const char *user_id;
    int k;
    enum store_result rc;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct store *s = store_at(7);
    char msisdn[32];
    snprintf(msisdn, sizeof msisdn, "+86139000070%02d", r->k);
    struct store_code_limits lim = roomy;
    lim.per_account = 1;
    r->rc = start(s, r->user_id, msisdn, "192.0.2.1", lim, NULL, NULL);
    store_free(s);
    return NULL;
}

static void test_parallel_requests(void)
{
    struct store *s = store_at(7);
    char a[STORE_ID_LEN];
    user(s, "race-a", a);
    store_free(s);
    pthread_t t[6];
    struct racer r[6];
    for (int i = 0; i < 6; i++) {
        r[i] = (struct racer){ a, i, STORE_ERR };
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    int ok = 0, throttled = 0;
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        ok += r[i].rc == STORE_OK;
        throttled += r[i].rc == STORE_THROTTLED;
    }
    CU_ASSERT_EQUAL(ok, 1);
    CU_ASSERT_EQUAL(throttled, 5);
}

static void test_invalid_requests(void)
{
    struct store *s = store_at(8);
    char a[STORE_ID_LEN];
    user(s, "inval-a", a);
    struct store_code_limits zero = roomy;
    zero.budget = 0;
    CU_ASSERT_EQUAL(start(s, a, "+8613900008001", "192.0.2.1", zero, NULL, NULL), STORE_INVALID);
    CU_ASSERT_EQUAL(start(s, a, "abc", "192.0.2.1", roomy, NULL, NULL), STORE_INVALID);
    CU_ASSERT_EQUAL(start(s, a, "+8613900008001", "bad\naddress", roomy, NULL, NULL), STORE_INVALID);
    CU_ASSERT_EQUAL(store_phone_code_start(s, NULL, NULL, NULL), STORE_INVALID);
    CU_ASSERT_EQUAL(texted("+8613900008001"), 0);
    store_free(s);
}

static const struct test_entry tests[] = {
    { "codes per account and hour", test_per_account },
    { "codes per number, from any account, in any written form", test_per_number_across_accounts },
    { "codes per client address", test_per_address },
    { "codes in all (the budget); old sends deleted", test_budget },
    { "five wrong tries per (account, number), across codes", test_pair_tries_across_codes },
    { "a code's text is emptied once it has left the queue", test_code_text_cleared_once_sent },
    { "parallel requests cannot both take the last code", test_parallel_requests },
    { "invalid requests text nothing", test_invalid_requests },
};

int main(void)
{
    return suite_main("codes", tests, sizeof tests / sizeof tests[0]);
}
