/*
 * store_space_test — CUnit suite for the patent's self-growing space (step 2):
 * growth at the exact threshold boundary, growth by what an item needs, the
 * per-user cap, server capacity, batch adds (store_sms_add_many) stopping at
 * the first item that does not fit, batch delete, fsck, and 8 threads saving and
 * deleting concurrently for one user (NEEDS_DB).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "metrics.h"
#include "store_test_main.h"

static struct store *open_with(long long initial, long long threshold, long long step,
                               long long cap, long long capacity)
{
    struct store_config cfg = *testdb_config();
    cfg.initial_bytes = initial;
    cfg.threshold_bytes = threshold;
    cfg.step_bytes = step;
    cfg.user_cap_bytes = cap;
    cfg.capacity_bytes = capacity;
    struct store *s = NULL;
    CU_ASSERT_FATAL(store_open(&cfg, &s) == STORE_OK);
    return s;
}

static enum store_result add_len(struct store *s, const char *uid, size_t len, long long *n)
{
    char *body = malloc(len);
    memset(body, 'a', len);
    struct store_sms_new in = { .body = body, .body_len = len, .source = "sms" };
    long long dummy;
    enum store_result rc = store_sms_add(s, uid, &in, n ? n : &dummy);
    free(body);
    return rc;
}

static struct store_usage usage(struct store *s, const char *uid)
{
    struct store_usage u;
    memset(&u, 0, sizeof u);
    CU_ASSERT_EQUAL(store_usage_get(s, uid, &u), STORE_OK);
    return u;
}

/* With the defaults (10 MiB initial, 1 MiB threshold, 10 MiB step): 144
 * bodies of 64 KiB leave exactly 1 MiB — no growth; one byte more grows. */
static void test_boundary_defaults(void)
{
    struct store *s = testdb_open();
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "boundary", "password1", "en", id), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    for (int i = 0; i < 144; i++)
        CU_ASSERT_EQUAL(add_len(s, id, 65536, NULL), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_tx_commit(s), STORE_OK);
    struct store_usage u = usage(s, id);
    CU_ASSERT_EQUAL(u.used_bytes, 9LL << 20);
    CU_ASSERT_EQUAL(u.allocated_bytes, 10LL << 20);   /* exactly 1 MiB left: no growth */
    CU_ASSERT_EQUAL(u.last_grown_at, 0);
    CU_ASSERT_EQUAL(add_len(s, id, 1, NULL), STORE_OK);   /* 1 MiB - 1 left: grows */
    u = usage(s, id);
    CU_ASSERT_EQUAL(u.allocated_bytes, 20LL << 20);
    CU_ASSERT_EQUAL(u.used_bytes, (9LL << 20) + 1);
    CU_ASSERT(u.last_grown_at > 0);
    struct store_grant *g = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL_FATAL(store_usage_history(s, id, &g, &n), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(g[0].bytes_added, 10LL << 20);   /* newest first */
    CU_ASSERT_EQUAL(g[0].allocated_after, 20LL << 20);
    CU_ASSERT_EQUAL(g[1].bytes_added, 10LL << 20);   /* the initial allocation */
    CU_ASSERT_EQUAL(g[1].allocated_after, 10LL << 20);
    free(g);
    CU_ASSERT_EQUAL(store_usage_history(s, "00000000-0000-0000-0000-000000000000", &g, &n), STORE_NOT_FOUND);
    store_free(s);
}

static void test_grow_by_need(void)
{
    /* step 1000 is smaller than what a 65536-byte body needs */
    struct store *s = open_with(100000, 10000, 1000, 1LL << 30, 1LL << 40);
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "needy", "password1", "en", id), STORE_OK);
    CU_ASSERT_EQUAL(add_len(s, id, 60000, NULL), STORE_OK);
    CU_ASSERT_EQUAL(usage(s, id).allocated_bytes, 100000);
    CU_ASSERT_EQUAL(add_len(s, id, 65536, NULL), STORE_OK);
    struct store_usage u = usage(s, id);
    /* grown so that the threshold is left after storing */
    CU_ASSERT_EQUAL(u.allocated_bytes, 60000 + 65536 + 10000);
    CU_ASSERT_EQUAL(u.allocated_bytes - u.used_bytes, 10000);
    store_free(s);
}

