/*
 * store_testdb — fresh database per suite for store tests (see store_testdb.h).
 */
#include "store_testdb.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"

static char dbname[64];
static char *conninfo;
static struct store_config cfg;

/* key='value' with ' and \ escaped, as libpq's conninfo syntax wants */
static void append_kv(struct buf *b, const char *k, const char *v)
{
    buf_printf(b, "%s%s='", b->len ? " " : "", k);
    for (const char *p = v; *p; p++) {
        if (*p == '\'' || *p == '\\')
            buf_putc(b, '\\');
        buf_putc(b, *p);
    }
    buf_putc(b, '\'');
}

static char *conninfo_with_db(const char *uri, const char *db)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(uri, &err);
    if (opts == NULL) {
        fprintf(stderr, "testdb: SMSVAULT_TEST_PGURI does not parse: %s\n", err ? err : "");
        PQfreemem(err);
        return NULL;
    }
    struct buf b = { 0 };
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && o->val[0] && strcmp(o->keyword, "dbname") != 0)
            append_kv(&b, o->keyword, o->val);
    append_kv(&b, "dbname", db);
    PQconninfoFree(opts);
    return buf_steal(&b, NULL);
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int admin(const char *sql)
{
    const char *uri = getenv("SMSVAULT_TEST_PGURI");
    PGconn *c = PQconnectdb(uri);
    int rc = 0;
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "testdb: cannot connect: %s", PQerrorMessage(c));
        rc = -1;
    } else {
        PQsetNoticeProcessor(c, quiet, NULL);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "testdb: %s: %s", sql, PQresultErrorMessage(r));
            rc = -1;
        }
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}

int testdb_create(const char *suite)
{
    const char *uri = getenv("SMSVAULT_TEST_PGURI");
    if (uri == NULL || uri[0] == '\0') {
        fprintf(stderr, "testdb: SMSVAULT_TEST_PGURI is not set (this suite needs PostgreSQL)\n");
        return -1;
    }
    snprintf(dbname, sizeof dbname, "smsvault_t_%s_%ld", suite, (long)getpid());
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", dbname);
    if (admin(sql) != 0)
        return -1;
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'", dbname);
    if (admin(sql) != 0)
        return -1;
    conninfo = conninfo_with_db(uri, dbname);
    if (conninfo == NULL)
        return -1;
    cfg = (struct store_config){
        .conninfo = conninfo,
        .initial_bytes = 10LL << 20, .threshold_bytes = 1LL << 20, .step_bytes = 10LL << 20,
        .user_cap_bytes = 1LL << 30, .capacity_bytes = 1LL << 40, .login_free_failures = 3,
    };
    struct store *s = NULL;
    if (store_open(&cfg, &s) != STORE_OK) {
        fprintf(stderr, "testdb: store_open failed\n");
        return -1;
    }
    enum store_result rc = store_migrate(s);
    store_free(s);
    if (rc != STORE_OK) {
        fprintf(stderr, "testdb: migrate failed: %s\n", store_result_name(rc));
        return -1;
    }
    return 0;
}

struct store_config *testdb_config(void)
{
    return &cfg;
}

struct store *testdb_open(void)
{
    struct store *s = NULL;
    if (store_open(&cfg, &s) != STORE_OK) {
        fprintf(stderr, "testdb: store_open failed\n");
        abort();
    }
    return s;
}

long long testdb_scalar(const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    long long v = -1;
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    else if (PQresultStatus(r) == PGRES_COMMAND_OK)
        v = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    PQfinish(c);
    return v;
}

long long testdb_scalarf(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof sql)
        abort();   /* a test's statement too long: a programmer error */
    return testdb_scalar(sql);
}

struct testdb_session {
    PGconn *c;
};

static bool command_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "testdb: %s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    return ok;
}

struct testdb_session *testdb_hold(const char *sql)
{
    struct testdb_session *t = xcalloc(1, sizeof *t);
    t->c = PQconnectdb(conninfo);
    if (PQstatus(t->c) != CONNECTION_OK || !command_ok(t->c, "BEGIN") || !command_ok(t->c, sql)) {
        fprintf(stderr, "testdb: hold failed: %s", PQerrorMessage(t->c));
        abort();
    }
    return t;
}

void testdb_release(struct testdb_session *t)
{
    if (t == NULL)
        return;
    (void)command_ok(t->c, "ROLLBACK");
    PQfinish(t->c);
    free(t);
}

void testdb_drop(void)
{
    if (dbname[0]) {
        char sql[160];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
        (void)admin(sql);
    }
    free(conninfo);
    conninfo = NULL;
}

long long testdb_outbox_row(struct store *s, const char *user_id, const char *msisdn, const char *text)
{
    struct store_outbox_new in = { .user_id = user_id, .msisdn = msisdn, .text = text, .text_len = strlen(text) };
    long long id = 0;
    enum store_result rc = store_outbox_enqueue(s, &in, &id);
    if (rc != STORE_OK) {
        fprintf(stderr, "testdb_outbox_row: %s\n", store_result_name(rc));
        return -1;
    }
    return id;
}

int testdb_outbox_state(struct store *s, long long id)
{
    enum store_outbox_state st = OUTBOX_QUEUED;
    return store_outbox_state(s, id, &st) == STORE_OK ? (int)st : -1;
}
