/*
 * outbox — the MT messages vaultbox has to send: queued in the transaction
 * that decided them, claimed with FOR UPDATE SKIP LOCKED so several vaultbox
 * connections never take the same row, then followed through submitted /
 * delivered / failed. LISTEN/NOTIFY wakes a waiting sender. It does not talk
 * to Kannel; vaultbox does.
 *
 * Rows are texts, binary MT, or requests to deliver an archived item
 * (migration 008): a request is taken by the sender of its channel and
 * expanded, in that sender's transaction, into the text and binary rows it
 * renders (children), which are then claimed and sent like any other; the
 * request's state is its children's. It does not render anything (the
 * engine's core_render does).
 *
 * A reply queued inside a transaction on a connection that hands over
 * (store_outbox_hand_over: vaultbox's MO workers) is inserted already
 * SENDING for the sender's instance and kept (store_outbox_handed_take) for
 * the caller to give the sender in memory after its commit — unless a row
 * to the same phone still waits queued: then it queues behind it.
 *
 * Each sending process is an instance (store.h): claimed rows carry its id,
 * a reconnect requeues only its own rows, and the rows of gone instances —
 * no advisory lock held, lease not renewed within the grace — are requeued
 * by whoever sweeps next. It does not decide when to sweep; vaultbox does.
 */
#include "store_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "alloc.h"
#include "log.h"
#include "utf8.h"

const char *const store_mt_purpose_names[] = { "reply", "code", "item", NULL };

/* What a row is for (enum store_mt_purpose), from the columns it has: a
 * one-time code keeps secret = true after its text is emptied; an item is
 * a request or a row rendered from one. */
#define PURPOSE_SQL(t) "CASE WHEN " t "secret THEN 1 WHEN " t "kind = 1 OR " t "parent_id IS NOT NULL THEN 2 ELSE 0 END"

void store_outbox_row_cleanup(struct store_outbox_row *r)
{
    free(r->msisdn);
    free(r->text);
    free(r->udh);
    free(r->data);
    memset(r, 0, sizeof *r);
}

void st_handed_truncate(struct store *s, size_t keep)
{
    while (s->nhanded > keep)
        store_outbox_row_cleanup(&s->handed[--s->nhanded]);
}

void store_outbox_hand_over(struct store *s, const char *instance)
{
    snprintf(s->handover_instance, sizeof s->handover_instance, "%s",
             instance && st_valid_id(instance) ? instance : "");
}

void store_outbox_handed_take(struct store *s, struct store_outbox_row **out, size_t *count)
{
    *out = s->handed;
    *count = s->nhanded;
    s->handed = NULL;
    s->nhanded = s->handed_cap = 0;
}

/* A row st_outbox_insert inserted SENDING: kept for the caller to take. */
static void handed_add(struct store *s, long long id, const struct store_outbox_new *in)
{
    if (s->nhanded == s->handed_cap) {
        s->handed_cap = s->handed_cap ? s->handed_cap * 2 : 8;
        s->handed = xrealloc(s->handed, s->handed_cap * sizeof *s->handed);
    }
    struct store_outbox_row *r = &s->handed[s->nhanded++];
    memset(r, 0, sizeof *r);
    r->id = r->place = id;
    r->kind = OUTBOX_TEXT;
    r->msisdn = xstrdup(in->msisdn);
    r->text = xmemdup0(in->text, in->text_len);
    r->text_len = in->text_len;
    r->purpose = in->secret ? STORE_MT_CODE : STORE_MT_REPLY;
}

enum store_result st_outbox_insert(struct store *s, const struct store_outbox_new *in, long long *id_out)
{
    if (in == NULL || !st_valid_line(in->msisdn, LIMIT_PEER_MAX, false) || in->text == NULL ||
        in->text_len == 0 || in->text_len > LIMIT_SMS_BODY_MAX || !utf8_valid(in->text, in->text_len))
        return STORE_INVALID;
    if (in->user_id && !st_valid_id(in->user_id))
        return STORE_NOT_FOUND;
    char *text = xmemdup0(in->text, in->text_len);
    /* handed over only inside the caller's transaction, whose commit the
     * caller waits for before it gives the rows to the sender */
    bool hand = s->explicit_tx && s->handover_instance[0] != '\0';
    const char *p[] = { in->user_id, in->msisdn, text, in->secret ? "t" : "f", hand ? s->handover_instance : NULL };
    PGresult *r = NULL;
    /* Handed over (SENDING, claimed by the instance now: no claim, no
     * NOTIFY) unless a row to the same phone still waits in the queue (a
     * GET's request, a retry, a row requeued after a reconnect): then it
     * queues behind it, so that the phone's replies keep their order. A
     * queued row's NOTIFY is delivered by PostgreSQL when (and only if) the
     * transaction commits, once however many rows it queued. */
    enum store_result rc = st_exec(s, "outbox-insert",
        "WITH h AS (SELECT $5::uuid AS inst WHERE $5::uuid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM outbox"
        "   WHERE state = 0 AND channel = 'sms' AND msisdn = $2::text)),"
        " i AS (INSERT INTO outbox (user_id, msisdn, text, secret, state, claimed_by, claimed_at)"
        "   SELECT $1::uuid, $2::text, $3::text, $4::boolean, CASE WHEN h.inst IS NULL THEN 0 ELSE 1 END, h.inst,"
        "   CASE WHEN h.inst IS NOT NULL THEN now() END FROM (SELECT 1) one LEFT JOIN h ON true RETURNING id, state)"
        " SELECT id, state, CASE WHEN state = 0 THEN pg_notify('smsvault_outbox', '') END FROM i",
        5, p, &r);
    free(text);
    if (rc != STORE_OK)
        return rc;
    *id_out = st_getll(r, 0, 0);
    if (st_getll(r, 0, 1) == OUTBOX_SENDING)
        handed_add(s, *id_out, in);
    PQclear(r);
    return STORE_OK;
}

