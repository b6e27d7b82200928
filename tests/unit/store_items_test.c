/*
 * store_items_test — CUnit suite for SMS storage, phones, paging, search,
 * literal storage of SQL metacharacters, many SMS at once (store_sms_add_many),
 * explicit transactions with savepoints and MO de-duplication, against a real
 * PostgreSQL (NEEDS_DB).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msisdn.h"
#include "store_test_main.h"

static struct store *s;

static void new_user(const char *name, char id[STORE_ID_LEN])
{
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, name, "password1", "en", id), STORE_OK);
}

static long long add_sms(const char *uid, const char *peer, const char *body)
{
    struct store_sms_new in = { .peer = peer, .body = body, .body_len = strlen(body), .source = "sms" };
    long long n = -1;
    CU_ASSERT_EQUAL(store_sms_add(s, uid, &in, &n), STORE_OK);
    return n;
}

static void test_sms_add_get(void)
{
    char id[STORE_ID_LEN];
    new_user("smsuser", id);
    /* Chinese and emoji, byte-exact */
    const char *body = "你好，世界 😀👍🏽 test";
    struct store_sms_new in = { .peer = "+8613800138000", .body = body, .body_len = strlen(body),
                                .sent_at = 1700000000, .source = "web" };
    long long n = 0;
    CU_ASSERT_EQUAL_FATAL(store_sms_add(s, id, &in, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 1);
    struct store_sms m;
    CU_ASSERT_EQUAL_FATAL(store_sms_get(s, id, n, &m), STORE_OK);
    CU_ASSERT_EQUAL(m.body_len, strlen(body));
    CU_ASSERT(memcmp(m.body, body, strlen(body)) == 0);
    CU_ASSERT_STRING_EQUAL(m.peer, "+8613800138000");
    CU_ASSERT_EQUAL(m.sent_at, 1700000000);
    CU_ASSERT(m.saved_at > 0);
    CU_ASSERT_EQUAL(m.size_bytes, (long long)strlen(body));
    CU_ASSERT_STRING_EQUAL(m.source, "web");
    store_sms_cleanup(&m);
    struct store_usage u;
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.used_bytes, (long long)strlen(body));
    CU_ASSERT_EQUAL(u.sms_count, 1);
    /* unknown peer and sent_at */
    n = add_sms(id, NULL, "plain");
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL_FATAL(store_sms_get(s, id, 2, &m), STORE_OK);
    CU_ASSERT_STRING_EQUAL(m.peer, "");
    CU_ASSERT_EQUAL(m.sent_at, 0);
    store_sms_cleanup(&m);
    /* invalid input */
    struct store_sms_new bad = in;
    bad.body = "\xff\xfe";
    bad.body_len = 2;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &bad, &n), STORE_INVALID);
    bad = in;
    bad.body_len = 0;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &bad, &n), STORE_INVALID);
    bad = in;
    bad.source = "fax";
    CU_ASSERT_EQUAL(store_sms_add(s, id, &bad, &n), STORE_INVALID);
    bad = in;
    bad.body = "a\0b";
    bad.body_len = 3;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &bad, &n), STORE_INVALID);
    char *big = malloc(LIMIT_SMS_BODY_MAX + 1);
    memset(big, 'a', LIMIT_SMS_BODY_MAX + 1);
    bad = in;
    bad.body = big;
    bad.body_len = LIMIT_SMS_BODY_MAX + 1;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &bad, &n), STORE_INVALID);
    bad.body_len = LIMIT_SMS_BODY_MAX;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &bad, &n), STORE_OK);
    free(big);
    CU_ASSERT_EQUAL(store_sms_add(s, "00000000-0000-0000-0000-000000000000", &in, &n), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_sms_add(s, "junk", &in, &n), STORE_NOT_FOUND);
    /* another user's item is not found */
    char other[STORE_ID_LEN];
    new_user("smsother", other);
    CU_ASSERT_EQUAL(store_sms_get(s, other, 1, &m), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_sms_get(s, id, 999, &m), STORE_NOT_FOUND);
}

static void test_sms_duplicate_and_numbers(void)
{
    char id[STORE_ID_LEN];
    new_user("dupuser", id);
    struct store_sms_new in = { .peer = "123", .body = "same", .body_len = 4, .sent_at = 1600000000,
                                .source = "import", .skip_duplicate = true };
    long long n1 = 0, n2 = 0, n3 = 0;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n1), STORE_OK);
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n2), STORE_CONFLICT);
    in.sent_at = 0;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n2), STORE_OK);
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n3), STORE_CONFLICT);
    in.skip_duplicate = false;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n3), STORE_OK);
    CU_ASSERT_EQUAL(n1, 1);
    CU_ASSERT_EQUAL(n2, 2);
    CU_ASSERT_EQUAL(n3, 3);
    /* numbers are never reused: delete the newest, the next is 4 */
    long long del = 0, freed = 0;
    long long ns[] = { 3, 77 };
    CU_ASSERT_EQUAL(store_items_delete(s, id, STORE_SMS, ns, 2, &del, &freed), STORE_OK);
    CU_ASSERT_EQUAL(del, 1);
    CU_ASSERT_EQUAL(freed, 4);
    CU_ASSERT_EQUAL(add_sms(id, "", "next"), 4);
    struct store_usage u;
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.used_bytes, 4 + 4 + 4);
    CU_ASSERT_EQUAL(u.sms_count, 3);
}

/* Many at once: duplicates against stored items and within the batch, NULL
 * sent_at, invalid items in between, numbers in order, array-literal
 * metacharacters stored byte for byte, space equal to the sum of sizes. */
/* Every field of an SMS Backup & Restore <sms> comes back as it went in
 * (issue 10, migration 011), one by one and in a batch; the same message
 * again is a duplicate only in the same direction, within the same second. */
static void test_sms_every_field(void)
{
    char id[STORE_ID_LEN];
    new_user("smsfields", id);
    struct store_attr_new x[] = { { "sim_slot", "1" }, { "date", "not a date" }, { "收藏", "是" } };
    struct store_sms_new in = { .peer = "+8613800138000", .body = "hi", .body_len = 2, .sent_at = 1700000000,
                                .sent_ms = 999, .type = STORE_SMS_SENT, .date_sent_ms = 1699999999001,
                                .phone = "+8613900000000", .extra = x, .nextra = 3, .source = "import",
                                .fields = { [STORE_SMS_READ] = "0", [STORE_SMS_STATUS] = "-1",
                                            [STORE_SMS_SUBJECT] = "null", [STORE_SMS_CONTACT_NAME] = "张三 \"{,}\"",
                                            [STORE_SMS_SUB_ID] = "" } };
    struct store_sms_new many[2] = { in, in };
    many[1].type = STORE_SMS_RECEIVED;
    many[1].nextra = 0;
    long long n = 0, ns[2];
    enum store_result res[2];
    CU_ASSERT_EQUAL_FATAL(store_sms_add(s, id, &in, &n), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_sms_add_many(s, id, many, 2, res, ns), STORE_OK);
    CU_ASSERT_EQUAL(res[0], STORE_OK);   /* not asked to skip duplicates */
    CU_ASSERT_EQUAL(res[1], STORE_OK);
    for (long long k = 1; k <= 3; k++) {
        struct store_sms m;
        CU_ASSERT_EQUAL_FATAL(store_sms_get(s, id, k, &m), STORE_OK);
        CU_ASSERT_EQUAL(m.sent_at, 1700000000);
        CU_ASSERT_EQUAL(m.sent_ms, 999);
        CU_ASSERT_EQUAL(m.type, k == 3 ? STORE_SMS_RECEIVED : STORE_SMS_SENT);
        CU_ASSERT_EQUAL(m.date_sent_ms, 1699999999001);
        CU_ASSERT_STRING_EQUAL(m.phone, "+8613900000000");
        CU_ASSERT_STRING_EQUAL(m.fields[STORE_SMS_READ], "0");
        CU_ASSERT_STRING_EQUAL(m.fields[STORE_SMS_SUBJECT], "null");
        CU_ASSERT_STRING_EQUAL(m.fields[STORE_SMS_CONTACT_NAME], "张三 \"{,}\"");
        CU_ASSERT_STRING_EQUAL(m.fields[STORE_SMS_SUB_ID], "");
        CU_ASSERT_PTR_NULL(m.fields[STORE_SMS_TOA]);
        CU_ASSERT_EQUAL(m.nextra, k == 3 ? 0 : 3);
        if (m.nextra == 3) {
            CU_ASSERT_STRING_EQUAL(m.extra[0].name, "sim_slot");
            CU_ASSERT_STRING_EQUAL(m.extra[1].name, "date");
            CU_ASSERT_STRING_EQUAL(m.extra[1].value, "not a date");
            CU_ASSERT_STRING_EQUAL(m.extra[2].name, "收藏");   /* an XML name may be Chinese */
        }
        store_sms_cleanup(&m);
    }
    /* duplicates: same direction and second; a stored SMS with no type matches any */
    in.skip_duplicate = true;
    in.sent_ms = 0;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_CONFLICT);
    in.type = STORE_SMS_DRAFT;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_OK);
    in.type = 0;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_CONFLICT);
    in.sent_at++;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_OK);
    /* one stored without a date is found by the date it was stored on (how it is exported) */
    struct store_sms_new typed = { .body = "typed", .body_len = 5, .type = STORE_SMS_RECEIVED, .source = "web" };
    CU_ASSERT_EQUAL_FATAL(store_sms_add(s, id, &typed, &n), STORE_OK);
    struct store_sms m;
    CU_ASSERT_EQUAL_FATAL(store_sms_get(s, id, n, &m), STORE_OK);
    typed.sent_at = m.saved_at;
    typed.skip_duplicate = true;
    store_sms_cleanup(&m);
    CU_ASSERT_EQUAL(store_sms_add(s, id, &typed, &n), STORE_CONFLICT);
    /* out of range */
    in.skip_duplicate = false;
    in.sent_ms = 1000;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_INVALID);
    in.sent_ms = 0;
    in.type = STORE_TYPE_MAX + 1;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_INVALID);
    in.type = 1;
    char big[LIMIT_ATTR_VALUE_MAX + 2];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    in.fields[STORE_SMS_READ] = big;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_INVALID);
}

