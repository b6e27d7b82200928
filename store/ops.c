/*
 * ops — operator views for vaultctl: fsck (recompute each user's used bytes
 * from the items, report and optionally repair) and whole-server stats. It
 * is not on any request path.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

#define ACTUAL_SQL(uid) \
    "(SELECT coalesce(sum(size_bytes), 0) FROM sms WHERE user_id = " uid ")" \
    " + (SELECT coalesce(sum(size_bytes), 0) FROM mms WHERE user_id = " uid ")" \
    " + (SELECT coalesce(sum(size_bytes), 0) FROM contacts WHERE user_id = " uid ")"

/* Repair one user under its row lock: the sums are taken after the lock, so
 * no upload can slip in between. */
static enum store_result repair_one(struct store *s, const char *user_id)
{
    const char *p[] = { user_id };
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = st_exec(s, "fsck-lock", "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", 1, p, NULL);
    if (rc == STORE_OK)
        rc = st_exec(s, "fsck-repair", "UPDATE users SET used_bytes = " ACTUAL_SQL("$1") " WHERE id = $1",
                     1, p, NULL);
    rc = st_tx_finish(s, rc);
    if (rc == STORE_OK)
        log_warn("store: fsck-repaired user=%s", user_id);
    return rc;
}

enum store_result store_fsck(struct store *s, bool repair, struct store_fsck_row **out, size_t *count)
{
    PGresult *r = NULL;
    /* REPEATABLE READ would be nicer for the report; a plain read is enough
     * because a mismatch seen under concurrent uploads is re-checked under
     * the row lock before it is repaired */
    enum store_result rc = st_exec(s, "fsck-scan",
        "SELECT id, username, used_bytes, actual FROM"
        " (SELECT u.id, u.username, u.used_bytes, " ACTUAL_SQL("u.id") " AS actual FROM users u) x"
        " WHERE used_bytes <> actual ORDER BY lower(username)", 0, NULL, &r);
    if (rc != STORE_OK)
        return rc;
    size_t n = (size_t)PQntuples(r);
    struct store_fsck_row *v = xcalloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        snprintf(v[i].user_id, sizeof v[i].user_id, "%s", PQgetvalue(r, (int)i, 0));
        v[i].username = st_getdup(r, (int)i, 1);
        v[i].recorded_bytes = st_getll(r, (int)i, 2);
        v[i].actual_bytes = st_getll(r, (int)i, 3);
    }
    PQclear(r);
    for (size_t i = 0; repair && rc == STORE_OK && i < n; i++)
        rc = repair_one(s, v[i].user_id);
    if (rc != STORE_OK) {
        store_fsck_rows_free(v, n);
        return rc;
    }
    *out = v;
    *count = n;
    return STORE_OK;
}

void store_fsck_rows_free(struct store_fsck_row *rows, size_t count)
{
    for (size_t i = 0; rows && i < count; i++)
        free(rows[i].username);
    free(rows);
}

enum store_result store_stats_get(struct store *s, struct store_stats *out)
{
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "stats",
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM phones),"
        " (SELECT count(*) FROM sms), (SELECT count(*) FROM mms), (SELECT count(*) FROM contacts),"
        " (SELECT coalesce(sum(allocated_bytes), 0) FROM users),"
        " (SELECT coalesce(sum(used_bytes), 0) FROM users),"
        " (SELECT count(*) FILTER (WHERE state = 0) FROM outbox),"
        " (SELECT count(*) FILTER (WHERE state = 1) FROM outbox),"
        " (SELECT count(*) FILTER (WHERE state = 2) FROM outbox),"
        " (SELECT count(*) FILTER (WHERE state = 3) FROM outbox),"
        " (SELECT count(*) FILTER (WHERE state = 4) FROM outbox),"
        " (SELECT count(*) FILTER (WHERE state = 6) FROM outbox)", 0, NULL, &r);
    if (rc != STORE_OK)
        return rc;
    memset(out, 0, sizeof *out);
    long long *f[] = { &out->users, &out->phones, &out->sms, &out->mms, &out->contacts,
                       &out->allocated_bytes, &out->used_bytes, &out->outbox_queued,
                       &out->outbox_sending, &out->outbox_submitted, &out->outbox_delivered,
                       &out->outbox_failed, &out->outbox_sent };
    for (int i = 0; i < (int)(sizeof f / sizeof f[0]); i++)
        *f[i] = st_getll(r, 0, i);
    out->capacity_bytes = s->cfg.capacity_bytes;
    PQclear(r);
    return STORE_OK;
}

enum store_result store_gauges_get(struct store *s, struct store_gauges *out)
{
    PGresult *r = NULL;
    /* each count of the outbox is answered by a partial index (outbox_waiting,
     * outbox_sending, outbox_submitted: migrations 002 and 010); the oldest
     * queued row is the first of outbox_waiting */
    enum store_result rc = st_exec(s, "gauges",
        "SELECT u.n, u.allocated, u.used,"
        " (SELECT count(*) FROM outbox WHERE state = 0),"
        " (SELECT count(*) FROM outbox WHERE state = 1),"
        " (SELECT count(*) FROM outbox WHERE state = 2),"
        " coalesce((SELECT extract(epoch FROM now() - created_at)::float8 FROM outbox WHERE state = 0"
        "           ORDER BY id LIMIT 1), 0)"
        " FROM (SELECT count(*) AS n, coalesce(sum(allocated_bytes), 0) AS allocated,"
        "              coalesce(sum(used_bytes), 0) AS used FROM users) u", 0, NULL, &r);
    if (rc != STORE_OK)
        return rc;
    memset(out, 0, sizeof *out);
    out->users = st_getll(r, 0, 0);
    out->allocated_bytes = st_getll(r, 0, 1);
    out->used_bytes = st_getll(r, 0, 2);
    out->outbox_queued = st_getll(r, 0, 3);
    out->outbox_sending = st_getll(r, 0, 4);
    out->outbox_submitted = st_getll(r, 0, 5);
    out->oldest_queued_age_s = strtod(PQgetvalue(r, 0, 6), NULL);
    if (out->oldest_queued_age_s < 0)
        out->oldest_queued_age_s = 0;
    out->capacity_bytes = s->cfg.capacity_bytes;
    PQclear(r);
    return STORE_OK;
}