enum store_result store_outbox_enqueue(struct store *s, const struct store_outbox_new *in,
                                       long long *id_out)
{
    long long id = 0;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = st_outbox_insert(s, in, &id);
    rc = st_tx_finish(s, rc);
    if (rc == STORE_OK)
        *id_out = id;
    return rc;
}

/*
 * An instance's lease is a session advisory lock (two-int form: class, key)
 * with the key from outbox_instances.lock_key. Advisory locks are per
 * database, so the test clusters' many databases never see each other's.
 * LOCK_HELD(key, who) is true when a session matching who holds it.
 */
#define LOCK_CLASS "1936291425"
#define LOCK_HELD(key, who)                                                              \
    "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted"      \
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())" \
    " AND l.classid = " LOCK_CLASS "::oid AND l.objid = (" key ")::oid AND l.objsubid = 2" who ")"
#define BY_ANYONE ""
#define BY_ME " AND l.pid = pg_backend_pid()"

void store_outbox_instance_new(char id_out[STORE_ID_LEN])
{
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, id_out);
}

/* This session holds instance's lock: a session lock lasts as long as the
 * session, so while the backend is the same one, claims need not ask
 * pg_locks (forget_session in store.c clears it on a reset). */
static void lease_here(struct store *s, const char *instance)
{
    s->lease_backend = PQbackendPID(s->conn);
    snprintf(s->lease_instance, sizeof s->lease_instance, "%s", instance);
}

static bool lease_is_here(const struct store *s, const char *instance)
{
    return s->lease_backend != 0 && s->lease_backend == PQbackendPID(s->conn) &&
           PQstatus(s->conn) == CONNECTION_OK && strcmp(s->lease_instance, instance) == 0;
}

enum store_result store_outbox_hold(struct store *s, const char *instance)
{
    if (!st_valid_id(instance))
        return STORE_INVALID;
    char host[256] = "", pid[24];
    if (gethostname(host, sizeof host - 1) != 0 || !utf8_valid(host, strlen(host)))
        host[0] = '\0';
    st_lld(pid, (long long)getpid());
    const char *p[] = { instance, host, pid };
    PGresult *r = NULL;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = st_exec(s, "outbox-hold",
                 "WITH i AS (INSERT INTO outbox_instances AS i (id, host, pid) VALUES ($1, $2, $3)"
                 "   ON CONFLICT (id) DO UPDATE SET seen_at = now() RETURNING i.lock_key)"
                 " SELECT i.lock_key, " LOCK_HELD("i.lock_key", BY_ME) ", " LOCK_HELD("i.lock_key", BY_ANYONE)
                 " FROM i", 3, p, &r);
    if (rc != STORE_OK)
        goto out;
    bool mine = PQgetvalue(r, 0, 1)[0] == 't', anyone = PQgetvalue(r, 0, 2)[0] == 't';
    char key[24];
    st_lld(key, st_getll(r, 0, 0));
    PQclear(r);
    r = NULL;
    if (mine) {
        lease_here(s, instance);
        goto out;
    }
    if (anyone) {
        /* an older session of ours that PostgreSQL has not yet seen end: it
         * still stands for us; seen_at is renewed, the lock taken next time */
        rc = STORE_CONFLICT;
        goto out;
    }
    const char *k[] = { key };
    rc = st_exec(s, "outbox-lock", "SELECT pg_try_advisory_lock(" LOCK_CLASS ", $1::int)", 1, k, &r);
    if (rc == STORE_OK && PQgetvalue(r, 0, 0)[0] != 't')
        rc = STORE_CONFLICT;
    if (rc == STORE_OK) {
        lease_here(s, instance);
        log_info("store: outbox-lease-taken instance=%s key=%s", instance, key);
    }
out:
    PQclear(r);
    /* a session lock is not undone by a rollback; the renewed seen_at is
     * kept even when the lock is someone else's (STORE_CONFLICT) */
    enum store_result end = st_tx_finish(s, rc == STORE_CONFLICT ? STORE_OK : rc);
    return end != STORE_OK ? end : rc;
}

enum store_result store_outbox_release(struct store *s, const char *instance)
{
    if (!st_valid_id(instance))
        return STORE_INVALID;
    const char *p[] = { instance };
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = st_exec(s, "outbox-release",
                 "WITH d AS (DELETE FROM outbox_instances i WHERE i.id = $1 RETURNING i.lock_key)"
                 " SELECT CASE WHEN " LOCK_HELD("d.lock_key", BY_ME)
                 " THEN pg_advisory_unlock(" LOCK_CLASS ", d.lock_key) END FROM d", 1, p, NULL);
    rc = st_tx_finish(s, rc);
    if (strcmp(s->lease_instance, instance) == 0)
        s->lease_backend = 0;
    if (rc == STORE_OK)
        log_info("store: outbox-lease-released instance=%s", instance);
    return rc;
}

static bool valid_channel(const char *channel)
{
    return channel && (strcmp(channel, STORE_CHANNEL_SMS) == 0 || strcmp(channel, STORE_CHANNEL_MMS) == 0);
}

/* bytea as encode(x, 'hex') gave it, decoded; NULL (len 0) for SQL NULL. */
static unsigned char *unhex_col(const PGresult *r, int row, int col, size_t *len)
{
    *len = 0;
    if (PQgetisnull(r, row, col))
        return NULL;
    const char *h = PQgetvalue(r, row, col);
    size_t n = (size_t)PQgetlength(r, row, col) / 2;
    unsigned char *v = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned hi = (unsigned)(h[2 * i] <= '9' ? h[2 * i] - '0' : h[2 * i] - 'a' + 10);
        unsigned lo = (unsigned)(h[2 * i + 1] <= '9' ? h[2 * i + 1] - '0' : h[2 * i + 1] - 'a' + 10);
        v[i] = (unsigned char)(hi << 4 | lo);
    }
    v[n] = 0;
    *len = n;
    return v;
}

