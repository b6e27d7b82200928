/*
 * store — the connection (its statements prepared once per session), the
 * result checker, the transaction frame (real or optimistic savepoints) and
 * the small helpers every other store file uses (see store.h, store_int.h).
 * It holds no SQL of any item kind; each verb lives in its own file.
 */
#include "store_int.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uuid/uuid.h>

#include "alloc.h"
#include "buf.h"
#include "credential.h"
#include "log.h"
#include "metrics.h"
#include "utf8.h"

const struct config_key store_config_keys[] = {
    { "database", "conninfo", CONFIG_STRING, "dbname=smsvault", 0, 0,
      offsetof(struct store_config, conninfo),
      "libpq connection string, or @NAME: the systemd credential NAME holds it "
      "(env SMSVAULT_PGURI overrides it in vaultctl)" },
    { "quota", "initial", CONFIG_BYTES, "10M", 0, 1LL << 50,
      offsetof(struct store_config, initial_bytes), "allocation given at registration" },
    { "quota", "threshold", CONFIG_BYTES, "1M", 0, 1LL << 50,
      offsetof(struct store_config, threshold_bytes), "grow when less than this would be left" },
    { "quota", "step", CONFIG_BYTES, "10M", 1, 1LL << 50,
      offsetof(struct store_config, step_bytes), "grow by at least this much" },
    { "quota", "user_cap", CONFIG_BYTES, "1G", 0, 1LL << 50,
      offsetof(struct store_config, user_cap_bytes), "a user's allocation never exceeds this" },
    { "quota", "capacity", CONFIG_BYTES, "1T", 0, 1LL << 56,
      offsetof(struct store_config, capacity_bytes), "the sum of all allocations never exceeds this" },
    { "login", "free_failures", CONFIG_INT, "5", 1, 1000,
      offsetof(struct store_config, login_free_failures),
      "failed logins of one name (account or not) before it is slowed down" },
};
const size_t store_config_nkeys = sizeof store_config_keys / sizeof store_config_keys[0];

int store_config_resolve(struct store_config *cfg, char *err, size_t errlen)
{
    return credential_resolve(&cfg->conninfo, "[database] conninfo", err, errlen);
}

const char *store_result_name(enum store_result r)
{
    static const char *const names[] = {
        [STORE_OK] = "ok", [STORE_NOT_FOUND] = "not-found", [STORE_NO_SPACE] = "no-space",
        [STORE_CONFLICT] = "conflict", [STORE_RETRY] = "retry", [STORE_INVALID] = "invalid",
        [STORE_DENIED] = "denied", [STORE_THROTTLED] = "throttled", [STORE_ERR] = "error",
    };
    if ((unsigned)r < sizeof names / sizeof names[0] && names[r])
        return names[r];
    return "unknown";
}

/* ---- metrics (store_metrics_declare): NULL until declared, then shared by
 * every connection of the process (atomics) ---- */

static struct {
    struct metric *reconnects, *connect_failures, *grants, *granted_bytes;
} st_metrics;

void store_metrics_declare(struct metrics *reg)
{
    st_metrics.reconnects = metrics_counter(
        reg, "smsvault_db_reconnects_total",
        "Database connections found lost (server restart, network); each is made again.", NULL, 0, 0);
    st_metrics.connect_failures = metrics_counter(
        reg, "smsvault_db_connect_failures_total", "Attempts to connect to the database that failed.", NULL, 0, 0);
    st_metrics.grants = metrics_counter(
        reg, "smsvault_space_grants_total",
        "Times a user's allocation grew by itself (the self-growing space), in committed transactions.", NULL, 0,
        0);
    st_metrics.granted_bytes = metrics_counter(
        reg, "smsvault_space_granted_bytes_total", "Bytes those growths added to the users' allocations.", NULL,
        0, 0);
}

/* The connection was found lost: counted once until it is made again. */
static void mark_lost(struct store *s)
{
    if (!s->lost)
        metric_inc(st_metrics.reconnects, 0);
    s->lost = true;
}

void st_space_grown(struct store *s, long long bytes)
{
    s->grown.grants++;
    s->grown.bytes += bytes;
}

/* The transaction committed (grown counted) or rolled back (forgotten). */
static void grown_settle(struct store *s, bool committed)
{
    if (committed && s->grown.grants > 0) {
        metric_add(st_metrics.grants, 0, (uint64_t)s->grown.grants);
        metric_add(st_metrics.granted_bytes, 0, (uint64_t)s->grown.bytes);
    }
    s->grown = (struct st_grown){ 0, 0 };
}

/* ---- connection ---- */