/* "All that match": counted (bounded), deleted in one transaction with the
 * space freed, up to the newest number shown and without the unticked
 * ones; other kinds and other users untouched; more than the bound
 * refused whole (issue 10). */
static void test_items_matching(void)
{
    char id[STORE_ID_LEN], other[STORE_ID_LEN];
    new_user("matcher", id);
    new_user("bystander", other);
    char body[32];
    for (int i = 1; i <= 30; i++) {
        snprintf(body, sizeof body, i % 3 ? "lunch at %d" : "other %d", i);
        add_sms(id, "+861", body);
    }
    add_sms(other, "+861", "lunch for someone else");
    struct store_match m = { .search = "LUNCH" };
    long long count = -1, deleted = -1, freed = -1;
    CU_ASSERT_EQUAL_FATAL(store_items_count(s, id, STORE_SMS, &m, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, 20);
    m.upto = 15;   /* what the page showed: 1..15 */
    CU_ASSERT_EQUAL_FATAL(store_items_count(s, id, STORE_SMS, &m, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, 10);
    long long except[] = { 14, 13, 999 };
    m.except = except;
    m.nexcept = 3;
    CU_ASSERT_EQUAL_FATAL(store_items_count(s, id, STORE_SMS, &m, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, 8);   /* 13 and 14 unticked (15 is "other") */
    struct store_usage before, after;
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &before), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_items_delete_matching(s, id, STORE_SMS, &m, &deleted, &freed), STORE_OK);
    CU_ASSERT_EQUAL(deleted, 8);
    CU_ASSERT_EQUAL(freed, 6 * (long long)strlen("lunch at 1") + 2 * (long long)strlen("lunch at 10"));   /* 1..11 */
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &after), STORE_OK);
    CU_ASSERT_EQUAL(after.used_bytes, before.used_bytes - freed);
    CU_ASSERT_EQUAL(after.sms_count, 22);
    struct store_match all = { .search = "lunch" };
    CU_ASSERT_EQUAL_FATAL(store_items_count(s, id, STORE_SMS, &all, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, 12);
    CU_ASSERT_EQUAL_FATAL(store_items_count(s, other, STORE_SMS, &all, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, 1);
    /* nothing to match is no error */
    struct store_match none = { .search = "nothing-like-this" };
    CU_ASSERT_EQUAL(store_items_delete_matching(s, id, STORE_SMS, &none, &deleted, &freed), STORE_OK);
    CU_ASSERT_EQUAL(deleted, 0);
    /* bad input */
    struct store_match words = { .search = "a b c d e f g h i" };
    CU_ASSERT_EQUAL(store_items_count(s, id, STORE_SMS, &words, &count), STORE_INVALID);
    CU_ASSERT_EQUAL(store_items_delete_matching(s, id, STORE_SMS, &words, &deleted, &freed), STORE_INVALID);
    CU_ASSERT_EQUAL(store_items_count(s, "not-a-user", STORE_SMS, &all, &count), STORE_NOT_FOUND);
    /* more than the bound: counted as "more", refused whole */
    char sql[512];
    snprintf(sql, sizeof sql,
             "WITH i AS (INSERT INTO sms (user_id, n, body, size_bytes, source) SELECT '%s', 1000 + g, 'bulk', 0,"
             " 'import' FROM generate_series(1, %d) g RETURNING 1) SELECT count(*) FROM i", id, LIMIT_DELETE_MAX + 1);
    CU_ASSERT_EQUAL_FATAL(testdb_scalar(sql), LIMIT_DELETE_MAX + 1);
    struct store_match bulk = { .search = "bulk" };
    CU_ASSERT_EQUAL_FATAL(store_items_count(s, id, STORE_SMS, &bulk, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, LIMIT_DELETE_MAX + 1);
    CU_ASSERT_EQUAL(store_items_delete_matching(s, id, STORE_SMS, &bulk, &deleted, &freed), STORE_INVALID);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM sms WHERE body = 'bulk'"), LIMIT_DELETE_MAX + 1);
    bulk.upto = 1000 + LIMIT_DELETE_MAX;   /* exactly the bound */
    CU_ASSERT_EQUAL(store_items_delete_matching(s, id, STORE_SMS, &bulk, &deleted, &freed), STORE_OK);
    CU_ASSERT_EQUAL(deleted, LIMIT_DELETE_MAX);
    snprintf(sql, sizeof sql, "DELETE FROM sms WHERE user_id = '%s' AND body = 'bulk'", id);
    (void)testdb_scalar(sql);
}

static void test_sms_add_many(void)
{
    char id[STORE_ID_LEN];
    new_user("manyuser", id);
    struct store_sms_new one = { .peer = "123", .body = "same", .body_len = 4, .sent_at = 1600000000,
                                 .source = "import", .skip_duplicate = true };
    long long n1 = 0;
    CU_ASSERT_EQUAL_FATAL(store_sms_add(s, id, &one, &n1), STORE_OK);
    const char *meta_peer = "a\"b\\c{},NULL '";
    const char *meta_body = "{\"q\": \"\\\\\"}, NULL, 你好 😀\nline2\t'; DROP TABLE sms; --";
    struct store_sms_new in[] = {
        one,                                                                  /* stored already */
        { .peer = meta_peer, .body = meta_body, .body_len = strlen(meta_body), .sent_at = 1700000000,
          .source = "import", .skip_duplicate = true },                       /* new: n 2 */
        { .peer = "9", .body = "\xff\xfe", .body_len = 2, .source = "import", .skip_duplicate = true },
        { .peer = meta_peer, .body = meta_body, .body_len = strlen(meta_body), .sent_at = 1700000000,
          .source = "import", .skip_duplicate = true },                       /* as item 1 */
        { .peer = NULL, .body = "NULL", .body_len = 4, .source = "import", .skip_duplicate = true },   /* n 3 */
        { .peer = "", .body = "NULL", .body_len = 4, .source = "import", .skip_duplicate = true },     /* as 4 */
        { .peer = "", .body = "NULL", .body_len = 4, .source = "web", .skip_duplicate = false },       /* n 4 */
        { .peer = "123", .body = "same", .body_len = 4, .source = "import", .skip_duplicate = true },  /* n 5 */
    };
    enum { N = sizeof in / sizeof in[0] };
    enum store_result res[N];
    long long ns[N];
    memset(ns, 0, sizeof ns);
    CU_ASSERT_EQUAL_FATAL(store_sms_add_many(s, id, in, N, res, ns), STORE_OK);
    enum store_result want[N] = { STORE_CONFLICT, STORE_OK, STORE_INVALID, STORE_CONFLICT,
                                  STORE_OK, STORE_CONFLICT, STORE_OK, STORE_OK };
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL(res[i], want[i]);
    CU_ASSERT_EQUAL(ns[1], 2);
    CU_ASSERT_EQUAL(ns[4], 3);
    CU_ASSERT_EQUAL(ns[6], 4);
    CU_ASSERT_EQUAL(ns[7], 5);
    struct store_sms m;
    CU_ASSERT_EQUAL_FATAL(store_sms_get(s, id, 2, &m), STORE_OK);
    CU_ASSERT_STRING_EQUAL(m.peer, meta_peer);
    CU_ASSERT_EQUAL(m.body_len, strlen(meta_body));
    CU_ASSERT(memcmp(m.body, meta_body, m.body_len) == 0);
    CU_ASSERT_EQUAL(m.sent_at, 1700000000);
    CU_ASSERT_EQUAL(m.size_bytes, (long long)strlen(meta_body));
    CU_ASSERT_STRING_EQUAL(m.source, "import");
    store_sms_cleanup(&m);
    CU_ASSERT_EQUAL_FATAL(store_sms_get(s, id, 3, &m), STORE_OK);
    CU_ASSERT_STRING_EQUAL(m.peer, "");
    CU_ASSERT_STRING_EQUAL(m.body, "NULL");
    CU_ASSERT_EQUAL(m.sent_at, 0);
    store_sms_cleanup(&m);
    CU_ASSERT_EQUAL_FATAL(store_sms_get(s, id, 4, &m), STORE_OK);
    CU_ASSERT_STRING_EQUAL(m.source, "web");
    store_sms_cleanup(&m);
    struct store_usage u;
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.sms_count, 5);
    CU_ASSERT_EQUAL(u.used_bytes, (long long)(4 + strlen(meta_body) + 4 + 4 + 4));
    /* the same batch again: only the item that does not ask to be skipped */
    CU_ASSERT_EQUAL_FATAL(store_sms_add_many(s, id, in, N, res, NULL), STORE_OK);
    enum store_result again[N] = { STORE_CONFLICT, STORE_CONFLICT, STORE_INVALID, STORE_CONFLICT,
                                   STORE_CONFLICT, STORE_CONFLICT, STORE_OK, STORE_CONFLICT };
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL(res[i], again[i]);
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.sms_count, 6);
    /* single adds see what the batch stored */
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in[1], &n1), STORE_CONFLICT);
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in[4], &n1), STORE_CONFLICT);
    /* bad calls */
    CU_ASSERT_EQUAL(store_sms_add_many(s, id, in, 0, res, NULL), STORE_OK);
    CU_ASSERT_EQUAL(store_sms_add_many(s, id, in, LIMIT_SMS_BATCH_MAX + 1, res, NULL), STORE_INVALID);
    CU_ASSERT_EQUAL(store_sms_add_many(s, "junk", in, N, res, NULL), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_sms_add_many(s, "00000000-0000-0000-0000-000000000000", in, N, res, NULL),
                    STORE_NOT_FOUND);
    /* inside the caller's transaction: its rollback undoes the batch */
    struct store_sms_new fresh = { .peer = "7", .body = "fresh", .body_len = 5, .source = "import",
                                   .skip_duplicate = true };
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(store_sms_add_many(s, id, &fresh, 1, res, NULL), STORE_OK);
    CU_ASSERT_EQUAL(res[0], STORE_OK);
    store_tx_rollback(s);
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.sms_count, 6);
    CU_ASSERT_EQUAL(u.used_bytes, testdb_scalar("SELECT sum(size_bytes) FROM sms WHERE user_id IN"
                                                " (SELECT id FROM users WHERE username = 'manyuser')"));
    /* after a bulk load the planner's statistics can be refreshed at once */
    CU_ASSERT_EQUAL(store_items_analyze(s, STORE_SMS), STORE_OK);
    CU_ASSERT_EQUAL(testdb_scalar("SELECT count(*) FROM pg_stat_user_tables"
                                  " WHERE relname = 'sms' AND last_analyze IS NOT NULL"), 1);
    CU_ASSERT_EQUAL(store_items_analyze(s, STORE_CONTACT), STORE_OK);
    CU_ASSERT_EQUAL(store_items_analyze(s, (enum store_kind)7), STORE_INVALID);
}