/*
 * The claim of up to $1 queued rows of channel $3 for instance $2, when its
 * lease is held: the rows PICK chooses (a condition on outbox, then its
 * ORDER BY) move to sending, RETURNING COLS as u; the answer is the lease
 * flag m.ok, then OUT (columns of u), then EXTRA (more columns of m), in
 * ORDER — one row per claimed row, or one row of NULLs when none was.
 */
#define CLAIM_SQL_HELD(held, pick, cols, out, extra, order)                                             \
    "WITH me AS (SELECT i.id FROM outbox_instances i WHERE i.id = $2 AND " held "),"                    \
    " c AS (SELECT id FROM outbox WHERE state = 0 AND channel = $3 AND not_before <= now()"             \
    "   AND EXISTS (SELECT 1 FROM me) AND " pick " LIMIT $1 FOR UPDATE SKIP LOCKED),"                   \
    " u AS (UPDATE outbox o SET state = 1, claimed_by = $2, claimed_at = now(), updated_at = now()"     \
    "   FROM c WHERE o.id = c.id RETURNING " cols ")"                                                   \
    " SELECT m.ok, " out " FROM (SELECT EXISTS (SELECT 1 FROM me) AS ok" extra ") m"                    \
    " LEFT JOIN u ON true ORDER BY " order

/* A claim in its two forms, for claim_run: the lease held by this session
 * (nothing to ask), or by anyone (asked of pg_locks). */
#define CLAIM_SQL(pick, cols, out, extra, order)                                                        \
    CLAIM_SQL_HELD("true", pick, cols, out, extra, order),                                              \
    CLAIM_SQL_HELD(LOCK_HELD("i.lock_key", BY_ANYONE), pick, cols, out, extra, order)

/* Run a CLAIM_SQL: STORE_NOT_FOUND when the lease is not held (nothing
 * claimed), else *out and *n, the rows claimed. */
static enum store_result claim_run(struct store *s, const char *name, const char *sql_here,
                                   const char *sql_anyone, const char *instance,
                                   const char *channel, int max, PGresult **out, size_t *n)
{
    if (max < 1 || max > 10000 || !valid_channel(channel))
        return STORE_INVALID;
    if (!st_valid_id(instance))
        return STORE_NOT_FOUND;
    char mx[24];
    st_lld(mx, max);
    const char *p[] = { mx, instance, channel };
    PGresult *r = NULL;
    /* the lease is asked of pg_locks only when this session does not hold
     * it itself: that view costs a millisecond */
    enum store_result rc = st_exec(s, name, lease_is_here(s, instance) ? sql_here : sql_anyone, 3, p, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) < 1 || PQgetvalue(r, 0, 0)[0] != 't') {
        PQclear(r);
        return STORE_NOT_FOUND;   /* the lease is not held: nothing claimed */
    }
    *n = PQgetisnull(r, 0, 1) ? 0 : (size_t)PQntuples(r);
    *out = r;
    return STORE_OK;
}

enum store_result store_outbox_claim(struct store *s, const char *instance, const char *channel, int max,
                                     struct store_outbox_row **out, size_t *count, bool *requests_waiting)
{
    PGresult *r = NULL;
    size_t n = 0;
    /* Requests (kind 1) are rendered into children first; a child sorts at
     * its request's place, so that GET 1,9's replies keep their order. */
    enum store_result rc = claim_run(s, "outbox-claim",
        CLAIM_SQL("kind <> 1 ORDER BY coalesce(parent_id, id), id",
                  "o.id, o.msisdn, o.text, o.attempts, o.kind, encode(o.udh, 'hex') AS udh,"
                  " encode(o.data, 'hex') AS data, o.coding, coalesce(o.parent_id, o.id) AS place, "
                  PURPOSE_SQL("o.") " AS purpose",
                  "u.id, u.msisdn, u.text, u.attempts, u.kind, u.udh, u.data, u.coding, m.req, u.purpose, u.place",
                  ", EXISTS (SELECT 1 FROM outbox WHERE state = 0 AND kind = 1 AND channel = $3"
                  " AND not_before <= now()) AS req",
                  "u.place, u.id"),
        instance, channel, max, &r, &n);
    if (rc != STORE_OK)
        return rc;
    if (requests_waiting)
        *requests_waiting = PQgetvalue(r, 0, 9)[0] == 't';
    struct store_outbox_row *v = xcalloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        int row = (int)i;
        v[i].id = st_getll(r, row, 1);
        v[i].place = st_getll(r, row, 11);
        v[i].msisdn = st_getdup(r, row, 2);
        v[i].attempts = (int)st_getll(r, row, 4);
        v[i].purpose = (enum store_mt_purpose)st_getll(r, row, 10);
        v[i].kind = st_getll(r, row, 5) == OUTBOX_BINARY ? OUTBOX_BINARY : OUTBOX_TEXT;
        if (v[i].kind == OUTBOX_TEXT) {
            v[i].text_len = (size_t)PQgetlength(r, row, 3);
            v[i].text = xmemdup0(PQgetvalue(r, row, 3), v[i].text_len);
        } else {
            v[i].udh = unhex_col(r, row, 6, &v[i].udh_len);
            v[i].data = unhex_col(r, row, 7, &v[i].data_len);
            v[i].coding = (int)st_getll(r, row, 8);
        }
    }
    PQclear(r);
    *out = v;
    *count = n;
    return STORE_OK;
}

void store_outbox_rows_free(struct store_outbox_row *rows, size_t count)
{
    for (size_t i = 0; rows && i < count; i++)
        store_outbox_row_cleanup(&rows[i]);
    free(rows);
}

/* ---- delivery requests ---- */