/*
 * What every new session (the first connect and each reconnect) sets up,
 * and the check that it can write: a conninfo naming several hosts finds
 * the primary through target_session_attrs=read-write (docs/HA.md), but
 * without it libpq takes the first host that answers, which may be a
 * standby. Such a session is refused (STORE_RETRY: the standby may be
 * promoted, or the primary come back). What else belonged to the old
 * session is forgotten with it (forget_session: its prepared statements,
 * prepared again on first use, and the outbox lease's backend), and its
 * one LISTEN is taken again by its user (store_outbox_listen).
 */
static enum store_result session_setup(struct store *s, const char *how)
{
    PGresult *r = PQexec(s->conn, "SET client_min_messages = warning; SET TIME ZONE 'UTC';"
                                  " SELECT pg_is_in_recovery()");
    enum store_result rc = st_check(s, r, "session-setup");
    bool standby = rc == STORE_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (rc != STORE_OK)
        return rc;
    if (standby) {
        log_warn("store: %s-refused host=%s port=%s reason=standby (list every node with "
                 "target_session_attrs=read-write)", how, PQhost(s->conn), PQport(s->conn));
        return STORE_RETRY;
    }
    /* host and port only: never the rest of the connection string; a
     * reconnect is news (a restart, a failover), every first connect not */
    if (strcmp(how, "connected") == 0)
        log_debug("store: %s host=%s port=%s", how, PQhost(s->conn), PQport(s->conn));
    else
        log_info("store: %s host=%s port=%s", how, PQhost(s->conn), PQport(s->conn));
    return STORE_OK;
}

enum store_result store_open(const struct store_config *cfg, struct store **out)
{
    struct store *s = xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    s->cfg.conninfo = xstrdup(cfg->conninfo ? cfg->conninfo : "");
    s->conn = PQconnectdb(s->cfg.conninfo);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        /* the libpq message names host and port, never a password */
        const char *msg = PQerrorMessage(s->conn);
        log_error("store: connect-failed error=\"%.*s\"", (int)strcspn(msg, "\n"), msg);
        metric_inc(st_metrics.connect_failures, 0);
        store_free(s);
        return STORE_RETRY;
    }
    enum store_result rc = session_setup(s, "connected");
    if (rc != STORE_OK) {
        store_free(s);
        return rc;
    }
    *out = s;
    return STORE_OK;
}

/* The connection is new (or reset): nothing is prepared on it, and no lock
 * of an earlier session is held. */
static void forget_session(struct store *s)
{
    for (int i = 0; i < s->nprepared; i++)
        free(s->prepared[i].sql);
    s->nprepared = 0;
    s->lease_backend = 0;
}

void store_free(struct store *s)
{
    if (s == NULL)
        return;
    forget_session(s);
    st_handed_truncate(s, 0);
    free(s->handed);
    if (s->conn)
        PQfinish(s->conn);
    free(s->cfg.conninfo);
    free(s);
}

bool store_ping(struct store *s)
{
    if (PQstatus(s->conn) == CONNECTION_OK && !s->reset_needed) {
        PGresult *r = PQexec(s->conn, "SELECT 1");
        bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        if (ok)
            return true;
    }
    log_warn("store: reconnect");
    mark_lost(s);
    /* a new connection with the same conninfo: after a failover libpq tries
     * the hosts in order and keeps the one that takes writes. Not PQreset:
     * after a reset that found no host taking writes (mid-failover),
     * PQreset of that connection kept failing once a new primary was up
     * (seen in failover_e2e: the sender never came back), while a new
     * PQconnectdb found it at once. */
    PQfinish(s->conn);
    s->conn = PQconnectdb(s->cfg.conninfo);
    forget_session(s);
    s->explicit_tx = false;
    s->optimistic = s->spoilt = false;
    s->own_tx = false;
    s->depth = 0;
    s->listening = false;
    s->reset_needed = false;
    grown_settle(s, false);   /* the transaction went with the connection */
    st_handed_truncate(s, 0);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(s->conn);
        log_warn("store: reconnect-failed error=\"%.*s\"", (int)strcspn(msg, "\n"), msg);
        metric_inc(st_metrics.connect_failures, 0);
        return false;
    }
    if (session_setup(s, "reconnected") == STORE_OK) {
        s->lost = false;
        return true;
    }
    s->reset_needed = true;   /* a standby: the next ping connects again */
    return false;
}

void store_test_clock_offset(struct store *s, int seconds)
{
    s->clock_offset_s = seconds;
}

/* ---- the checker ---- */