static void test_paging_1000(void)
{
    char id[STORE_ID_LEN];
    new_user("pager", id);
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    for (int i = 0; i < 1000; i++) {
        char body[32];
        snprintf(body, sizeof body, "message %d", i);
        add_sms(id, "1", body);
    }
    CU_ASSERT_EQUAL_FATAL(store_tx_commit(s), STORE_OK);
    char *seen = calloc(1001, 1);
    long long before = 0, last = 1001;
    int total = 0, pages = 0;
    for (;;) {
        struct store_page pg = { .before_n = before, .limit = 37 };
        struct store_sms_list l;
        CU_ASSERT_EQUAL_FATAL(store_sms_list(s, id, &pg, &l), STORE_OK);
        pages++;
        for (size_t i = 0; i < l.count; i++) {
            long long n = l.items[i].n;
            CU_ASSERT(n < last);   /* newest first */
            last = n;
            CU_ASSERT_FATAL(n >= 1 && n <= 1000);
            CU_ASSERT_EQUAL(seen[n], 0);
            seen[n] = 1;
            total++;
        }
        bool more = l.more;
        if (l.count)
            before = l.items[l.count - 1].n;
        CU_ASSERT_EQUAL(more, total < 1000);
        store_sms_list_cleanup(&l);
        if (!more)
            break;
    }
    CU_ASSERT_EQUAL(total, 1000);
    CU_ASSERT_EQUAL(pages, (1000 + 36) / 37);
    free(seen);
    struct store_page bad = { .limit = 0 };
    struct store_sms_list l;
    CU_ASSERT_EQUAL(store_sms_list(s, id, &bad, &l), STORE_INVALID);
    bad.limit = 1001;
    CU_ASSERT_EQUAL(store_sms_list(s, id, &bad, &l), STORE_INVALID);
}

/* What a deep LIST page's remembered start rests on: the count above n
 * while the highest number is what it was, from the primary key; a delete
 * changes the count, any new item the highest number; per user and kind. */