/* The archive table of each kind (constant SQL text, never input). */
static const char *const item_exists_sql[] = {
    [STORE_SMS] = "SELECT $1::uuid, $2, 1, $3, 0, $4::bigint"
                  " WHERE EXISTS (SELECT 1 FROM sms WHERE user_id = $1 AND n = $4::bigint)",
    [STORE_MMS] = "SELECT $1::uuid, $2, 1, $3, 1, $4::bigint"
                  " WHERE EXISTS (SELECT 1 FROM mms WHERE user_id = $1 AND n = $4::bigint)",
    [STORE_CONTACT] = "SELECT $1::uuid, $2, 1, $3, 2, $4::bigint"
                      " WHERE EXISTS (SELECT 1 FROM contacts WHERE user_id = $1 AND n = $4::bigint)",
};

enum store_result store_outbox_request_item(struct store *s, const char *user_id, const char *msisdn,
                                            enum store_kind kind, long long n, long long *id_out)
{
    if (!st_valid_line(msisdn, LIMIT_PEER_MAX, false) || (unsigned)kind > STORE_CONTACT)
        return STORE_INVALID;
    if (!st_valid_id(user_id) || n < 1)
        return STORE_NOT_FOUND;
    char nb[24];
    st_lld(nb, n);
    const char *p[] = { user_id, msisdn, store_outbox_channel_for(kind), nb };
    /* one statement with its NOTIFY (delivered at commit), as st_outbox_insert */
    char *sql = xasprintf("WITH i AS (INSERT INTO outbox (user_id, msisdn, kind, channel, item_kind, item_n) %s"
                          " RETURNING id) SELECT id, pg_notify('smsvault_outbox', '') FROM i",
                          item_exists_sql[kind]);
    PGresult *r = NULL;
    long long id = 0;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        goto out;
    rc = st_exec(s, "outbox-request", sql, 4, p, &r);
    if (rc == STORE_OK && PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;   /* no such item of this user */
    if (rc == STORE_OK)
        id = st_getll(r, 0, 0);
    PQclear(r);
    rc = st_tx_finish(s, rc);
out:
    free(sql);
    if (rc == STORE_OK)
        *id_out = id;
    return rc;
}

/* n requests from r: id, user id, msisdn, item kind, item n, attempts in
 * columns c.. */
static struct store_outbox_request *requests_read(const PGresult *r, size_t n, int c)
{
    struct store_outbox_request *v = xcalloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        int row = (int)i;
        v[i].id = st_getll(r, row, c);
        snprintf(v[i].user_id, sizeof v[i].user_id, "%s", PQgetvalue(r, row, c + 1));
        v[i].msisdn = st_getdup(r, row, c + 2);
        v[i].kind = (enum store_kind)st_getll(r, row, c + 3);
        v[i].n = st_getll(r, row, c + 4);
        v[i].attempts = (int)st_getll(r, row, c + 5);
    }
    return v;
}

enum store_result store_outbox_take_requests(struct store *s, const char *channel, int max,
                                             struct store_outbox_request **out, size_t *count)
{
    /* the locks must last until the rendered rows commit */
    if (!s->explicit_tx || max < 1 || max > 10000 || !valid_channel(channel))
        return STORE_INVALID;
    char mx[24];
    st_lld(mx, max);
    const char *p[] = { channel, mx };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "outbox-take-requests",
        "SELECT id, coalesce(user_id::text, ''), msisdn, item_kind, item_n, attempts FROM outbox"
        " WHERE state = 0 AND kind = 1 AND channel = $1 AND not_before <= now()"
        " ORDER BY id LIMIT $2::int FOR UPDATE SKIP LOCKED", 2, p, &r);
    if (rc != STORE_OK)
        return rc;
    size_t n = (size_t)PQntuples(r);
    struct store_outbox_request *v = requests_read(r, n, 0);
    PQclear(r);
    *out = v;
    *count = n;
    return STORE_OK;
}

void store_outbox_requests_free(struct store_outbox_request *reqs, size_t count)
{
    for (size_t i = 0; reqs && i < count; i++)
        free(reqs[i].msisdn);
    free(reqs);
}

static bool valid_mt(const struct store_outbox_mt *m)
{
    if (m->kind == OUTBOX_TEXT)
        return m->text && m->text_len > 0 && m->text_len <= LIMIT_SMS_BODY_MAX && utf8_valid(m->text, m->text_len);
    if (m->kind != OUTBOX_BINARY || m->coding != STORE_CODING_8BIT || m->data == NULL || m->data_len == 0 ||
        m->data_len > STORE_OUTBOX_DATA_MAX || m->udh_len > STORE_OUTBOX_UDH_MAX)
        return false;
    /* a UDH starts with its own length */
    return m->udh_len == 0 || (m->udh && (size_t)m->udh[0] + 1 == m->udh_len);
}

/* mts as children of request ib, in order, on channel (NULL: the request's). */
static enum store_result insert_children(struct store *s, const char *ib, const char *channel,
                                         const struct store_outbox_mt *mts, size_t count)
{
    enum store_result rc = STORE_OK;
    for (size_t i = 0; i < count && rc == STORE_OK; i++) {
        const struct store_outbox_mt *m = &mts[i];
        char kind[24], coding[24];
        st_lld(kind, m->kind);
        st_lld(coding, m->coding);
        char *text = m->kind == OUTBOX_TEXT ? xmemdup0(m->text, m->text_len) : NULL;
        const char *p[] = { ib, kind, text, m->kind == OUTBOX_BINARY && m->udh_len ? (const char *)m->udh : NULL,
                            m->kind == OUTBOX_BINARY ? (const char *)m->data : NULL,
                            m->kind == OUTBOX_BINARY ? coding : NULL, channel };
        const int len[] = { 0, 0, 0, (int)m->udh_len, (int)m->data_len, 0, 0 };
        const int fmt[] = { 0, 0, 0, 1, 1, 0, 0 };
        rc = st_exec_bin(s, "outbox-child",
                         "INSERT INTO outbox (user_id, msisdn, channel, parent_id, kind, text, udh, data, coding)"
                         " SELECT user_id, msisdn, coalesce($7, channel), id, $2::smallint, $3, $4, $5, $6::smallint"
                         " FROM outbox WHERE id = $1", 7, p, len, fmt, NULL);
        free(text);
    }
    return rc;
}