enum store_result st_check(struct store *s, const PGresult *r, const char *name)
{
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return STORE_OK;
    if (s->explicit_tx && s->optimistic)
        s->spoilt = true;   /* the server aborted the transaction: no savepoint to go back to */
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state == NULL)
        state = "";
    if (strcmp(state, "23505") == 0) {
        log_debug("store: conflict stmt=%s", name);
        return STORE_CONFLICT;
    }
    bool lost = PQstatus(s->conn) != CONNECTION_OK || strncmp(state, "08", 2) == 0 ||
                strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
    /* read_only_sql_transaction: this session's server is a standby now
     * (a demoted primary): connect again, to the one that takes writes */
    if (strcmp(state, "25006") == 0) {
        s->reset_needed = true;
        lost = true;
    }
    if (lost)
        mark_lost(s);
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || lost) {
        log_warn("store: retry stmt=%s sqlstate=%s%s", name, state, lost ? " connection=lost" : "");
        return STORE_RETRY;
    }
    /* the server's message may quote data: only at debug */
    log_error("store: sql-error stmt=%s sqlstate=%s", name, state);
    log_debug("store: sql-error stmt=%s message=\"%s\"", name, r ? PQresultErrorMessage(r) : "");
    return STORE_ERR;
}

/* A connection found broken between transactions is reset once, so a
 * restarted server costs the caller one STORE_RETRY at most. */
static void revive(struct store *s)
{
    if ((PQstatus(s->conn) != CONNECTION_OK || s->reset_needed) && !s->explicit_tx && !s->own_tx)
        (void)store_ping(s);
}

static uint64_t sql_hash(const char *sql)
{
    uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */
    for (const unsigned char *c = (const unsigned char *)sql; *c; c++)
        h = (h ^ *c) * 0x100000001b3ULL;
    return h;
}

/* The server-side name of sql prepared on this connection, preparing it the
 * first time (one round trip more, once per connection); false when it is
 * not (the table is full, or the server refused: running it unprepared then
 * gives the caller the server's own answer). */
static bool prepared_name(struct store *s, const char *sql, int n, char name[16])
{
    uint64_t h = sql_hash(sql);
    for (int i = 0; i < s->nprepared; i++) {
        if (s->prepared[i].hash == h && strcmp(s->prepared[i].sql, sql) == 0) {
            snprintf(name, 16, "sv%d", i);
            return true;
        }
    }
    if (s->nprepared == ST_PREPARED_MAX || PQstatus(s->conn) != CONNECTION_OK ||
        PQtransactionStatus(s->conn) == PQTRANS_INERROR)
        return false;
    snprintf(name, 16, "sv%d", s->nprepared);
    PGresult *r = PQprepare(s->conn, name, sql, n, NULL);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok)
        return false;
    s->prepared[s->nprepared].hash = h;
    s->prepared[s->nprepared].sql = xstrdup(sql);
    s->nprepared++;
    return true;
}

enum store_result st_exec_bin(struct store *s, const char *name, const char *sql, int n,
                              const char *const *values, const int *lengths, const int *formats,
                              PGresult **out)
{
    if (s->explicit_tx && s->spoilt) {
        /* the server has aborted this transaction: nothing more can run in
         * it, and the caller runs it all again (store_tx_optimistic) */
        log_debug("store: skipped stmt=%s reason=spoilt", name);
        return STORE_ERR;
    }
    revive(s);
    /* prepared: the server parses and plans each statement once per session */
    char pname[16];
    PGresult *r = prepared_name(s, sql, n, pname)
                      ? PQexecPrepared(s->conn, pname, n, values, lengths, formats, 0)
                      : PQexecParams(s->conn, sql, n, NULL, values, lengths, formats, 0);
    enum store_result rc = st_check(s, r, name);
    if (rc == STORE_OK && out)
        *out = r;
    else
        PQclear(r);
    return rc;
}

enum store_result st_exec_custom(struct store *s, const char *name, const char *sql, int n,
                                 const char *const *values, PGresult **out)
{
    if (s->explicit_tx && s->spoilt)
        return STORE_ERR;
    revive(s);
    PGresult *r = PQexecParams(s->conn, sql, n, NULL, values, NULL, NULL, 0);
    enum store_result rc = st_check(s, r, name);
    if (rc == STORE_OK && out)
        *out = r;
    else
        PQclear(r);
    return rc;
}

enum store_result st_exec(struct store *s, const char *name, const char *sql,
                          int n, const char *const *values, PGresult **out)
{
    return st_exec_bin(s, name, sql, n, values, NULL, NULL, out);
}