static void test_items_above(void)
{
    char id[STORE_ID_LEN], other[STORE_ID_LEN];
    new_user("above", id);
    new_user("above2", other);
    for (int i = 1; i <= 10; i++) {
        char body[32];
        snprintf(body, sizeof body, "text %d", i);
        CU_ASSERT_EQUAL(add_sms(id, "1", body), i);
    }
    add_sms(other, "1", "not hers");
    long long count = -2, d = 0, f = 0;
    CU_ASSERT_EQUAL(store_items_above(s, id, STORE_SMS, 4, 10, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, 6);
    CU_ASSERT_EQUAL(store_items_above(s, id, STORE_SMS, 4, 9, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, -1);   /* the highest is not 9: not counted */
    long long gone[] = { 7 };
    CU_ASSERT_EQUAL(store_items_delete(s, id, STORE_SMS, gone, 1, &d, &f), STORE_OK);
    CU_ASSERT_EQUAL(store_items_above(s, id, STORE_SMS, 4, 10, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, 5);
    gone[0] = 10;
    CU_ASSERT_EQUAL(store_items_delete(s, id, STORE_SMS, gone, 1, &d, &f), STORE_OK);
    CU_ASSERT_EQUAL(store_items_above(s, id, STORE_SMS, 4, 10, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, -1);
    CU_ASSERT_EQUAL(store_items_above(s, id, STORE_SMS, 4, 9, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, 4);
    add_sms(id, "1", "one more");   /* number 11: never one freed */
    CU_ASSERT_EQUAL(store_items_above(s, id, STORE_SMS, 4, 9, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, -1);
    CU_ASSERT_EQUAL(store_items_above(s, id, STORE_SMS, 4, 11, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, 5);
    CU_ASSERT_EQUAL(store_items_above(s, id, STORE_SMS, 11, 11, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, 0);
    CU_ASSERT_EQUAL(store_items_above(s, id, STORE_MMS, 0, 0, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, 0);   /* none, and the highest of none is 0 */
    CU_ASSERT_EQUAL(store_items_above(s, other, STORE_SMS, 0, 1, &count), STORE_OK);
    CU_ASSERT_EQUAL(count, 1);
    CU_ASSERT_EQUAL(store_items_above(s, "not-an-id", STORE_SMS, 0, 1, &count), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_items_above(s, id, (enum store_kind)7, 0, 1, &count), STORE_INVALID);
    CU_ASSERT_EQUAL(store_items_above(s, id, STORE_SMS, -1, 1, &count), STORE_INVALID);
}

/* The first chars code points of t, as bytes. */
static size_t first_chars_len(const char *t, int chars)
{
    size_t i = 0;
    for (int k = 0; t[i] && k < chars; k++)
        for (i++; (t[i] & 0xC0) == 0x80; i++)
            ;
    return i;
}

/* What LIST lays out of each SMS (store_lines_list) is what the whole rows
 * say of it: number, peer, dates, and the body's first characters and one
 * more (Chinese, emoji, at and past the length), searched alike. */
static void test_lines_as_the_rows(void)
{
    char id[STORE_ID_LEN];
    new_user("liner", id);
    const char *bodies[] = { "short", "exactly twenty chars", "twenty-one characters",
                             "一二三四五六七八九十一二三四五六七八九十一二三", "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
                             "line\nbreak\tand tab, then zebra words" };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct store_sms_new in = { .peer = i % 2 ? "+8613700000001" : "", .body = bodies[i],
                                    .body_len = strlen(bodies[i]), .sent_at = i % 3 ? 1690000000 + (time_t)i : 0,
                                    .sent_ms = 999, .source = "sms" };
        long long n = 0;
        CU_ASSERT_EQUAL_FATAL(store_sms_add(s, id, &in, &n), STORE_OK);
    }
    const char *searches[] = { NULL, "zebra", "五六" };
    for (size_t q = 0; q < 3; q++) {
        struct store_page pg = { .limit = 100, .search = searches[q] };
        struct store_sms_list rows;
        struct store_line_list lines;
        CU_ASSERT_EQUAL_FATAL(store_sms_list(s, id, &pg, &rows), STORE_OK);
        CU_ASSERT_EQUAL_FATAL(store_lines_list(s, id, STORE_SMS, &pg, 20, &lines), STORE_OK);
        CU_ASSERT_EQUAL_FATAL(lines.count, rows.count);
        CU_ASSERT_EQUAL(lines.more, rows.more);
        CU_ASSERT(rows.count == (q == 0 ? 6 : 1));
        for (size_t i = 0; i < rows.count; i++) {
            const struct store_sms *m = &rows.items[i];
            const struct store_line *l = &lines.items[i];
            CU_ASSERT_EQUAL(l->n, m->n);
            CU_ASSERT_STRING_EQUAL(l->peer, m->peer);
            CU_ASSERT_EQUAL(l->sent_at, m->sent_at);
            CU_ASSERT_EQUAL(l->saved_at, m->saved_at);
            size_t k = first_chars_len(m->body, 21);
            CU_ASSERT(strlen(l->text) == k && memcmp(l->text, m->body, k) == 0);
        }
        store_sms_list_cleanup(&rows);
        store_line_list_cleanup(&lines);
    }
    struct store_page pg = { .limit = 2 };
    struct store_line_list lines;
    CU_ASSERT_EQUAL_FATAL(store_lines_list(s, id, STORE_SMS, &pg, 20, &lines), STORE_OK);
    CU_ASSERT(lines.count == 2 && lines.more && lines.items[0].n == 6 && lines.items[1].n == 5);
    store_line_list_cleanup(&lines);
    CU_ASSERT_EQUAL(store_lines_list(s, id, STORE_CONTACT, &pg, 20, &lines), STORE_INVALID);
    CU_ASSERT_EQUAL(store_lines_list(s, id, STORE_SMS, &pg, 0, &lines), STORE_INVALID);
    pg.limit = 0;
    CU_ASSERT_EQUAL(store_lines_list(s, id, STORE_SMS, &pg, 20, &lines), STORE_INVALID);
}

static const char *const meta[] = {
    "'; DROP TABLE users; --", "back\\slash", "100% sure", "under_score", "$1 and $2", "\"quoted\"",
};

static void test_metacharacters_literal(void)
{
    char id[STORE_ID_LEN];
    new_user("meta", id);
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
        long long n = add_sms(id, meta[i], meta[i]);
        struct store_sms m;
        CU_ASSERT_EQUAL_FATAL(store_sms_get(s, id, n, &m), STORE_OK);
        CU_ASSERT_STRING_EQUAL(m.body, meta[i]);
        CU_ASSERT_STRING_EQUAL(m.peer, meta[i]);
        store_sms_cleanup(&m);
    }
    add_sms(id, "x", "nothing special here");
    add_sms(id, "x", "underXscore");
    CU_ASSERT(testdb_scalar("SELECT count(*) FROM users") > 0);   /* still there */
    struct store_sms_list l;
    /* % matches only a literal % */
    struct store_page pg = { .limit = 100, .search = "%" };
    CU_ASSERT_EQUAL_FATAL(store_sms_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 1);
    if (l.count)
        CU_ASSERT_STRING_EQUAL(l.items[0].body, "100% sure");
    store_sms_list_cleanup(&l);
    /* _ matches only a literal _, not any character */
    pg.search = "under_score";
    CU_ASSERT_EQUAL_FATAL(store_sms_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 1);
    store_sms_list_cleanup(&l);
    pg.search = "\\";
    CU_ASSERT_EQUAL_FATAL(store_sms_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 1);
    store_sms_list_cleanup(&l);
    pg.search = "DROP TABLE";   /* both words, case-insensitive */
    CU_ASSERT_EQUAL_FATAL(store_sms_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 1);
    store_sms_list_cleanup(&l);
    pg.search = "drop nothing";
    CU_ASSERT_EQUAL_FATAL(store_sms_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 0);
    store_sms_list_cleanup(&l);
    pg.search = "a b c d e f g h i";   /* too many words */
    CU_ASSERT_EQUAL(store_sms_list(s, id, &pg, &l), STORE_INVALID);
}

static void test_search_chinese_and_peer(void)
{
    char id[STORE_ID_LEN];
    new_user("searcher", id);
    add_sms(id, "10086", "明天下午三点开会");
    add_sms(id, "10010", "Meeting TOMORROW at 3");
    add_sms(id, "+44123", "unrelated");
    struct store_sms_list l;
    struct store_page pg = { .limit = 10, .search = "开会" };
    CU_ASSERT_EQUAL_FATAL(store_sms_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 1);
    store_sms_list_cleanup(&l);
    pg.search = "tomorrow";
    CU_ASSERT_EQUAL_FATAL(store_sms_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 1);
    store_sms_list_cleanup(&l);
    pg.search = "100";   /* matches the peer of two */
    CU_ASSERT_EQUAL_FATAL(store_sms_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 2);
    store_sms_list_cleanup(&l);
    /* what the trigram key (migration 009) must not lose: one Chinese
     * character, emoji, non-ASCII case, several words */
    add_sms(id, "", "好 😀👍 Élan vital");
    static const struct { const char *q; size_t want; } finds[] = {
        { "好", 1 }, { "明", 1 }, { "😀", 1 }, { "👍", 1 }, { "élan", 1 }, { "ÉLAN", 1 },
        { "明天 开会", 1 }, { "三点 tomorrow", 0 }, { "3", 2 }, { "at", 2 }, { "vital44", 0 },
    };
    for (size_t i = 0; i < sizeof finds / sizeof finds[0]; i++) {
        pg.search = finds[i].q;
        CU_ASSERT_EQUAL_FATAL(store_sms_list(s, id, &pg, &l), STORE_OK);
        if (l.count != finds[i].want)
            fprintf(stderr, "search '%s': %zu, want %zu\n", finds[i].q, l.count, finds[i].want);
        CU_ASSERT_EQUAL(l.count, finds[i].want);
        store_sms_list_cleanup(&l);
    }
    /* another user's messages never show */
    char other[STORE_ID_LEN];
    new_user("searcher2", other);
    pg.search = NULL;
    CU_ASSERT_EQUAL_FATAL(store_sms_list(s, other, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 0);
    CU_ASSERT_FALSE(l.more);
    store_sms_list_cleanup(&l);
}

static void test_phones(void)
{
    char a[STORE_ID_LEN], b[STORE_ID_LEN], got[STORE_ID_LEN];
    new_user("phoneA", a);
    new_user("phoneB", b);
    CU_ASSERT_EQUAL(store_phone_lookup(s, "+15550001", got), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_phone_bind(s, "+15550001", a), STORE_OK);
    CU_ASSERT_EQUAL(store_phone_bind(s, "+15550002", a), STORE_OK);
    CU_ASSERT_EQUAL(store_phone_bind(s, "+15550001", a), STORE_OK);   /* again: fine */
    CU_ASSERT_EQUAL_FATAL(store_phone_lookup(s, "+15550001", got), STORE_OK);
    CU_ASSERT_STRING_EQUAL(got, a);
    char **v = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL_FATAL(store_phone_list(s, a, &v, &n), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_STRING_EQUAL(v[0], "+15550001");   /* newest binding first */
    store_strings_free(v, n);
    /* the number changes hands */
    CU_ASSERT_EQUAL(store_phone_bind(s, "+15550002", b), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_phone_lookup(s, "+15550002", got), STORE_OK);
    CU_ASSERT_STRING_EQUAL(got, b);
    CU_ASSERT_EQUAL_FATAL(store_phone_list(s, a, &v, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 1);
    store_strings_free(v, n);
    CU_ASSERT_EQUAL(store_phone_unbind(s, a, "+15550002"), STORE_NOT_FOUND);   /* b's now */
    CU_ASSERT_EQUAL_FATAL(store_phone_lookup(s, "+15550002", got), STORE_OK);
    CU_ASSERT_EQUAL(store_phone_unbind(s, b, "+15550002"), STORE_OK);
    CU_ASSERT_EQUAL(store_phone_unbind(s, b, "+15550002"), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_phone_lookup(s, "+15550002", got), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_phone_bind(s, "+15550003", "00000000-0000-0000-0000-000000000000"), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL(store_phone_bind(s, "", a), STORE_INVALID);
    /* not phone numbers: refused, and nothing else happens (the table is still there) */
    CU_ASSERT_EQUAL(store_phone_bind(s, meta[0], a), STORE_INVALID);
    CU_ASSERT_EQUAL(store_phone_bind(s, "SOMEBANK", a), STORE_INVALID);
    CU_ASSERT_EQUAL(store_phone_lookup(s, "SOMEBANK", got), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL_FATAL(store_phone_lookup(s, "+15550001", got), STORE_OK);

    /* one phone however it is written: bearerbox says "+8613800000001", a
     * person types "8613800000001", "+86 138-0000-0001" or "008613800000001" */
    CU_ASSERT_EQUAL(store_phone_bind(s, "8613800000001", a), STORE_OK);
    static const char *const forms[] = { "+8613800000001", "8613800000001", "+86 138-0000-0001",
                                         "008613800000001", "(86) 138.0000.0001" };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        memset(got, 0, sizeof got);
        CU_ASSERT_EQUAL(store_phone_lookup(s, forms[i], got), STORE_OK);
        CU_ASSERT_STRING_EQUAL(got, a);
    }
    CU_ASSERT_EQUAL(store_phone_lookup(s, "+8613800000002", got), STORE_NOT_FOUND);
    /* bound again in another form by another user: it moves, and there is one row */
    CU_ASSERT_EQUAL(store_phone_bind(s, "+8613800000001", b), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_phone_lookup(s, "8613800000001", got), STORE_OK);
    CU_ASSERT_STRING_EQUAL(got, b);
    CU_ASSERT_EQUAL_FATAL(store_phone_list(s, b, &v, &n), STORE_OK);
    CU_ASSERT_EQUAL(n, 1);
    if (n == 1)
        CU_ASSERT_STRING_EQUAL(v[0], "+8613800000001");   /* the form replies go to */
    store_strings_free(v, n);
    CU_ASSERT_EQUAL(store_phone_unbind(s, b, "008613800000001"), STORE_OK);
    CU_ASSERT_EQUAL(store_phone_lookup(s, "+8613800000001", got), STORE_NOT_FOUND);
}

/* common/msisdn's key and migration 003's SQL key must not drift apart:
 * rows keyed by the migration are found by keys computed in C. */
static void test_msisdn_key_matches_migration(void)
{
    static const char *const forms[] = {
        "+8613800000001", "8613800000001", "+86 138-0000-0001", "008613800000001", "0086 138 0000 0001",
        "(86) 138.0000.0001", "(+86) 138 0000 0001", "+008613800000001", "000123", "0123", "7",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char key[MSISDN_KEY_SIZE], sql[256];
        CU_ASSERT_FATAL(msisdn_key(forms[i], key));
        /* test inspection with fixed literals (no quotes in forms[]), never data */
        snprintf(sql, sizeof sql,
                 "SELECT (regexp_replace(regexp_replace('%s', '[^0-9]', '', 'g'), '^00', '') = '%s')::int",
                 forms[i], key);
        CU_ASSERT_EQUAL(testdb_scalar(sql), 1);
    }
}

static void test_mo_seen(void)
{
    CU_ASSERT_EQUAL(store_mo_seen(s, "0b7e6a3c-1111-2222-3333-444455556666"), STORE_OK);
    CU_ASSERT_EQUAL(store_mo_seen(s, "0b7e6a3c-1111-2222-3333-444455556666"), STORE_CONFLICT);
    CU_ASSERT_EQUAL(store_mo_seen(s, ""), STORE_INVALID);
    /* inside a transaction: a seen MO does not spoil the batch */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(store_mo_seen(s, "0b7e6a3c-1111-2222-3333-444455556666"), STORE_CONFLICT);
    CU_ASSERT_EQUAL(store_mo_seen(s, "second"), STORE_OK);
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    CU_ASSERT_EQUAL(store_mo_seen(s, "second"), STORE_CONFLICT);
    /* rolled back: not seen */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(store_mo_seen(s, "third"), STORE_OK);
    store_tx_rollback(s);
    CU_ASSERT_EQUAL(store_mo_seen(s, "third"), STORE_OK);
    /* two transactions record one uuid at once: the second waits for the
     * first and is told it was seen (from the unique index's error when it
     * was already inserting, or from the row when it came later) */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(store_mo_seen(s, "raced"), STORE_OK);
    fflush(NULL);
    pid_t child = fork();
    CU_ASSERT_FATAL(child >= 0);
    if (child == 0) {
        struct store *other = testdb_open();
        if (other == NULL || store_tx_begin(other) != STORE_OK || store_tx_savepoint(other) != STORE_OK)
            _exit(2);
        _exit(store_mo_seen(other, "raced") == STORE_CONFLICT ? 0 : 1);
    }
    usleep(200 * 1000);   /* let the child reach the insert (either order is checked the same) */
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(child, &status, 0), child);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Runs fn in a child process: true when it dies of an assertion (SIGABRT).
 * The child only checks the store's own state and never talks to the
 * database on the connection it shares with the parent. */
static bool asserts_in_child(void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return false;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void begin_again(void) { (void)store_tx_begin(s); }
static void commit_unopened(void) { (void)store_tx_commit(s); }
static void release_unopened(void) { (void)store_tx_release(s); }

static void test_tx_savepoints(void)
{
    char id[STORE_ID_LEN], id2[STORE_ID_LEN];
    new_user("batcher", id);
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_TRUE(asserts_in_child(begin_again));       /* no nesting: a programmer error */
    CU_ASSERT_TRUE(asserts_in_child(release_unopened));  /* no savepoint of the caller's open */
    long long n1 = add_sms(id, "", "first of batch");
    /* a failing function (conflict) inside the batch undoes only itself */
    CU_ASSERT_EQUAL(store_user_create(s, "batcher", "password1", "en", id2), STORE_CONFLICT);
    struct store_sms_new big = { .body = "x", .body_len = 1, .source = "sms" };
    long long nx;
    CU_ASSERT_EQUAL(store_sms_add(s, "00000000-0000-0000-0000-000000000000", &big, &nx), STORE_NOT_FOUND);
    /* caller's own savepoints around a command */
    CU_ASSERT_EQUAL_FATAL(store_tx_savepoint(s), STORE_OK);
    long long n2 = add_sms(id, "", "undone by caller");
    store_tx_rollback_to(s);
    CU_ASSERT_EQUAL_FATAL(store_tx_savepoint(s), STORE_OK);
    long long n3 = add_sms(id, "", "kept by caller");
    CU_ASSERT_EQUAL(store_tx_release(s), STORE_OK);
    CU_ASSERT_EQUAL(store_mo_seen(s, "batch-mo"), STORE_OK);
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    struct store_sms m;
    CU_ASSERT_EQUAL(store_sms_get(s, id, n1, &m), STORE_OK);
    store_sms_cleanup(&m);
    /* the undone message's number was never committed, so the kept one has it */
    CU_ASSERT_EQUAL(n3, n2);
    CU_ASSERT_EQUAL_FATAL(store_sms_get(s, id, n3, &m), STORE_OK);
    CU_ASSERT_STRING_EQUAL(m.body, "kept by caller");
    store_sms_cleanup(&m);
    struct store_page pg = { .limit = 10 };
    struct store_sms_list l;
    CU_ASSERT_EQUAL_FATAL(store_sms_list(s, id, &pg, &l), STORE_OK);
    CU_ASSERT_EQUAL(l.count, 2);
    store_sms_list_cleanup(&l);
    struct store_usage u;
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.used_bytes, (long long)(strlen("first of batch") + strlen("kept by caller")));
    CU_ASSERT_TRUE(asserts_in_child(commit_unopened));   /* none open */
    /* a rolled-back batch leaves nothing */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    long long n4 = add_sms(id, "", "gone");
    store_tx_rollback(s);
    CU_ASSERT_EQUAL(store_sms_get(s, id, n4, &m), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.used_bytes, (long long)(strlen("first of batch") + strlen("kept by caller")));
}

/* Optimistic savepoints: what commits is what real savepoints would have
 * committed, or nothing (spoilt: the caller runs it again carefully). */
static void test_tx_optimistic(void)
{
    char id[STORE_ID_LEN], id2[STORE_ID_LEN];
    new_user("optimist", id);
    struct store_usage u;
    /* nothing to undo: it commits like a careful batch */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    store_tx_optimistic(s);
    CU_ASSERT_EQUAL(store_tx_savepoint(s), STORE_OK);
    long long n1 = add_sms(id, "", "kept");
    CU_ASSERT_EQUAL(store_tx_release(s), STORE_OK);
    CU_ASSERT_EQUAL(store_mo_seen(s, "optimistic-mo"), STORE_OK);
    CU_ASSERT_EQUAL(store_mo_seen(s, "optimistic-mo"), STORE_CONFLICT);   /* a re-delivery spoils nothing */
    CU_ASSERT_FALSE(store_tx_spoilt(s));
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    struct store_sms m;
    CU_ASSERT_EQUAL(store_sms_get(s, id, n1, &m), STORE_OK);
    store_sms_cleanup(&m);
    /* a failing statement (a name taken) spoils it: the commit is refused
     * and nothing of it stays */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    store_tx_optimistic(s);
    long long n2 = add_sms(id, "", "before the failure");
    CU_ASSERT_EQUAL(store_user_create(s, "optimist", "password1", "en", id2), STORE_CONFLICT);
    CU_ASSERT_TRUE(store_tx_spoilt(s));
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_ERR);
    CU_ASSERT_FALSE(store_tx_spoilt(s));   /* the next transaction starts clean */
    CU_ASSERT_EQUAL(store_sms_get(s, id, n2, &m), STORE_NOT_FOUND);
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.used_bytes, (long long)strlen("kept"));
    /* so does a rollback to a savepoint, which has nothing to go back to */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    store_tx_optimistic(s);
    CU_ASSERT_EQUAL(store_tx_savepoint(s), STORE_OK);
    add_sms(id, "", "undone");
    store_tx_rollback_to(s);
    CU_ASSERT_TRUE(store_tx_spoilt(s));
    store_tx_rollback(s);
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u), STORE_OK);
    CU_ASSERT_EQUAL(u.used_bytes, (long long)strlen("kept"));
    CU_ASSERT_EQUAL(u.sms_count, 1);
}

/* store_sms_save: the number and the space after it, without growth (one
 * statement) and with it (the locking path), the same as store_sms_add's */
static void test_sms_save(void)
{
    char id[STORE_ID_LEN], other[STORE_ID_LEN];
    new_user("saver", id);
    new_user("saver2", other);
    struct store_saved sv;
    struct store_sms_new in = { .body = "hello", .body_len = 5, .source = "sms" };
    CU_ASSERT_EQUAL_FATAL(store_sms_save(s, id, &in, &sv), STORE_OK);
    CU_ASSERT_EQUAL(sv.n, 1);
    CU_ASSERT_EQUAL(sv.used_bytes, 5);
    CU_ASSERT_EQUAL(sv.allocated_bytes, 10LL << 20);
    CU_ASSERT_FALSE(sv.grew);
    CU_ASSERT_EQUAL_FATAL(store_sms_save(s, other, &in, &sv), STORE_OK);
    CU_ASSERT_EQUAL(sv.n, 1);   /* numbers are per user */
    CU_ASSERT_EQUAL_FATAL(store_sms_save(s, id, &in, &sv), STORE_OK);
    CU_ASSERT_EQUAL(sv.n, 2);
    CU_ASSERT_EQUAL(sv.used_bytes, 10);
    /* leave less than the threshold (1 MiB of the 10 MiB) free: the next
     * save grows the space by the step (10 MiB) */
    CU_ASSERT_EQUAL(testdb_scalarf("UPDATE users SET used_bytes = used_bytes + %lld WHERE id = '%s' RETURNING 1",
                                   (10LL << 20) - (1LL << 20) - 10, id), 1);
    CU_ASSERT_EQUAL_FATAL(store_sms_save(s, id, &in, &sv), STORE_OK);
    CU_ASSERT_EQUAL(sv.n, 3);
    CU_ASSERT_TRUE(sv.grew);
    CU_ASSERT_EQUAL(sv.allocated_bytes, 20LL << 20);
    CU_ASSERT_EQUAL(sv.used_bytes, (10LL << 20) - (1LL << 20) + 5);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT count(*) FROM space_grants WHERE user_id = '%s'", id), 2);
    CU_ASSERT_EQUAL(testdb_scalarf("SELECT sum(size_bytes) FROM sms WHERE user_id = '%s'", id), 15);
    CU_ASSERT_EQUAL(store_sms_save(s, "00000000-0000-0000-0000-000000000000", &in, &sv), STORE_NOT_FOUND);
    struct store_sms_new empty = { .body = "", .body_len = 0, .source = "sms" };
    CU_ASSERT_EQUAL(store_sms_save(s, id, &empty, &sv), STORE_INVALID);
}

static void test_ping_and_names(void)
{
    CU_ASSERT_TRUE(store_ping(s));
    CU_ASSERT_STRING_EQUAL(store_result_name(STORE_NO_SPACE), "no-space");
    CU_ASSERT_STRING_EQUAL(store_result_name((enum store_result)99), "unknown");
    struct store *bad = NULL;
    struct store_config cfg = *testdb_config();
    cfg.conninfo = "host=/nonexistent port=1 dbname=x connect_timeout=2";
    CU_ASSERT_EQUAL(store_open(&cfg, &bad), STORE_RETRY);
    CU_ASSERT_PTR_NULL(bad);
    store_free(NULL);
}

/* The server drops the connection: one STORE_RETRY, then the store works again. */
static void test_connection_lost(void)
{
    char id[STORE_ID_LEN];
    new_user("survivor", id);
    const char *kill = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                       " WHERE datname = current_database() AND pid <> pg_backend_pid()";
    CU_ASSERT_EQUAL(testdb_scalar(kill), 1);
    struct store_sms_new in = { .body = "after the storm", .body_len = 15, .source = "sms" };
    long long n = 0;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_RETRY);
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_OK);
    struct store_sms m;
    CU_ASSERT_EQUAL(testdb_scalar(kill), 1);
    CU_ASSERT_EQUAL(store_sms_get(s, id, n, &m), STORE_RETRY);
    CU_ASSERT_EQUAL_FATAL(store_sms_get(s, id, n, &m), STORE_OK);
    CU_ASSERT_STRING_EQUAL(m.body, "after the storm");
    store_sms_cleanup(&m);
    /* inside an explicit transaction: RETRY, rollback, and a fresh start works */
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(testdb_scalar(kill), 1);
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_RETRY);
    store_tx_rollback(s);
    CU_ASSERT_EQUAL_FATAL(store_tx_begin(s), STORE_OK);
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_OK);
    CU_ASSERT_EQUAL(store_tx_commit(s), STORE_OK);
    CU_ASSERT_TRUE(store_ping(s));
}

/* ---- every text field at and just over its limit ---- */

static char *rep(char c, size_t n)
{
    char *p = malloc(n + 1);
    memset(p, c, n);
    p[n] = '\0';
    return p;
}

/* Malformed UTF-8: overlong '/', a surrogate, above U+10FFFF, a cut sequence, a bare continuation. */
static const char *const bad_utf8[] = { "a\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "ab\xE5\xAD", "\x80" };

static void test_field_limits(void)
{
    char id[STORE_ID_LEN], other[STORE_ID_LEN];
    struct store_usage u0, u1;
    long long n;

    /* user names: 3..32 ASCII letters/digits/_.-; passwords 8..128 bytes */
    char *name = rep('u', LIMIT_USERNAME_MAX + 1);
    CU_ASSERT_EQUAL(store_user_create(s, name, "password1", "en", other), STORE_INVALID);
    name[LIMIT_USERNAME_MAX] = '\0';
    CU_ASSERT_EQUAL(store_user_create(s, name, "password1", "en", id), STORE_OK);
    free(name);
    static const char *const bad_names[] = { "ab", "_abc", "al ice", ("al\xC3\xA9" "ce"), "abc\xE2\x80\x8B", "a;DROP" };
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        CU_ASSERT_EQUAL(store_user_create(s, bad_names[i], "password1", "en", other), STORE_INVALID);
    char *pw = rep('p', LIMIT_PASSWORD_MAX + 1);
    CU_ASSERT_EQUAL(store_user_create(s, "pwlong", pw, "en", other), STORE_INVALID);
    pw[LIMIT_PASSWORD_MAX] = '\0';
    CU_ASSERT_EQUAL(store_user_create(s, "pwlong", pw, "en", other), STORE_OK);
    CU_ASSERT_EQUAL(store_user_set_password(s, other, pw, "short", NULL), STORE_INVALID);
    free(pw);
    CU_ASSERT_EQUAL(store_usage_get(s, id, &u0), STORE_OK);

    /* SMS body: 1..LIMIT_SMS_BODY_MAX bytes of UTF-8 without NUL; peer up to LIMIT_PEER_MAX */
    char *body = rep('b', LIMIT_SMS_BODY_MAX + 1);
    struct store_sms_new in = { .body = body, .body_len = LIMIT_SMS_BODY_MAX + 1, .source = "sms" };
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_INVALID);
    in.body_len = LIMIT_SMS_BODY_MAX;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_OK);
    struct store_sms got = { 0 };
    CU_ASSERT_EQUAL_FATAL(store_sms_get(s, id, n, &got), STORE_OK);
    CU_ASSERT_EQUAL(got.body_len, LIMIT_SMS_BODY_MAX);
    CU_ASSERT_EQUAL(got.size_bytes, LIMIT_SMS_BODY_MAX);
    store_sms_cleanup(&got);
    in = (struct store_sms_new){ .body = "a\0b", .body_len = 3, .source = "sms" };   /* NUL inside the length */
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_INVALID);
    in.body_len = 0;
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_INVALID);
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        in = (struct store_sms_new){ .body = bad_utf8[i], .body_len = strlen(bad_utf8[i]), .source = "sms" };
        CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_INVALID);
        in = (struct store_sms_new){ .body = "ok", .body_len = 2, .peer = bad_utf8[i], .source = "sms" };
        CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_INVALID);
    }
    char *peer = rep('1', LIMIT_PEER_MAX + 1);
    in = (struct store_sms_new){ .body = "ok", .body_len = 2, .peer = peer, .source = "sms" };
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_INVALID);
    peer[LIMIT_PEER_MAX] = '\0';
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_OK);
    in.source = "evil";
    CU_ASSERT_EQUAL(store_sms_add(s, id, &in, &n), STORE_INVALID);
    /* a batch: the bad ones refused one by one, the good one stored */
    struct store_sms_new many[3] = {
        { .body = "good", .body_len = 4, .source = "import" },
        { .body = "x\0y", .body_len = 3, .source = "import" },
        { .body = body, .body_len = LIMIT_SMS_BODY_MAX + 1, .source = "import" },
    };
    enum store_result res[3];
    CU_ASSERT_EQUAL(store_sms_add_many(s, id, many, 3, res, NULL), STORE_OK);
    CU_ASSERT_EQUAL(res[0], STORE_OK);
    CU_ASSERT_EQUAL(res[1], STORE_INVALID);
    CU_ASSERT_EQUAL(res[2], STORE_INVALID);
    free(body);

    /* contacts: name 1..LIMIT_TEXT_FIELD_MAX, number a phone number up to LIMIT_PEER_MAX, vCard UTF-8 */
    char *cname = rep('n', LIMIT_TEXT_FIELD_MAX + 1);
    struct store_contact_new c = { .name = cname, .number = "123", .vcard = "V", .vcard_len = 1, .source = "web" };
    CU_ASSERT_EQUAL(store_contact_add(s, id, &c, &n), STORE_INVALID);
    cname[LIMIT_TEXT_FIELD_MAX] = '\0';
    CU_ASSERT_EQUAL(store_contact_add(s, id, &c, &n), STORE_OK);
    c.number = peer;                  /* LIMIT_PEER_MAX: fits */
    CU_ASSERT_EQUAL(store_contact_add(s, id, &c, &n), STORE_OK);
    peer[LIMIT_PEER_MAX] = '1';       /* one more */
    CU_ASSERT_EQUAL(store_contact_add(s, id, &c, &n), STORE_INVALID);
    /* the number is a phone number as written (common/msisdn.h): service
     * codes, words and two-digit numbers are refused */
    static const char *const not_numbers[] = { "*100#", "ext 12", "12", "call me" };
    for (size_t i = 0; i < sizeof not_numbers / sizeof not_numbers[0]; i++) {
        c.number = not_numbers[i];
        CU_ASSERT_EQUAL(store_contact_add(s, id, &c, &n), STORE_INVALID);
    }
    c.number = "(010) 1234-5678";
    CU_ASSERT_EQUAL(store_contact_add(s, id, &c, &n), STORE_OK);
    c.number = "123";
    c.vcard = "V\0W";
    c.vcard_len = 3;
    CU_ASSERT_EQUAL(store_contact_add(s, id, &c, &n), STORE_INVALID);
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        c = (struct store_contact_new){ .name = bad_utf8[i], .number = "123", .vcard = "V", .vcard_len = 1, .source = "web" };
        CU_ASSERT_EQUAL(store_contact_add(s, id, &c, &n), STORE_INVALID);
        c = (struct store_contact_new){ .name = "ok", .number = "123", .vcard = bad_utf8[i],
                                        .vcard_len = strlen(bad_utf8[i]), .source = "web" };
        CU_ASSERT_EQUAL(store_contact_add(s, id, &c, &n), STORE_INVALID);
    }
    c = (struct store_contact_new){ .name = "", .number = "123", .vcard = "V", .vcard_len = 1, .source = "web" };
    CU_ASSERT_EQUAL(store_contact_add(s, id, &c, &n), STORE_INVALID);

    /* MMS: subject and part names / types up to LIMIT_TEXT_FIELD_MAX, 1..64 parts; bytes with NULs kept */
    static const unsigned char bin[] = { 0, 1, 0, 0xFF, 0 };
    struct store_mms_part_new part = { .content_type = "image/png", .name = "a.png", .data = bin, .len = sizeof bin };
    struct store_mms_new m = { .peer = "123", .subject = cname, .source = "web", .parts = &part, .nparts = 1 };
    CU_ASSERT_EQUAL(store_mms_add(s, id, &m, &n), STORE_OK);   /* subject of LIMIT_TEXT_FIELD_MAX */
    struct store_mms_part pg = { 0 };
    CU_ASSERT_EQUAL_FATAL(store_mms_part_get(s, id, n, 0, &pg), STORE_OK);
    CU_ASSERT_EQUAL(pg.len, sizeof bin);
    CU_ASSERT_EQUAL(memcmp(pg.data, bin, sizeof bin), 0);
    store_mms_part_cleanup(&pg);
    cname[LIMIT_TEXT_FIELD_MAX] = 'n';
    CU_ASSERT_EQUAL(store_mms_add(s, id, &m, &n), STORE_INVALID);
    m.subject = "s";
    part.name = cname;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &m, &n), STORE_INVALID);
    part.name = "a.png";
    part.content_type = cname;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &m, &n), STORE_INVALID);
    part.content_type = "image/png";
    m.peer = peer;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &m, &n), STORE_INVALID);
    m.peer = "123";
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        m.subject = bad_utf8[i];
        CU_ASSERT_EQUAL(store_mms_add(s, id, &m, &n), STORE_INVALID);
    }
    m.subject = "s";
    struct store_mms_part_new parts[65];
    for (int i = 0; i < 65; i++)
        parts[i] = part;
    m.parts = parts;
    m.nparts = 65;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &m, &n), STORE_INVALID);
    m.nparts = 0;
    CU_ASSERT_EQUAL(store_mms_add(s, id, &m, &n), STORE_INVALID);
    free(cname);

    /* phones and the outbox: msisdn up to LIMIT_PEER_MAX, MT text like an SMS body */
    CU_ASSERT_EQUAL(store_phone_bind(s, peer, id), STORE_INVALID);
    char uid_out[STORE_ID_LEN];
    CU_ASSERT_EQUAL(store_phone_lookup(s, peer, uid_out), STORE_NOT_FOUND);   /* no such phone */
    struct store_outbox_new o = { .user_id = id, .msisdn = peer, .text = "hi", .text_len = 2 };
    CU_ASSERT_EQUAL(store_outbox_enqueue(s, &o, &n), STORE_INVALID);
    peer[LIMIT_PEER_MAX] = '\0';
    CU_ASSERT_EQUAL(store_phone_bind(s, peer, id), STORE_OK);
    o.msisdn = peer;
    o.text = "h\0i";
    o.text_len = 3;
    CU_ASSERT_EQUAL(store_outbox_enqueue(s, &o, &n), STORE_INVALID);
    o.text = bad_utf8[0];
    o.text_len = strlen(bad_utf8[0]);
    CU_ASSERT_EQUAL(store_outbox_enqueue(s, &o, &n), STORE_INVALID);
    free(peer);

    /* what was refused charged nothing: the space used is what the stored items take */
    CU_ASSERT_EQUAL(store_usage_get(s, id, &u1), STORE_OK);
    CU_ASSERT_EQUAL(u1.sms_count, 3);        /* the 64 KiB body, the long peer, the good one of the batch */
    CU_ASSERT_EQUAL(u1.contact_count, 3);   /* and the bracketed number */
    CU_ASSERT_EQUAL(u1.mms_count, 1);
    CU_ASSERT_EQUAL(u1.used_bytes - u0.used_bytes, LIMIT_SMS_BODY_MAX + 2 + 4 + 1 + 1 + 1 + (long long)sizeof bin);
}