enum store_result store_outbox_expand(struct store *s, long long request_id, const struct store_outbox_mt *mts,
                                      size_t count, const char *failed_reason)
{
    if ((count < 1 && failed_reason == NULL) || (count > 0 && mts == NULL) ||
        (failed_reason && !st_valid_text(failed_reason, LIMIT_TEXT_FIELD_MAX, false)))
        return STORE_INVALID;
    for (size_t i = 0; i < count; i++)
        if (!valid_mt(&mts[i]))
            return STORE_INVALID;
    char ib[24];
    st_lld(ib, request_id);
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    /* the request first: it must still be queued (one rendering, not two) */
    const char *pu[] = { ib, failed_reason };
    rc = st_exec_some(s, "outbox-rendered",
                      "UPDATE outbox SET state = CASE WHEN $2::text IS NULL THEN 5 ELSE 4 END, reason = $2,"
                      " updated_at = now() WHERE id = $1 AND kind = 1 AND state = 0", 2, pu, NULL, NULL);
    if (rc == STORE_OK)
        rc = insert_children(s, ib, NULL, mts, count);
    return st_tx_finish(s, rc);
}

enum store_result store_outbox_claim_requests(struct store *s, const char *instance, const char *channel, int max,
                                              struct store_outbox_request **out, size_t *count)
{
    PGresult *r = NULL;
    size_t n = 0;
    enum store_result rc = claim_run(s, "outbox-claim-requests",
        CLAIM_SQL("kind = 1 ORDER BY id",
                  "o.id, coalesce(o.user_id::text, '') AS user_id, o.msisdn, o.item_kind, o.item_n, o.attempts",
                  "u.id, u.user_id, u.msisdn, u.item_kind, u.item_n, u.attempts", "", "u.id"),
        instance, channel, max, &r, &n);
    if (rc != STORE_OK)
        return rc;
    struct store_outbox_request *v = requests_read(r, n, 1);
    PQclear(r);
    *out = v;
    *count = n;
    return STORE_OK;
}

enum store_result store_outbox_handoff(struct store *s, long long request_id, const char *channel,
                                       const struct store_outbox_mt *mts, size_t count)
{
    if (!valid_channel(channel) || count < 1 || mts == NULL)
        return STORE_INVALID;
    for (size_t i = 0; i < count; i++)
        if (!valid_mt(&mts[i]))
            return STORE_INVALID;
    char ib[24];
    st_lld(ib, request_id);
    const char *p[] = { ib };
    PGresult *r = NULL;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = st_exec(s, "outbox-handoff",
                 "UPDATE outbox SET state = 2, updated_at = now() WHERE id = $1 AND kind = 1 AND state = 1"
                 " RETURNING id", 1, p, &r);
    if (rc == STORE_OK && PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;
    PQclear(r);
    if (rc == STORE_OK)
        rc = insert_children(s, ib, channel, mts, count);
    if (rc == STORE_OK)
        rc = st_exec(s, "outbox-notify", "SELECT pg_notify('smsvault_outbox', '')", 0, NULL, NULL);
    return st_tx_finish(s, rc);
}

/* Run an UPDATE of one row by id that returns the row's purpose; 0 rows:
 * STORE_NOT_FOUND when the row does not exist, else STORE_OK (a no-op: the
 * state rules refused the change). *out (may be NULL) says which. */
static enum store_result update_one(struct store *s, const char *name, const char *sql,
                                    int n, const char *const *p, struct store_outbox_moved *out)
{
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, name, sql, n, p, &r);
    if (rc != STORE_OK)
        return rc;
    struct store_outbox_moved m = { false, STORE_MT_REPLY };
    if (PQntuples(r) > 0) {
        m.moved = true;
        m.purpose = (enum store_mt_purpose)st_getll(r, 0, 0);
    }
    PQclear(r);
    if (!m.moved) {
        rc = st_exec(s, "outbox-exists", "SELECT 1 FROM outbox WHERE id = $1", 1, p, &r);
        if (rc == STORE_OK && PQntuples(r) == 0)
            rc = STORE_NOT_FOUND;
        PQclear(r);
    }
    if (rc == STORE_OK && out)
        *out = m;
    return rc;
}

/* A one-time code is kept in clear only while it may still be sent (issue
 * 11, point 2): phone_codes holds its hash, and once the row has left the
 * queue for good nothing needs the text. */
#define CLEAR_SECRET "text = CASE WHEN secret THEN '' ELSE text END"

/* An ack (with its Kannel uuid) that comes after the row's report: the
 * report made the row final first (another vaultbox got it, or it committed
 * in an earlier batch). The row keeps its final state and takes the uuid,
 * and the ack counts as moving it, once: the MT was accepted all the same. */
#define LATE_ACK(row, uuid) "(" row "state IN (3, 4) AND " row "kannel_uuid IS NULL AND " uuid " IS NOT NULL)"

/* bearerbox's ack: submitted (2), or sent (6) when no report was asked for */
static enum store_result mark_accepted(struct store *s, const char *name, const char *state, long long id,
                                       const char *kannel_uuid, struct store_outbox_moved *out)
{
    if (kannel_uuid && !st_valid_text(kannel_uuid, LIMIT_PEER_MAX, true))
        return STORE_INVALID;
    char ib[24];
    st_lld(ib, id);
    const char *p[] = { ib, kannel_uuid, state };
    return update_one(s, name,
                      "UPDATE outbox SET state = CASE WHEN state IN (0, 1) THEN $3::smallint ELSE state END,"
                      " kannel_uuid = coalesce($2, kannel_uuid), updated_at = now(), " CLEAR_SECRET
                      " WHERE id = $1 AND (state IN (0, 1) OR " LATE_ACK("", "$2::text") ")"
                      " RETURNING " PURPOSE_SQL(""), 3, p, out);
}