enum store_result st_exec_some(struct store *s, const char *name, const char *sql, int n,
                               const char *const *values, const int *lengths, const int *formats)
{
    PGresult *r = NULL;
    enum store_result rc = st_exec_bin(s, name, sql, n, values, lengths, formats, &r);
    if (rc == STORE_OK && strcmp(PQcmdTuples(r), "0") == 0)
        rc = STORE_NOT_FOUND;
    PQclear(r);
    return rc;
}

static enum store_result exec_plain(struct store *s, const char *name, const char *sql)
{
    PGresult *r = PQexec(s->conn, sql);
    enum store_result rc = st_check(s, r, name);
    PQclear(r);
    return rc;
}

/* ---- transactions ---- */

/* COMMIT; on failure make sure nothing is left open. */
static enum store_result commit_now(struct store *s)
{
    PGresult *r = PQexec(s->conn, "COMMIT");
    enum store_result rc = st_check(s, r, "commit");
    /* COMMIT of an aborted transaction answers ROLLBACK without an error */
    if (rc == STORE_OK && strcmp(PQcmdStatus(r), "ROLLBACK") == 0)
        rc = STORE_RETRY;
    PQclear(r);
    if (rc != STORE_OK && PQstatus(s->conn) == CONNECTION_OK &&
        PQtransactionStatus(s->conn) != PQTRANS_IDLE)
        (void)exec_plain(s, "rollback", "ROLLBACK");
    grown_settle(s, rc == STORE_OK);
    /* a deferred unique violation at commit is not the caller's conflict */
    return rc == STORE_CONFLICT ? STORE_ERR : rc;
}

/* Misusing the frame (nesting, committing or releasing what was never
 * opened) is a programmer error, not a database result: asserts. */

static enum store_result tx_begin(struct store *s, const char *sql)
{
    assert(!s->explicit_tx && "store_tx_begin: transactions do not nest");
    revive(s);
    enum store_result rc = exec_plain(s, "begin", sql);
    if (rc == STORE_OK) {
        s->explicit_tx = true;
        s->optimistic = s->spoilt = false;
        s->depth = 0;
        grown_settle(s, false);
        st_handed_truncate(s, 0);   /* what an earlier transaction handed over is not this one's */
    }
    return rc;
}

enum store_result store_tx_begin(struct store *s) { return tx_begin(s, "BEGIN"); }