/* One-line fields (numbers, names, types) refuse control characters: a
 * contact number with a newline in it would break every export format. */
static void test_one_line_fields(void)
{
    char id[STORE_ID_LEN];
    long long n;
    CU_ASSERT_EQUAL_FATAL(store_user_create(s, "lineuser", "password1", "en", id), STORE_OK);
    struct store_usage u0, u1;
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u0), STORE_OK);
    static const char *const bad[] = { "123\n456", "123\r", "\t123", ("12\x7f" "3"), "\x1b[31m" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct store_contact_new c = { .name = "Li Lei", .number = bad[i], .vcard = "BEGIN:VCARD", .vcard_len = 11,
                                       .source = "web" };
        CU_ASSERT_EQUAL(store_contact_add(s, id, &c, &n), STORE_INVALID);
        c.name = bad[i];
        c.number = "123";
        CU_ASSERT_EQUAL(store_contact_add(s, id, &c, &n), STORE_INVALID);
        struct store_sms_new m = { .peer = bad[i], .body = "hi", .body_len = 2, .source = "import" };
        CU_ASSERT_EQUAL(store_sms_add(s, id, &m, &n), STORE_INVALID);
        CU_ASSERT_EQUAL(store_phone_bind(s, bad[i], id), STORE_INVALID);
    }
    /* the body of a message keeps its newlines */
    struct store_sms_new m = { .peer = "+8613800000000", .body = "line 1\nline 2", .body_len = 13, .source = "web" };
    CU_ASSERT_EQUAL(store_sms_add(s, id, &m, &n), STORE_OK);
    CU_ASSERT_EQUAL_FATAL(store_usage_get(s, id, &u1), STORE_OK);
    CU_ASSERT_EQUAL(u1.used_bytes - u0.used_bytes, 13);
    CU_ASSERT_EQUAL(u1.contact_count, 0);
}