enum store_result store_outbox_mark_submitted(struct store *s, long long id, const char *kannel_uuid,
                                              struct store_outbox_moved *out)
{
    return mark_accepted(s, "outbox-submitted", "2", id, kannel_uuid, out);
}

enum store_result store_outbox_mark_sent(struct store *s, long long id, const char *kannel_uuid,
                                         struct store_outbox_moved *out)
{
    return mark_accepted(s, "outbox-sent", "6", id, kannel_uuid, out);
}

enum store_result store_outbox_mark_delivered(struct store *s, long long id, struct store_outbox_moved *out)
{
    char ib[24];
    st_lld(ib, id);
    const char *p[] = { ib };
    /* final states (delivered, failed) are never changed; sent takes a late report */
    return update_one(s, "outbox-delivered",
                      "UPDATE outbox SET state = 3, updated_at = now(), " CLEAR_SECRET
                      " WHERE id = $1 AND state IN (0, 1, 2, 6) RETURNING " PURPOSE_SQL(""),
                      1, p, out);
}

enum store_result store_outbox_mark_failed(struct store *s, long long id, const char *reason,
                                           struct store_outbox_moved *out)
{
    char ib[24];
    st_lld(ib, id);
    char *why = NULL;
    if (reason)
        why = xstrndup(reason, utf8_truncate(reason, strlen(reason), LIMIT_TEXT_FIELD_MAX));
    const char *p[] = { ib, why && utf8_valid(why, strlen(why)) ? why : NULL };
    enum store_result rc = update_one(s, "outbox-failed",
                      "UPDATE outbox SET state = 4, reason = $2, updated_at = now(), " CLEAR_SECRET
                      " WHERE id = $1 AND state IN (0, 1, 2, 6) RETURNING " PURPOSE_SQL(""), 2, p, out);
    free(why);
    return rc;
}

enum store_result store_outbox_mark_many(struct store *s, struct store_outbox_mark *marks, size_t count)
{
    if (count > LIMIT_OUTBOX_MARKS_MAX || (count > 0 && marks == NULL))
        return STORE_INVALID;
    if (count == 0)
        return STORE_OK;
    struct st_array ids, states, uuids, reasons;
    st_array_init(&ids);
    st_array_init(&states);
    st_array_init(&uuids);
    st_array_init(&reasons);
    enum store_result rc = STORE_OK;
    for (size_t i = 0; i < count && rc == STORE_OK; i++) {
        struct store_outbox_mark *m = &marks[i];
        m->done = (struct store_outbox_moved){ false, STORE_MT_REPLY };
        if ((m->state != OUTBOX_SUBMITTED && m->state != OUTBOX_SENT && m->state != OUTBOX_DELIVERED &&
             m->state != OUTBOX_FAILED) ||
            (m->kannel_uuid && !st_valid_line(m->kannel_uuid, LIMIT_PEER_MAX, true))) {
            rc = STORE_INVALID;
            break;
        }
        st_array_ll(&ids, m->id);
        st_array_ll(&states, (long long)m->state);
        st_array_text(&uuids, m->kannel_uuid, m->kannel_uuid ? strlen(m->kannel_uuid) : 0);
        size_t rl = m->reason ? utf8_truncate(m->reason, strlen(m->reason), LIMIT_TEXT_FIELD_MAX) : 0;
        if (m->reason && utf8_valid(m->reason, rl) && memchr(m->reason, '\0', rl) == NULL)
            st_array_text(&reasons, m->reason, rl);
        else
            st_array_null(&reasons);
    }
    if (rc == STORE_OK) {
        const char *p[] = { st_array_get(&ids), st_array_get(&states), st_array_get(&uuids),
                            st_array_get(&reasons) };
        /* the same state rules as the single marks: submitted or sent from
         * queued or sending, delivered or failed from anything not final (or
         * sent); in id order */
        PGresult *r = NULL;
        rc = st_exec(s, "outbox-mark-many",
            "UPDATE outbox o SET state = CASE WHEN o.state IN (3, 4) THEN o.state ELSE v.state END,"
            " kannel_uuid = coalesce(v.uuid, o.kannel_uuid),"
            " reason = CASE WHEN v.state = 4 THEN v.reason ELSE o.reason END,"
            " updated_at = now(), " CLEAR_SECRET
            " FROM (SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[], $4::text[])"
            "       AS t(id, state, uuid, reason) ORDER BY id) v"
            " WHERE o.id = v.id AND (o.state IN (0, 1) OR (o.state IN (2, 6) AND v.state IN (3, 4))"
            "       OR (v.state IN (2, 6) AND " LATE_ACK("o.", "v.uuid") "))"
            " RETURNING o.id, " PURPOSE_SQL("o."), 4, p, &r);
        /* the rows moved, with what each was for (the rest: gone or refused) */
        for (int row = 0; rc == STORE_OK && row < PQntuples(r); row++) {
            long long id = st_getll(r, row, 0);
            for (size_t i = 0; i < count; i++) {
                if (marks[i].id == id) {
                    marks[i].done = (struct store_outbox_moved){ true, (enum store_mt_purpose)st_getll(r, row, 1) };
                    break;
                }
            }
        }
        PQclear(r);
    }
    st_array_cleanup(&ids);
    st_array_cleanup(&states);
    st_array_cleanup(&uuids);
    st_array_cleanup(&reasons);
    return rc;
}

enum store_result store_outbox_retry(struct store *s, long long id, int delay_s)
{
    if (delay_s < 0 || delay_s > 86400)
        return STORE_INVALID;
    char ib[24], db[24];
    st_lld(ib, id);
    st_lld(db, delay_s);
    const char *p[] = { ib, db };
    return update_one(s, "outbox-retry",
                      "UPDATE outbox SET state = 0, attempts = attempts + 1,"
                      " not_before = now() + $2::int * interval '1 second', updated_at = now()"
                      " WHERE id = $1 AND state IN (0, 1) RETURNING " PURPOSE_SQL(""), 2, p, NULL);
}