enum store_result store_tx_begin_snapshot(struct store *s)
{
    return tx_begin(s, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
}

enum store_result store_tx_commit(struct store *s)
{
    assert(s->explicit_tx && "store_tx_commit: no store_tx_begin");
    bool spoilt = s->spoilt;
    s->explicit_tx = false;
    s->optimistic = s->spoilt = false;
    s->depth = 0;
    if (spoilt) {
        log_error("store: commit-refused reason=spoilt-optimistic-transaction");
        (void)exec_plain(s, "rollback", "ROLLBACK");
        return STORE_ERR;
    }
    return commit_now(s);
}

void store_tx_optimistic(struct store *s)
{
    assert(s->explicit_tx && "store_tx_optimistic: no store_tx_begin");
    s->optimistic = true;
}

bool store_tx_spoilt(const struct store *s)
{
    return s->spoilt;
}

void store_tx_rollback(struct store *s)
{
    s->explicit_tx = false;
    s->optimistic = s->spoilt = false;
    s->depth = 0;
    grown_settle(s, false);
    st_handed_truncate(s, 0);
    if (PQstatus(s->conn) == CONNECTION_OK)
        (void)exec_plain(s, "rollback", "ROLLBACK");
}

static enum store_result savepoint_cmd(struct store *s, const char *verb, int depth)
{
    char sql[64];
    snprintf(sql, sizeof sql, "%s sp%d", verb, depth);
    return exec_plain(s, verb, sql);
}

enum store_result store_tx_savepoint(struct store *s)
{
    assert(s->explicit_tx && "store_tx_savepoint: no store_tx_begin");
    assert(s->depth < ST_SAVEPOINTS_MAX && "store_tx_savepoint: too many savepoints at once");
    enum store_result rc = s->optimistic ? STORE_OK : savepoint_cmd(s, "SAVEPOINT", s->depth + 1);
    if (rc == STORE_OK) {
        s->depth++;
        s->grown_at[s->depth] = s->grown;
        s->handed_at[s->depth] = s->nhanded;
    }
    return rc;
}

enum store_result store_tx_release(struct store *s)
{
    assert(s->explicit_tx && s->depth > 0 && "store_tx_release: no savepoint open");
    enum store_result rc = s->optimistic ? STORE_OK : savepoint_cmd(s, "RELEASE SAVEPOINT", s->depth);
    s->depth--;
    return rc;
}

void store_tx_rollback_to(struct store *s)
{
    assert(s->explicit_tx && s->depth > 0 && "store_tx_rollback_to: no savepoint open");
    if (s->optimistic) {
        s->spoilt = true;   /* there is no savepoint: all of it is undone by the caller */
    } else {
        (void)savepoint_cmd(s, "ROLLBACK TO SAVEPOINT", s->depth);
        (void)savepoint_cmd(s, "RELEASE SAVEPOINT", s->depth);
    }
    s->grown = s->grown_at[s->depth];   /* what grew after the savepoint did not happen */
    st_handed_truncate(s, s->handed_at[s->depth]);   /* nor were those rows inserted */
    s->depth--;
}

enum store_result st_tx_start(struct store *s)
{
    if (s->explicit_tx)
        return store_tx_savepoint(s);
    revive(s);
    enum store_result rc = exec_plain(s, "begin", "BEGIN");
    s->own_tx = rc == STORE_OK;
    if (rc == STORE_OK)
        grown_settle(s, false);
    return rc;
}

enum store_result st_tx_end(struct store *s, bool commit)
{
    if (s->explicit_tx) {
        if (commit)
            return store_tx_release(s);
        store_tx_rollback_to(s);
        return STORE_OK;
    }
    s->own_tx = false;
    if (!commit) {
        if (PQstatus(s->conn) == CONNECTION_OK)
            (void)exec_plain(s, "rollback", "ROLLBACK");
        grown_settle(s, false);
        return STORE_OK;
    }
    return commit_now(s);
}

enum store_result st_tx_finish(struct store *s, enum store_result rc)
{
    enum store_result end = st_tx_end(s, rc == STORE_OK);
    return rc == STORE_OK ? end : rc;
}

/* ---- helpers ---- */

void st_array_init(struct st_array *a) { memset(a, 0, sizeof *a); }

/* The separator before an element: '{' for the first, ',' after that. */
static void array_sep(struct st_array *a)
{
    assert(!a->closed);
    buf_putc(&a->text, a->text.len ? ',' : '{');
}

void st_array_text(struct st_array *a, const char *v, size_t len)
{
    if (v == NULL) {
        st_array_null(a);
        return;
    }
    array_sep(a);
    buf_putc(&a->text, '"');
    size_t run = 0;   /* the bytes from run on go in as they are ... */
    for (size_t i = 0; i < len; i++) {
        if (v[i] == '"' || v[i] == '\\') {
            buf_append(&a->text, v + run, i - run);
            buf_putc(&a->text, '\\');   /* ... up to a quote or backslash, escaped */
            run = i;
        }
    }
    buf_append(&a->text, v + run, len - run);
    buf_putc(&a->text, '"');
}

void st_array_ll(struct st_array *a, long long v)
{
    array_sep(a);
    buf_printf(&a->text, "%lld", v);
}

void st_array_null(struct st_array *a)
{
    array_sep(a);
    buf_puts(&a->text, "NULL");
}

const char *st_array_get(struct st_array *a)
{
    if (!a->closed) {
        if (a->text.len == 0)
            buf_putc(&a->text, '{');
        buf_putc(&a->text, '}');
        a->closed = true;
    }
    return buf_cstr(&a->text);
}

void st_array_cleanup(struct st_array *a)
{
    buf_cleanup(&a->text);
    memset(a, 0, sizeof *a);
}

/* ---- what a file said, kept as written ---- */

bool st_valid_fields(const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (values[i] && !st_valid_text(values[i], LIMIT_ATTR_VALUE_MAX, true))
            return false;
    return true;
}

/* A name the export can write back as an XML attribute name as it came:
 * one line of UTF-8 (a name may be Chinese), not starting with a digit, '-'
 * or '.', and none of the characters that would end or break the name
 * (space, quotes, <, >, &, =, /) nor a namespace prefix's ':'. */
static bool attr_name_valid(const char *name)
{
    if (!st_valid_line(name, LIMIT_ATTR_NAME_MAX, false) || isdigit((unsigned char)name[0]) || name[0] == '-' ||
        name[0] == '.')
        return false;
    return strpbrk(name, " \"'<>&=/:") == NULL;
}

bool st_valid_attrs(const struct store_attr_new *a, size_t n)
{
    if (n > LIMIT_ATTRS_MAX || (n > 0 && a == NULL))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!attr_name_valid(a[i].name) || a[i].value == NULL ||
            !st_valid_text(a[i].value, LIMIT_ATTR_VALUE_MAX, true))
            return false;
    return true;
}

void st_array_attrs(struct st_array *names, struct st_array *values, const struct store_attr_new *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        st_array_text(names, a[i].name, strlen(a[i].name));
        st_array_text(values, a[i].value, strlen(a[i].value));
    }
}