/* smsvault_space_grants_total counts growths that committed: not one in a
 * rolled-back transaction, nor in a savepoint rolled back to. */
static void test_grants_counted_on_commit(void)
{
    struct metrics *reg = metrics_new();
    store_metrics_declare(reg);
    struct store *s = open_with(100000, 10000, 1000, 1LL << 30, 1LL << 40);
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "counted", "password1", "en", id), STORE_OK);
    CU_ASSERT_EQUAL(add_len(s, id, 60000, NULL), STORE_OK);   /* fits: no growth */
    long long rows = testdb_scalar("SELECT count(*) FROM space_grants");
    CU_ASSERT_EQUAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(add_len(s, id, 65536, NULL), STORE_OK);   /* grows, then rolled back */
    store_tx_rollback(s);
    CU_ASSERT_EQUAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(store_tx_savepoint(s), STORE_OK);
    CU_ASSERT_EQUAL(add_len(s, id, 65536, NULL), STORE_OK);   /* grows inside a savepoint ... */
    store_tx_rollback_to(s);                                  /* ... that is rolled back */
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    CU_ASSERT_EQUAL(usage(s, id).allocated_bytes, 100000);
    struct buf b = { 0 };
    metrics_write(reg, &b);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf_cstr(&b), "\nsmsvault_space_grants_total 0\n"));
    CU_ASSERT_EQUAL(add_len(s, id, 65536, NULL), STORE_OK);   /* grows and commits */
    buf_clear(&b);
    metrics_write(reg, &b);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf_cstr(&b), "\nsmsvault_space_grants_total 1\n"));
    char want[80];
    snprintf(want, sizeof want, "\nsmsvault_space_granted_bytes_total %lld\n",
             usage(s, id).allocated_bytes - 100000);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf_cstr(&b), want));
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM space_grants"), rows + 1);   /* as the database says */
    buf_cleanup(&b);
    store_free(s);
    store_metrics_declare(NULL);   /* the registry goes: count into nothing again */
    metrics_free(reg);
}

static void test_user_cap(void)
{
    struct store *s = open_with(100000, 10000, 50000, 120000, 1LL << 40);
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "capped", "password1", "en", id), STORE_OK);
    CU_ASSERT_EQUAL(add_len(s, id, 60000, NULL), STORE_OK);
    CU_ASSERT_EQUAL(add_len(s, id, 35000, NULL), STORE_OK);   /* left 5000: grows, only to the cap */
    struct store_usage u = usage(s, id);
    CU_ASSERT_EQUAL(u.allocated_bytes, 120000);
    CU_ASSERT_EQUAL(u.used_bytes, 95000);
    long long server = testdb_scalar("SELECT allocated_bytes FROM server_space");
    /* 25000 left; 25001 cannot fit and the cap forbids growth: refused */
    long long n = 0;
    CU_ASSERT_EQUAL(add_len(s, id, 25001, &n), STORE_NO_SPACE);
    u = usage(s, id);
    CU_ASSERT_EQUAL(u.used_bytes, 95000);
    CU_ASSERT_EQUAL(u.allocated_bytes, 120000);
    CU_ASSERT_EQUAL(u.sms_count, 2);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT allocated_bytes FROM server_space"), server);
    /* what fits is still stored, even below the threshold */
    CU_ASSERT_EQUAL(add_len(s, id, 25000, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 3);   /* the refused upload did not use a number */
    u = usage(s, id);
    CU_ASSERT_EQUAL(u.used_bytes, 120000);
    CU_ASSERT_EQUAL(add_len(s, id, 1, NULL), STORE_NO_SPACE);
    /* deleting frees space */
    long long ns[] = { 1 }, del = 0, freed = 0;
    CU_ASSERT_EQUAL(store_items_delete(s, id, STORE_SMS, ns, 1, &del, &freed), STORE_OK);
    CU_ASSERT_EQUAL(freed, 60000);
    CU_ASSERT_EQUAL(add_len(s, id, 1, NULL), STORE_OK);
    store_free(s);
}