enum store_result store_outbox_requeue_sending(struct store *s, const char *instance,
                                               long long *count_out)
{
    if (!st_valid_id(instance))
        return STORE_INVALID;
    const char *p[] = { instance };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "outbox-requeue",
                                   "UPDATE outbox SET state = 0, updated_at = now()"
                                   " WHERE state = 1 AND claimed_by = $1", 1, p, &r);
    if (rc != STORE_OK)
        return rc;
    long long n = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    if (n > 0)
        log_info("store: outbox-requeued instance=%s count=%lld", instance, n);
    if (count_out)
        *count_out = n;
    return STORE_OK;
}

enum store_result store_outbox_requeue_ids(struct store *s, const char *instance, const long long *ids,
                                           size_t count, long long *count_out)
{
    if (!st_valid_id(instance) || (count > 0 && ids == NULL) || count > LIMIT_OUTBOX_MARKS_MAX)
        return STORE_INVALID;
    if (count == 0) {
        if (count_out)
            *count_out = 0;
        return STORE_OK;
    }
    struct st_array a;
    st_array_init(&a);
    for (size_t i = 0; i < count; i++)
        st_array_ll(&a, ids[i]);
    const char *p[] = { st_array_get(&a), instance };
    PGresult *r = NULL;
    /* queued again with a NOTIFY: the rows go the old way, claimed */
    enum store_result rc = st_exec(s, "outbox-requeue-ids",
        "WITH q AS (UPDATE outbox SET state = 0, updated_at = now()"
        "   WHERE id = ANY ($1::bigint[]) AND state = 1 AND claimed_by = $2::uuid RETURNING id)"
        " SELECT n, CASE WHEN n > 0 THEN pg_notify('smsvault_outbox', '') END FROM (SELECT count(*) AS n FROM q) c",
        2, p, &r);
    st_array_cleanup(&a);
    if (rc != STORE_OK)
        return rc;
    long long n = st_getll(r, 0, 0);
    PQclear(r);
    if (n > 0)
        log_info("store: outbox-requeued instance=%s count=%lld why=handover-unsure", instance, n);
    if (count_out)
        *count_out = n;
    return STORE_OK;
}

enum store_result store_outbox_requeue_orphans(struct store *s, int grace_s, long long *count_out)
{
    if (grace_s < 1 || grace_s > 86400)
        return STORE_INVALID;
    char gb[24], off[24];
    st_lld(gb, grace_s);
    st_lld(off, s->clock_offset_s);
    const char *p[] = { gb, off };
    PGresult *r = NULL;
    /* The DELETE's conditions are re-checked on a row an instance renewed
     * meanwhile (READ COMMITTED), so a lease renewed while this runs holds.
     * The UPDATE sees the instances as they were before the DELETE: the gone
     * ones are named through g. */
    enum store_result rc = st_exec(s, "outbox-requeue-orphans",
        "WITH g AS (DELETE FROM outbox_instances i"
        "   WHERE i.seen_at < now() + ($2::int - $1::int) * interval '1 second'"
        "     AND NOT " LOCK_HELD("i.lock_key", BY_ANYONE) " RETURNING i.id),"
        " q AS (UPDATE outbox o SET state = 0, updated_at = now()"
        "   WHERE o.state = 1 AND (o.claimed_by IS NULL OR o.claimed_by IN (SELECT id FROM g)"
        "     OR NOT EXISTS (SELECT 1 FROM outbox_instances i WHERE i.id = o.claimed_by))"
        "   RETURNING o.id)"
        " SELECT (SELECT count(*) FROM g), (SELECT count(*) FROM q)", 2, p, &r);
    if (rc != STORE_OK)
        return rc;
    long long gone = st_getll(r, 0, 0), n = st_getll(r, 0, 1);
    PQclear(r);
    if (gone > 0 || n > 0)
        log_info("store: outbox-orphans-requeued instances_gone=%lld count=%lld", gone, n);
    if (count_out)
        *count_out = n;
    return STORE_OK;
}

enum store_result store_outbox_settle_unreported(struct store *s, const char *channel, int wait_s, int max,
                                                 long long counts[STORE_MT_PURPOSES])
{
    if (counts)
        memset(counts, 0, STORE_MT_PURPOSES * sizeof counts[0]);
    if (!valid_channel(channel) || wait_s < 1 || wait_s > 31536000 || max < 1 ||
        max > LIMIT_OUTBOX_MARKS_MAX)
        return STORE_INVALID;
    char wb[24], mb[24];
    st_lld(wb, wait_s);
    st_lld(mb, max);
    const char *p[] = { channel, wb, mb };
    PGresult *r = NULL;
    /* Among the max oldest submitted rows of channel (outbox_submitted,
     * migration 015: channel, id) those that waited long enough: a bounded
     * read, even when millions wait and none for long (an SMSC that sends
     * no reports at all); ids follow the acks closely enough that the
     * oldest come first. A row a report or another vaultbox's sweep is
     * moving meanwhile is skipped. The rows are chosen once (CTEs of their
     * own: a LIMIT ... SKIP LOCKED subquery in the UPDATE's WHERE may be
     * run again by the plan and choose more). */
    enum store_result rc = st_exec(s, "outbox-settle-unreported",
        "WITH w AS MATERIALIZED (SELECT id FROM outbox WHERE state = 2 AND channel = $1"
        "   ORDER BY id LIMIT $3::int),"
        " c AS MATERIALIZED (SELECT o.id FROM outbox o WHERE o.id IN (SELECT id FROM w) AND o.state = 2"
        "   AND o.updated_at < now() - $2::int * interval '1 second' FOR UPDATE SKIP LOCKED),"
        " q AS (UPDATE outbox o SET state = 6, updated_at = now() FROM c WHERE o.id = c.id AND o.state = 2"
        "   RETURNING " PURPOSE_SQL("o.") " AS purpose)"
        " SELECT purpose, count(*) FROM q GROUP BY purpose", 3, p, &r);
    if (rc != STORE_OK)
        return rc;
    long long n = 0;
    for (int row = 0; row < PQntuples(r); row++) {
        long long purpose = st_getll(r, row, 0), c = st_getll(r, row, 1);
        n += c;
        if (counts && purpose >= 0 && purpose < STORE_MT_PURPOSES)
            counts[purpose] += c;
    }
    PQclear(r);
    if (n > 0)
        log_info("store: outbox-unreported-settled channel=%s count=%lld wait_s=%d", channel, n, wait_s);
    return STORE_OK;
}