void st_cols(struct buf *b, const char *prefix, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_printf(b, ", %s%s", prefix, names[i]);
}

/* PostgreSQL's array output (array_out): elements separated by ',', quoted
 * with "..." and backslash escapes when they hold special characters, and an
 * unquoted NULL for NULL. */
bool st_array_parse(const char *lit, char ***out, size_t *count)
{
    const char *p = lit;
    char **v = NULL;
    size_t n = 0, cap = 0;
    struct buf e;
    buf_init(&e);
    if (p == NULL || *p++ != '{')
        return false;
    if (*p == '}' && p[1] == '\0')
        goto done;
    for (;;) {
        bool quoted = *p == '"', null = false;
        buf_cleanup(&e);
        buf_init(&e);
        if (quoted) {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                buf_putc(&e, *p);
            }
            if (*p++ != '"')
                goto bad;
        } else {
            const char *start = p;
            while (*p && *p != ',' && *p != '}')
                p++;
            buf_append(&e, start, (size_t)(p - start));
            null = p - start == 4 && strncasecmp(start, "NULL", 4) == 0;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            v = xrealloc(v, cap * sizeof *v);
        }
        v[n++] = null ? NULL : buf_steal(&e, NULL);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '}' && p[1] == '\0')
            break;
        goto bad;
    }
done:
    buf_cleanup(&e);
    *out = v;
    *count = n;
    return true;
bad:
    buf_cleanup(&e);
    store_strings_free(v, n);
    return false;
}

void st_get_attrs(const PGresult *r, int row, int col_names, int col_values, struct store_attr **out,
                  size_t *count)
{
    char **names = NULL, **values = NULL;
    size_t nn = 0, nv = 0;
    *out = NULL;
    *count = 0;
    bool ok = st_array_parse(PQgetvalue(r, row, col_names), &names, &nn);
    if (ok && !st_array_parse(PQgetvalue(r, row, col_values), &values, &nv))
        ok = false;
    if (ok && nn == nv && nn > 0) {
        struct store_attr *a = xcalloc(nn, sizeof *a);
        for (size_t i = 0; i < nn; i++) {
            a[i].name = names[i] ? names[i] : xstrdup("");
            a[i].value = values[i] ? values[i] : xstrdup("");
        }
        free(names);
        free(values);
        *out = a;
        *count = nn;
        return;
    }
    store_strings_free(names, nn);
    store_strings_free(values, nv);
}

void st_attrs_free(struct store_attr *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].name);
        free(a[i].value);
    }
    free(a);
}

char *st_getdup_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : xstrdup(PQgetvalue(r, row, col));
}

void st_lld(char buf[24], long long v)
{
    snprintf(buf, 24, "%lld", v);
}