static void test_capacity_exhausted(void)
{
    long long server = testdb_scalar("SELECT allocated_bytes FROM server_space");
    /* room for one more initial allocation and 500 bytes of growth */
    struct store *s = open_with(100000, 10000, 50000, 1LL << 30, server + 100500);
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "squeezed", "password1", "en", id), STORE_OK);
    CU_ASSERT_EQUAL(add_len(s, id, 60000, NULL), STORE_OK);
    CU_ASSERT_EQUAL(add_len(s, id, 35000, NULL), STORE_OK);   /* fits; growth gets only 500 */
    struct store_usage u = usage(s, id);
    CU_ASSERT_EQUAL(u.allocated_bytes, 100500);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT allocated_bytes FROM server_space"), server + 100500);
    long long before_rows = testdb_scalar("SELECT count(*) FROM sms");
    CU_ASSERT_EQUAL(add_len(s, id, 5501, NULL), STORE_NO_SPACE);
    u = usage(s, id);
    CU_ASSERT_EQUAL(u.used_bytes, 95000);
    CU_ASSERT_EQUAL(u.allocated_bytes, 100500);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM sms"), before_rows);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT allocated_bytes FROM server_space"), server + 100500);
    CU_ASSERT_EQUAL(add_len(s, id, 5500, NULL), STORE_OK);
    /* and nobody new can register */
    char id2[STORE_ID_LEN];
    CU_ASSERT_EQUAL(store_user_create(s, "toolate", "password1", "en", id2), STORE_NO_SPACE);
    store_free(s);
}

/* n SMS bodies of len bytes each ('a'..), distinct, asking to skip duplicates. */
static struct store_sms_new *batch_of(size_t n, size_t len)
{
    struct store_sms_new *v = calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        char *body = malloc(len);
        memset(body, 'a' + (int)(i % 26), len);
        body[0] = (char)('A' + (int)(i / 26 % 26));
        v[i] = (struct store_sms_new){ .body = body, .body_len = len, .sent_at = 1600000000 + (time_t)i,
                                       .source = "import", .skip_duplicate = true };
    }
    return v;
}

static void batch_free(struct store_sms_new *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)v[i].body);
    free(v);
}

/* store_sms_add_many under the cap: the items that fit are stored, the first
 * that does not and all after it are refused, the allocation grows once;
 * when none fits nothing changes, not even the server's capacity. */
static void test_add_many_space(void)
{
    struct store *s = open_with(100000, 10000, 50000, 120000, 1LL << 40);
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "manyspace", "password1", "en", id), STORE_OK);
    long long server = testdb_scalar("SELECT allocated_bytes FROM server_space");
    long long grants = testdb_scalar("SELECT count(*) FROM space_grants");
    struct store_sms_new *v = batch_of(5, 30000);
    enum store_result res[5];
    long long ns[5] = { 0 };
    /* 150000 wanted; growth only to the cap (+20000): four fit */
    CU_ASSERT_EQUAL(store_sms_add_many(s, id, v, 5, res, ns), STORE_NO_SPACE);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(res[i], STORE_OK);
        CU_ASSERT_EQUAL(ns[i], i + 1);
    }
    CU_ASSERT_EQUAL(res[4], STORE_NO_SPACE);
    struct store_usage u = usage(s, id);
    CU_ASSERT_EQUAL(u.used_bytes, 120000);
    CU_ASSERT_EQUAL(u.allocated_bytes, 120000);
    CU_ASSERT_EQUAL(u.sms_count, 4);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT allocated_bytes FROM server_space"), server + 20000);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM space_grants"), grants + 1);
    /* again: the four are duplicates, the fifth still does not fit, nothing changes */
    CU_ASSERT_EQUAL(store_sms_add_many(s, id, v, 5, res, ns), STORE_NO_SPACE);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(res[i], STORE_CONFLICT);
    CU_ASSERT_EQUAL(res[4], STORE_NO_SPACE);
    u = usage(s, id);
    CU_ASSERT_EQUAL(u.used_bytes, 120000);
    CU_ASSERT_EQUAL(u.sms_count, 4);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT allocated_bytes FROM server_space"), server + 20000);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM space_grants"), grants + 1);
    /* free 30000: the fifth fits now and takes the next number (none was used up) */
    long long del[] = { 2 }, deleted = 0, freed = 0;
    CU_ASSERT_EQUAL(store_items_delete(s, id, STORE_SMS, del, 1, &deleted, &freed), STORE_OK);
    CU_ASSERT_EQUAL(store_sms_add_many(s, id, v + 4, 1, res, ns), STORE_OK);
    CU_ASSERT_EQUAL(res[0], STORE_OK);
    CU_ASSERT_EQUAL(ns[0], 5);
    u = usage(s, id);
    CU_ASSERT_EQUAL(u.used_bytes, 120000);
    CU_ASSERT_EQUAL(u.used_bytes, testdb_scalar("SELECT sum(size_bytes) FROM sms WHERE user_id IN"
                                                " (SELECT id FROM users WHERE username = 'manyspace')"));
    batch_free(v, 5);
    store_free(s);
}