static void test_open(void) { s = testdb_open(); }
static void test_close(void) { store_free(s); s = NULL; }

static const struct test_entry tests[] = {
    { "open", test_open },
    { "sms add/get, Chinese and emoji byte-exact, bad input", test_sms_add_get },
    { "sms duplicates, numbers never reused", test_sms_duplicate_and_numbers },
    { "sms: every field as it came; duplicates by direction and second", test_sms_every_field },
    { "all that match: counted, deleted with space freed, bounded", test_items_matching },
    { "sms add many: duplicates, NULL dates, invalid items, numbers, literal text", test_sms_add_many },
    { "keyset paging over 1,000 items", test_paging_1000 },
    { "items above a number, while the highest is the same", test_items_above },
    { "lines of LIST as the whole rows say", test_lines_as_the_rows },
    { "SQL metacharacters stored and searched literally", test_metacharacters_literal },
    { "search: Chinese, case, peer, per user", test_search_chinese_and_peer },
    { "phones bind/move/unbind/list", test_phones },
    { "msisdn key = migration 003's SQL key", test_msisdn_key_matches_migration },
    { "mo_seen", test_mo_seen },
    { "explicit tx with savepoints", test_tx_savepoints },
    { "explicit tx with optimistic savepoints: commits or is spoilt", test_tx_optimistic },
    { "sms save: number and space after, with and without growth", test_sms_save },
    { "ping, result names, failed open", test_ping_and_names },
    { "connection lost: one RETRY, then usable", test_connection_lost },
    { "every text field at and over its limit, bad UTF-8, NUL in lengths", test_field_limits },
    { "one-line fields refuse control characters", test_one_line_fields },
    { "close", test_close },
};

int main(void)
{
    return suite_main("items", tests, sizeof tests / sizeof tests[0]);
}