long long st_getll(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

time_t st_gettime(const PGresult *r, int row, int col)
{
    return (time_t)st_getll(r, row, col);
}

void st_getms(const PGresult *r, int row, int col, time_t *sec, int *ms)
{
    long long v = st_getll(r, row, col);
    *sec = (time_t)(v / 1000);
    *ms = (int)(v % 1000);
}

enum store_result st_item_query(struct store *s, const char *name, const char *sql, const char *user_id,
                                long long n, PGresult **out)
{
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    char nb[24];
    st_lld(nb, n);
    const char *p[] = { user_id, nb };
    return st_exec(s, name, sql, 2, p, out);
}

char *st_getdup(const PGresult *r, int row, int col)
{
    return xstrdup(PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

bool st_valid_id(const char *id)
{
    uuid_t u;
    return id != NULL && strlen(id) == 36 && uuid_parse(id, u) == 0;
}

bool st_valid_text(const char *s, size_t max, bool allow_empty)
{
    if (s == NULL)
        return allow_empty;
    size_t len = strnlen(s, max + 1);
    if (len > max || (len == 0 && !allow_empty))
        return false;
    return utf8_valid(s, len);
}

bool st_valid_line(const char *s, size_t max, bool allow_empty)
{
    if (!st_valid_text(s, max, allow_empty))
        return false;
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++)
        if (*c < 0x20 || *c == 0x7F)
            return false;
    return true;
}

bool st_valid_source(const char *src)
{
    return src && (strcmp(src, "sms") == 0 || strcmp(src, "web") == 0 || strcmp(src, "import") == 0 ||
                   strcmp(src, "mm7") == 0);
}

bool st_valid_page(const struct store_page *p)
{
    return p && p->limit >= 1 && p->limit <= LIMIT_PAGE_MAX && p->before_n >= 0 &&
           (p->search == NULL || st_valid_text(p->search, LIMIT_SEARCH_BYTES_MAX, true));
}

const char *const st_item_tables[3] = {
    [STORE_SMS] = "sms", [STORE_MMS] = "mms", [STORE_CONTACT] = "contacts",
};

static const char *const sms_search[] = { "c.body", "c.peer", NULL };
static const char *const mms_search[] = { "c.subject", "c.peer", "c.text", NULL };
static const char *const contact_search[] = { "c.name", "c.number", NULL };
const char *const *const st_search_cols[3] = {
    [STORE_SMS] = sms_search, [STORE_MMS] = mms_search, [STORE_CONTACT] = contact_search,
};
/* the trigram index's expression over the same columns (migration 009):
 * SMS only */
const char *const st_search_keys[3] = {
    [STORE_SMS] = "sv_search_key(c.body || ' ' || c.peer)", [STORE_MMS] = NULL, [STORE_CONTACT] = NULL,
};

enum store_result st_search_words(const char *search, char *patterns[LIMIT_SEARCH_WORDS_MAX], int *count)
{
    int n = 0;
    const char *p = search;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        if (n == LIMIT_SEARCH_WORDS_MAX) {
            st_search_free(patterns, n);
            return STORE_INVALID;
        }
        /* ILIKE pattern: %word% with the pattern characters taken literally */
        char *pat = xmalloc(2 * (size_t)(p - start) + 3);
        size_t k = 0;
        pat[k++] = '%';
        for (const char *q = start; q < p; q++) {
            if (*q == '%' || *q == '_' || *q == '\\')
                pat[k++] = '\\';
            pat[k++] = *q;
        }
        pat[k++] = '%';
        pat[k] = '\0';
        patterns[n++] = pat;
    }
    *count = n;
    return STORE_OK;
}

void st_search_free(char *patterns[LIMIT_SEARCH_WORDS_MAX], int n)
{
    for (int i = 0; i < n; i++)
        free(patterns[i]);
}

enum store_result st_page_query_tail(struct store *s, const char *name, const char *base,
                                     const char *const *cols, const char *key, const char *tail,
                                     const char *user_id, const struct store_page *page, PGresult **out)
{
    if (!st_valid_page(page))
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    char *words[LIMIT_SEARCH_WORDS_MAX];
    int nw = 0;
    if (st_search_words(page->search, words, &nw) != STORE_OK)
        return STORE_INVALID;
    char *sql = st_search_sql_words(base, cols, key, words, nw, 4, tail);
    char before[24], lim[24];
    /* no bound is the largest number, not 0 with an OR: a prepared
     * statement's generic plan then still walks the primary key from
     * before_n down (an OR would leave n to a filter over every newer row) */
    st_lld(before, page->before_n ? page->before_n : LLONG_MAX);
    st_lld(lim, page->limit + 1);   /* one more tells whether there are more */
    const char *p[3 + LIMIT_SEARCH_WORDS_MAX] = { user_id, before, lim };
    for (int i = 0; i < nw; i++)
        p[3 + i] = words[i];
    /* a search is planned with its words: whether the index or the newest
     * first scan is cheaper depends on how common they are (a prepared,
     * generic plan cannot know) */
    enum store_result rc = nw > 0 ? st_exec_custom(s, name, sql, 3 + nw, p, out) : st_exec(s, name, sql, 3 + nw, p, out);
    free(sql);
    st_search_free(words, nw);
    return rc;
}

enum store_result st_page_query(struct store *s, const char *name, const char *base,
                                const char *const *cols, const char *key, const char *user_id,
                                const struct store_page *page, PGresult **out, size_t *rows, bool *more)
{
    PGresult *r = NULL;
    enum store_result rc = st_page_query_tail(s, name, base, cols, key, "ORDER BY n DESC LIMIT $3", user_id, page, &r);
    if (rc != STORE_OK)
        return rc;
    size_t n = (size_t)PQntuples(r);
    *more = n > (size_t)page->limit;
    *rows = *more ? (size_t)page->limit : n;
    *out = r;
    return STORE_OK;
}

bool st_search_has_trigrams(const char *pattern)
{
    /* pg_trgm's trigrams come from runs of letters and digits; the key
     * (migration 009) writes each non-ASCII character three times, so one
     * letter of another script is enough, while an ASCII run needs three.
     * Letters here: Latin-1 on to the end of Greek and Cyrillic ... up to
     * U+1FFF, the CJK, kana and Hangul blocks, full-width forms. Emoji,
     * symbols and punctuation give none (they are no letters to pg_trgm). */
    size_t len = strlen(pattern), run = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)pattern[i];
        if (c < 0x80) {
            run = isalnum(c) ? run + 1 : 0;
            if (run >= 3)
                return true;
            i++;
            continue;
        }
        run = 0;
        uint32_t cp = 0;
        size_t k = utf8_decode(pattern + i, len - i, &cp);
        if (k == 0)
            return false;
        if ((cp >= 0xC0 && cp <= 0x1FFF && cp != 0xD7 && cp != 0xF7) || (cp >= 0x2E80 && cp <= 0x9FFF) ||
            (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF10 && cp <= 0xFF5A))
            return true;
        i += k;
    }
    return false;
}