static void test_delete_batch(void)
{
    struct store *s = testdb_open();
    char a[STORE_ID_LEN], b[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "deleter", "password1", "en", a), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "bystander", "password1", "en", b), STORE_OK);
    for (int i = 1; i <= 5; i++) {
        CU_ASSERT_EQUAL(add_len(s, a, (size_t)i * 10, NULL), STORE_OK);
        CU_ASSERT_EQUAL(add_len(s, b, 7, NULL), STORE_OK);
    }
    long long ns[] = { 2, 4, 4, 99, -1 }, del = 0, freed = 0;
    CU_ASSERT_EQUAL(store_items_delete(s, a, STORE_SMS, ns, 5, &del, &freed), STORE_OK);
    CU_ASSERT_EQUAL(del, 2);
    CU_ASSERT_EQUAL(freed, 60);
    CU_ASSERT_EQUAL(usage(s, a).used_bytes, 10 + 30 + 50);
    CU_ASSERT_EQUAL(usage(s, b).used_bytes, 35);   /* the other user's 2 and 4 remain */
    CU_ASSERT_EQUAL(usage(s, b).sms_count, 5);
    CU_ASSERT_EQUAL(store_items_delete(s, a, STORE_SMS, NULL, 0, &del, &freed), STORE_OK);
    CU_ASSERT_EQUAL(del, 0);
    CU_ASSERT_EQUAL(store_items_delete(s, "00000000-0000-0000-0000-000000000000", STORE_SMS, ns, 1,
                                       &del, &freed), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_items_delete(s, a, (enum store_kind)7, ns, 1, &del, &freed), STORE_INVALID);
    store_free(s);
}