/* A row's state as store_outbox_state says it, for outbox row o: the least
 * advanced of a rendered request's children, in the order queued, sending,
 * submitted, sent, delivered (sent: accepted, no report). */
#define DERIVED_STATE(o)                                                                                \
    "CASE WHEN " o ".state = 5 THEN (SELECT CASE WHEN bool_or(c.state = 4) THEN 4"                      \
    "   WHEN bool_or(c.state IN (0, 1, 2)) THEN min(c.state) WHEN bool_or(c.state = 6) THEN 6"          \
    "   ELSE 3 END FROM outbox c WHERE c.parent_id = " o ".id)"                                         \
    " WHEN " o ".state IN (2, 6) AND " o ".kind = 1 AND EXISTS (SELECT 1 FROM outbox c"                 \
    "   WHERE c.parent_id = " o ".id AND c.state = 4) THEN 4"                                           \
    " ELSE " o ".state END"

enum store_result store_outbox_state(struct store *s, long long id, enum store_outbox_state *out)
{
    char ib[24];
    st_lld(ib, id);
    const char *p[] = { ib };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "outbox-state", "SELECT " DERIVED_STATE("o") " FROM outbox o WHERE o.id = $1",
                                   1, p, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;
    else
        *out = (enum store_outbox_state)st_getll(r, 0, 0);
    PQclear(r);
    return rc;
}

enum store_result store_outbox_item_delivery(struct store *s, const char *user_id, enum store_kind kind,
                                             long long n, struct store_outbox_delivery *out)
{
    if ((unsigned)kind > STORE_CONTACT)
        return STORE_INVALID;
    if (!st_valid_id(user_id) || n < 1)
        return STORE_NOT_FOUND;
    char kb[24], nb[24];
    st_lld(kb, kind);
    st_lld(nb, n);
    const char *p[] = { user_id, kb, nb };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "outbox-item-delivery",
        "SELECT o.id, " DERIVED_STATE("o") ", o.msisdn, coalesce(o.reason, ''),"
        " extract(epoch FROM o.created_at)::bigint, extract(epoch FROM o.updated_at)::bigint"
        " FROM outbox o WHERE o.user_id = $1 AND o.kind = 1 AND o.item_kind = $2::smallint AND o.item_n = $3::bigint"
        " ORDER BY o.id DESC LIMIT 1", 3, p, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return STORE_NOT_FOUND;
    }
    memset(out, 0, sizeof *out);
    out->id = st_getll(r, 0, 0);
    out->state = (enum store_outbox_state)st_getll(r, 0, 1);
    out->msisdn = st_getdup(r, 0, 2);
    out->reason = st_getdup(r, 0, 3);
    out->requested_at = (time_t)st_getll(r, 0, 4);
    out->updated_at = (time_t)st_getll(r, 0, 5);
    PQclear(r);
    return STORE_OK;
}

void store_outbox_delivery_cleanup(struct store_outbox_delivery *d)
{
    if (d == NULL)
        return;
    free(d->msisdn);
    free(d->reason);
    memset(d, 0, sizeof *d);
}

const char *store_outbox_state_name(enum store_outbox_state st)
{
    static const char *const names[] = { [OUTBOX_QUEUED] = "queued",       [OUTBOX_SENDING] = "sending",
                                         [OUTBOX_SUBMITTED] = "submitted", [OUTBOX_DELIVERED] = "delivered",
                                         [OUTBOX_FAILED] = "failed",       [OUTBOX_SENT] = "sent" };
    return (unsigned)st < sizeof names / sizeof names[0] && names[st] ? names[st] : "queued";
}

int store_outbox_socket(const struct store *s)
{
    return PQsocket(s->conn);
}

enum store_result store_outbox_listen(struct store *s)
{
    enum store_result rc = st_exec(s, "outbox-listen", "LISTEN smsvault_outbox", 0, NULL, NULL);
    if (rc == STORE_OK)
        s->listening = true;
    return rc;
}

/* Drain pending notifications; true when there was at least one. */
static bool take_notifies(struct store *s)
{
    bool got = false;
    PGnotify *n;
    while ((n = PQnotifies(s->conn)) != NULL) {
        got = true;
        PQfreemem(n);
    }
    return got;
}

enum store_result store_outbox_wait(struct store *s, int timeout_ms)
{
    if (!s->listening)
        return STORE_ERR;
    if (PQconsumeInput(s->conn) == 0)
        return STORE_RETRY;
    if (take_notifies(s))
        return STORE_OK;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= timeout_ms)
            return STORE_NOT_FOUND;
        struct pollfd pfd = { .fd = PQsocket(s->conn), .events = POLLIN };
        if (pfd.fd < 0)
            return STORE_RETRY;
        int pr = poll(&pfd, 1, (int)(timeout_ms - elapsed));
        if (pr < 0 && errno != EINTR)
            return STORE_ERR;
        if (pr > 0) {
            if (PQconsumeInput(s->conn) == 0) {
                log_warn("store: listen-connection-lost");
                return STORE_RETRY;
            }
            if (take_notifies(s))
                return STORE_OK;
        }
    }
}