void *st_rows_decode(const PGresult *r, size_t rows, size_t item_size, st_row_fn *from_row)
{
    char *items = xcalloc(rows ? rows : 1, item_size);
    for (size_t i = 0; i < rows; i++)
        from_row(r, (int)i, items + i * item_size);
    return items;
}

enum store_result st_page_items(struct store *s, const char *name, const char *base,
                                const char *const *cols, const char *key, const char *user_id,
                                const struct store_page *page, st_row_fn *from_row, size_t item_size,
                                void **items, size_t *count, bool *more)
{
    PGresult *r = NULL;
    size_t n = 0;
    bool m = false;
    enum store_result rc = st_page_query(s, name, base, cols, key, user_id, page, &r, &n, &m);
    if (rc != STORE_OK)
        return rc;
    *items = st_rows_decode(r, n, item_size, from_row);
    *count = n;
    *more = m;
    PQclear(r);
    return STORE_OK;
}

enum store_result st_row_get(struct store *s, const char *name, const char *sql, int nparams,
                             const char *const *params, st_row_fn *from_row, void *out)
{
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, name, sql, nparams, params, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;
    else
        from_row(r, 0, out);
    PQclear(r);
    return rc;
}

enum store_result st_item_get(struct store *s, const char *name, const char *sql, const char *user_id,
                              long long n, st_row_fn *from_row, void *out)
{
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    char nb[24];
    st_lld(nb, n);
    const char *p[] = { user_id, nb };
    return st_row_get(s, name, sql, 2, p, from_row, out);
}

/* "SELECT <head>, <fields> FROM <table> c WHERE user_id = $1 AND <cond>" */
static char *read_sql(const struct st_read *rd, const char *cond)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "SELECT %s", rd->head);
    st_cols(&b, "", rd->fields, rd->nfields);
    buf_printf(&b, " FROM %s c WHERE user_id = $1 AND %s", rd->table, cond);
    return buf_steal(&b, NULL);
}

enum store_result st_read_get(struct store *s, const char *name, const struct st_read *rd, const char *user_id,
                              long long n, void *out)
{
    char *sql = read_sql(rd, "n = $2");
    enum store_result rc = st_item_get(s, name, sql, user_id, n, rd->from_row, out);
    free(sql);
    return rc;
}

enum store_result st_read_page(struct store *s, const char *name, const struct st_read *rd, const char *user_id,
                               const struct store_page *page, size_t item_size, void **items, size_t *count,
                               bool *more)
{
    char *base = read_sql(rd, "n < $2::bigint");
    enum store_result rc = st_page_items(s, name, base, st_search_cols[rd->kind], st_search_keys[rd->kind], user_id,
                                         page, rd->from_row, item_size, items, count, more);
    free(base);
    return rc;
}

char *st_search_sql(const char *base, const char *const *cols, const char *key, const bool *keyed, int nwords,
                    int first_param, const char *tail)
{
    /* only fixed column names and parameter numbers go into the text */
    struct buf sql = { 0 };
    buf_puts(&sql, base);
    for (int w = 0; w < nwords; w++) {
        buf_puts(&sql, " AND (");
        for (int c = 0; cols[c]; c++)
            buf_printf(&sql, "%s%s ILIKE $%d", c ? " OR " : "", cols[c], first_param + w);
        buf_putc(&sql, ')');
        /* implied by the line above (migration 009): what the index finds */
        if (key && keyed && keyed[w])
            buf_printf(&sql, " AND %s LIKE sv_search_key($%d)", key, first_param + w);
    }
    buf_printf(&sql, " %s", tail);
    return buf_steal(&sql, NULL);
}

char *st_search_sql_words(const char *base, const char *const *cols, const char *key, char *const *words,
                          int nwords, int first_param, const char *tail)
{
    bool keyed[LIMIT_SEARCH_WORDS_MAX] = { false };
    for (int i = 0; i < nwords && i < LIMIT_SEARCH_WORDS_MAX; i++)
        keyed[i] = key != NULL && st_search_has_trigrams(words[i]);
    return st_search_sql(base, cols, key, keyed, nwords, first_param, tail);
}