static void test_fsck_repair(void)
{
    struct store *s = testdb_open();
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "drifted", "password1", "en", id), STORE_OK);
    CU_ASSERT_EQUAL(add_len(s, id, 100, NULL), STORE_OK);
    struct store_fsck_row *rows = NULL;
    size_t n = 99;
    CU_ASSERT_EQUAL_FATAL(store_fsck(s, false, &rows, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 0);
    store_fsck_rows_free(rows, n);
    CU_ASSERT_EQUAL(testdb_scalar("UPDATE users SET used_bytes = 5 WHERE username = 'drifted'"), 1);
    CU_ASSERT_EQUAL_FATAL(store_fsck(s, false, &rows, &n), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_STRING_EQUAL(rows[0].username, "drifted");
    CU_ASSERT_STRING_EQUAL(rows[0].user_id, id);
    CU_ASSERT_EQUAL(rows[0].recorded_bytes, 5);
    CU_ASSERT_EQUAL(rows[0].actual_bytes, 100);
    store_fsck_rows_free(rows, n);
    CU_ASSERT_EQUAL(usage(s, id).used_bytes, 5);   /* report only: unchanged */
    CU_ASSERT_EQUAL_FATAL(store_fsck(s, true, &rows, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 1);
    store_fsck_rows_free(rows, n);
    CU_ASSERT_EQUAL(usage(s, id).used_bytes, 100);
    CU_ASSERT_EQUAL_FATAL(store_fsck(s, false, &rows, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 0);
    store_fsck_rows_free(rows, n);
    store_free(s);
}

#define THREADS 8
#define OPS 500

struct worker {
    char user_id[STORE_ID_LEN];
    unsigned seed;
    int failures;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct store *s = testdb_open();
    long long mine[OPS];
    int nmine = 0;
    for (int i = 0; i < OPS; i++) {
        enum store_result rc;
        do {
            if (i % 3 == 2 && nmine > 0) {
                int k = (int)(rand_r(&w->seed) % (unsigned)nmine);
                long long ns[2] = { mine[k], (long long)(rand_r(&w->seed) % 3000) + 1 };
                rc = store_items_delete(s, w->user_id, STORE_SMS, ns, 2, NULL, NULL);
                if (rc == STORE_OK)
                    mine[k] = mine[--nmine];
            } else {
                size_t len = 1 + rand_r(&w->seed) % 300;
                char body[301];
                memset(body, 'a' + (char)(i % 26), len);
                struct store_sms_new in = { .body = body, .body_len = len, .source = "sms" };
                long long n = 0;
                rc = store_sms_add(s, w->user_id, &in, &n);
                if (rc == STORE_OK)
                    mine[nmine++] = n;
            }
        } while (rc == STORE_RETRY);
        if (rc != STORE_OK)
            w->failures++;
    }
    store_free(s);
    return NULL;
}

static void test_concurrent_one_user(void)
{
    struct store *s = testdb_open();
    char id[STORE_ID_LEN];
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "busy", "password1", "en", id), STORE_OK);
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memcpy(w[i].user_id, id, STORE_ID_LEN);
        w[i].seed = (unsigned)i * 7919u + 1;
        w[i].failures = 0;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(w[i].failures, 0);
    }
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT coalesce(sum(size_bytes), 0) FROM sms WHERE user_id = '%s'", id);
    long long sum = testdb_scalar(sql);
    struct store_usage u = usage(s, id);
    CU_ASSERT_EQUAL(u.used_bytes, sum);
    CU_ASSERT(sum > 0);
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT n) - count(*) FROM sms WHERE user_id = '%s'", id);
    CU_ASSERT_EQUAL(testdb_scalar(sql), 0);
    /* every save took a fresh number: the counter moved once per save */
    snprintf(sql, sizeof sql, "SELECT next_sms - 1 FROM users WHERE id = '%s'", id);
    long long saves = testdb_scalar(sql);
    CU_ASSERT(saves >= THREADS * (OPS * 2 / 3));
    struct store_fsck_row *rows = NULL;
    size_t n = 99;
    CU_ASSERT_EQUAL_FATAL(store_fsck(s, false, &rows, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 0);
    store_fsck_rows_free(rows, n);
    printf("\n  %d threads x %d ops: %lld saves, %lld bytes in use\n", THREADS, OPS, saves, sum);
    store_free(s);
}

static void test_stats(void)
{
    struct store *s = testdb_open();
    struct store_stats st;
    CU_ASSERT_EQUAL_FATAL(store_stats_get(s, &st), STORE_OK);
    CU_ASSERT_EQUAL(st.users, testdb_scalar("SELECT count(*) FROM users"));
    CU_ASSERT_EQUAL(st.sms, testdb_scalar("SELECT count(*) FROM sms"));
    CU_ASSERT_EQUAL(st.used_bytes, testdb_scalar("SELECT sum(used_bytes) FROM users"));
    CU_ASSERT_EQUAL(st.allocated_bytes, testdb_scalar("SELECT allocated_bytes FROM server_space"));
    CU_ASSERT_EQUAL(st.capacity_bytes, testdb_config()->capacity_bytes);
    store_free(s);
}

static const struct test_entry tests[] = {
    { "growth boundary with defaults: 1 MiB left stays, less grows", test_boundary_defaults },
    { "growth by what the item needs", test_grow_by_need },
    { "growths counted when they commit, not when rolled back", test_grants_counted_on_commit },
    { "per-user cap: grow to the cap, then refuse, nothing written", test_user_cap },
    { "server capacity exhausted: refused, nothing written", test_capacity_exhausted },
    { "many SMS at once: stored while they fit, then refused; growth once", test_add_many_space },
    { "batch delete frees space, per user", test_delete_batch },
    { "fsck reports and repairs", test_fsck_repair },
    { "8 threads x 500 saves/deletes for one user", test_concurrent_one_user },
    { "stats", test_stats },
};

int main(void)
{
    return suite_main("space", tests, sizeof tests / sizeof tests[0]);
}
