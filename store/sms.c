/*
 * sms — archived text messages: add (space charged under the user's row lock,
 * per-user number never reused), add many at once for imports (one row lock,
 * one duplicate query, one insert per batch), get, keyset-paged list newest
 * first with word search. Deleting is store_items_delete() in space.c. Bodies are UTF-8
 * text stored byte for byte; nothing here interprets them.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "utf8.h"

/* The checks of store_sms_add (STORE_INVALID when they fail). */
static bool sms_valid(const struct store_sms_new *in)
{
    return in->body != NULL && in->body_len > 0 && in->body_len <= LIMIT_SMS_BODY_MAX &&
           utf8_valid(in->body, in->body_len) && st_valid_line(in->peer, LIMIT_PEER_MAX, true) &&
           st_valid_source(in->source) && in->sent_at >= 0;
}

struct sms_dup {
    const char *user_id, *peer, *body, *sent_at;
};

static enum store_result sms_dup_check(struct store *s, void *ctx)
{
    const struct sms_dup *d = ctx;
    const char *p[] = { d->user_id, d->peer, d->sent_at, d->body };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "sms-dup",
        "SELECT 1 FROM sms WHERE user_id = $1 AND peer = $2"
        " AND (sent_at = to_timestamp($3::bigint) OR ($3::bigint IS NULL AND sent_at IS NULL))"
        " AND body = $4 LIMIT 1",
        4, p, &r);
    if (rc == STORE_OK && PQntuples(r) > 0)
        rc = STORE_CONFLICT;
    PQclear(r);
    return rc;
}

enum store_result store_sms_add(struct store *s, const char *user_id, const struct store_sms_new *in,
                                long long *n_out)
{
    if (in == NULL || !sms_valid(in))
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    char *body = xmemdup0(in->body, in->body_len);
    const char *peer = in->peer ? in->peer : "";
    char sent[24], size[24], nb[24];
    st_lld(sent, (long long)in->sent_at);
    st_lld(size, (long long)in->body_len);
    const char *sent_p = in->sent_at ? sent : NULL;
    struct sms_dup dup = { user_id, peer, body, sent_p };
    long long n = 0;

    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        goto out;
    rc = st_space_charge(s, user_id, STORE_SMS, (long long)in->body_len,
                         in->skip_duplicate ? sms_dup_check : NULL, &dup, &n);
    if (rc == STORE_OK) {
        st_lld(nb, n);
        const char *p[] = { user_id, nb, peer, body, sent_p, size, in->source };
        rc = st_exec(s, "sms-insert",
                     "INSERT INTO sms (user_id, n, peer, body, sent_at, size_bytes, source)"
                     " VALUES ($1, $2, $3, $4, to_timestamp($5::bigint), $6, $7)", 7, p, NULL);
    }
    rc = st_tx_finish(s, rc);
out:
    free(body);
    if (rc == STORE_OK)
        *n_out = n;
    return rc;
}

/* ---- many at once (imports) ---- */

struct sms_batch {
    const char *user_id;
    const struct store_sms_new *items;
    const size_t *idx;   /* the valid items: their places in items[] */
    size_t count;
    bool *skip;          /* per valid item: a duplicate, not to be stored */
};

/* One query for the whole batch: an item that asks for it is a duplicate when
 * the same (peer, sent_at, body) is stored already or comes earlier in the
 * batch. sent_at is compared with = (or IS NULL) so that the sms_dup index
 * (user_id, sent_at, peer) finds the candidates. */
static enum store_result sms_batch_dups(struct store *s, void *ctx)
{
    struct sms_batch *b = ctx;
    struct st_array peers, sents, bodies, checks;
    st_array_init(&peers);
    st_array_init(&sents);
    st_array_init(&bodies);
    st_array_init(&checks);
    bool any = false;
    for (size_t i = 0; i < b->count; i++) {
        const struct store_sms_new *in = &b->items[b->idx[i]];
        const char *peer = in->peer ? in->peer : "";
        st_array_text(&peers, peer, strlen(peer));
        if (in->sent_at)
            st_array_ll(&sents, (long long)in->sent_at);
        else
            st_array_null(&sents);
        st_array_text(&bodies, in->body, in->body_len);
        st_array_ll(&checks, in->skip_duplicate ? 1 : 0);
        any = any || in->skip_duplicate;
    }
    PGresult *r = NULL;
    enum store_result rc = STORE_OK;
    if (!any)
        goto out;
    const char *p[] = { b->user_id, st_array_get(&peers), st_array_get(&sents), st_array_get(&bodies),
                        st_array_get(&checks) };
    rc = st_exec(s, "sms-dup-many",
        "WITH t AS (SELECT t.*, row_number() OVER (PARTITION BY peer, sent, body ORDER BY i) AS k"
        "  FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[])"
        "  WITH ORDINALITY AS t(peer, sent, body, chk, i))"
        " SELECT i FROM t WHERE chk = 1 AND (k > 1"
        "  OR EXISTS (SELECT 1 FROM sms s WHERE s.user_id = $1 AND s.sent_at = to_timestamp(t.sent)"
        "             AND s.peer = t.peer AND s.body = t.body)"
        "  OR (t.sent IS NULL AND EXISTS (SELECT 1 FROM sms s WHERE s.user_id = $1 AND s.sent_at IS NULL"
        "             AND s.peer = t.peer AND s.body = t.body)))",
        5, p, &r);
    if (rc != STORE_OK)
        goto out;
    for (int row = 0; row < PQntuples(r); row++) {
        long long i = st_getll(r, row, 0);
        if (i >= 1 && (size_t)i <= b->count)
            b->skip[i - 1] = true;
    }
    PQclear(r);
out:
    st_array_cleanup(&peers);
    st_array_cleanup(&sents);
    st_array_cleanup(&bodies);
    st_array_cleanup(&checks);
    return rc;
}

/* Insert the valid items before fit that are not skipped, numbered from first_n. */
static enum store_result sms_batch_insert(struct store *s, const struct sms_batch *b, size_t fit,
                                          long long first_n)
{
    struct st_array peers, bodies, sents, sizes, sources;
    st_array_init(&peers);
    st_array_init(&bodies);
    st_array_init(&sents);
    st_array_init(&sizes);
    st_array_init(&sources);
    for (size_t i = 0; i < fit; i++) {
        if (b->skip[i])
            continue;
        const struct store_sms_new *in = &b->items[b->idx[i]];
        const char *peer = in->peer ? in->peer : "";
        st_array_text(&peers, peer, strlen(peer));
        st_array_text(&bodies, in->body, in->body_len);
        if (in->sent_at)
            st_array_ll(&sents, (long long)in->sent_at);
        else
            st_array_null(&sents);
        st_array_ll(&sizes, (long long)in->body_len);
        st_array_text(&sources, in->source, strlen(in->source));
    }
    char nb[24];
    st_lld(nb, first_n);
    const char *p[] = { b->user_id, nb, st_array_get(&peers), st_array_get(&bodies), st_array_get(&sents),
                        st_array_get(&sizes), st_array_get(&sources) };
    enum store_result rc = st_exec(s, "sms-insert-many",
        "INSERT INTO sms (user_id, n, peer, body, sent_at, size_bytes, source)"
        " SELECT $1, $2::bigint + t.i - 1, t.peer, t.body, to_timestamp(t.sent), t.size, t.source"
        " FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[])"
        " WITH ORDINALITY AS t(peer, body, sent, size, source, i)", 7, p, NULL);
    st_array_cleanup(&peers);
    st_array_cleanup(&bodies);
    st_array_cleanup(&sents);
    st_array_cleanup(&sizes);
    st_array_cleanup(&sources);
    return rc;
}

enum store_result store_sms_add_many(struct store *s, const char *user_id, const struct store_sms_new *items,
                                     size_t count, enum store_result *results, long long *n_out)
{
    if (count > LIMIT_SMS_BATCH_MAX || (count > 0 && (items == NULL || results == NULL)))
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    size_t *idx = xcalloc(count ? count : 1, sizeof *idx);
    bool *skip = xcalloc(count ? count : 1, sizeof *skip);
    long long *sizes = xcalloc(count ? count : 1, sizeof *sizes);
    size_t nvalid = 0, fit = 0;
    long long first_n = 0;
    for (size_t i = 0; i < count; i++)
        if (sms_valid(&items[i])) {
            sizes[nvalid] = (long long)items[i].body_len;
            idx[nvalid++] = i;
        }
    struct sms_batch b = { user_id, items, idx, nvalid, skip };

    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        goto out;
    rc = st_space_charge_many(s, user_id, STORE_SMS, sizes, skip, nvalid, sms_batch_dups, &b, &fit, &first_n);
    bool stored_any = false;
    for (size_t i = 0; rc == STORE_OK && i < fit; i++)
        stored_any = stored_any || !skip[i];
    if (rc == STORE_OK && stored_any)
        rc = sms_batch_insert(s, &b, fit, first_n);
    enum store_result space = rc;   /* STORE_NO_SPACE: nothing charged, rolled back below */
    rc = st_tx_finish(s, rc);
    if (space == STORE_NO_SPACE)
        rc = STORE_NO_SPACE;
    if (rc != STORE_OK && rc != STORE_NO_SPACE)
        goto out;
    if (rc == STORE_OK && fit < nvalid)
        rc = STORE_NO_SPACE;
    /* results in items' order: invalid ones wherever they are, the valid in
     * their order with the refusal point at valid item fit */
    size_t v = 0, n = 0;
    bool refused = false;
    for (size_t i = 0; i < count; i++) {
        if (v < nvalid && idx[v] == i) {
            if (v >= fit)
                refused = true;
            if (refused)
                results[i] = STORE_NO_SPACE;
            else if (skip[v])
                results[i] = STORE_CONFLICT;
            else {
                results[i] = STORE_OK;
                if (n_out)
                    n_out[i] = first_n + (long long)n;
                n++;
            }
            v++;
        } else {
            results[i] = refused ? STORE_NO_SPACE : STORE_INVALID;
        }
    }
out:
    free(idx);
    free(skip);
    free(sizes);
    return rc;
}

#define SMS_COLS "n, peer, body, extract(epoch FROM sent_at)::bigint," \
                 " extract(epoch FROM saved_at)::bigint, size_bytes, source"

static void sms_from_row(const PGresult *r, int row, struct store_sms *m)
{
    memset(m, 0, sizeof *m);
    m->n = st_getll(r, row, 0);
    m->peer = st_getdup(r, row, 1);
    m->body_len = (size_t)PQgetlength(r, row, 2);
    m->body = xmemdup0(PQgetvalue(r, row, 2), m->body_len);
    m->sent_at = st_gettime(r, row, 3);
    m->saved_at = st_gettime(r, row, 4);
    m->size_bytes = st_getll(r, row, 5);
    snprintf(m->source, sizeof m->source, "%s", PQgetvalue(r, row, 6));
}

enum store_result store_sms_get(struct store *s, const char *user_id, long long n, struct store_sms *out)
{
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    char nb[24];
    st_lld(nb, n);
    const char *p[] = { user_id, nb };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "sms-get",
                                   "SELECT " SMS_COLS " FROM sms WHERE user_id = $1 AND n = $2", 2, p, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;
    else
        sms_from_row(r, 0, out);
    PQclear(r);
    return rc;
}

enum store_result store_sms_list(struct store *s, const char *user_id, const struct store_page *page,
                                 struct store_sms_list *out)
{
    static const char *const cols[] = { "body", "peer", NULL };
    PGresult *r = NULL;
    size_t n = 0;
    bool more = false;
    enum store_result rc = st_page_query(s, "sms-list",
                                         "SELECT " SMS_COLS " FROM sms WHERE user_id = $1"
                                         " AND ($2::bigint = 0 OR n < $2::bigint)",
                                         cols, user_id, page, &r, &n, &more);
    if (rc != STORE_OK)
        return rc;
    memset(out, 0, sizeof *out);
    out->more = more;
    out->items = xcalloc(n ? n : 1, sizeof *out->items);
    for (size_t i = 0; i < n; i++)
        sms_from_row(r, (int)i, &out->items[i]);
    out->count = n;
    PQclear(r);
    return STORE_OK;
}

void store_sms_cleanup(struct store_sms *m)
{
    if (m == NULL)
        return;
    free(m->peer);
    free(m->body);
    m->peer = m->body = NULL;
}

void store_sms_list_cleanup(struct store_sms_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->count; i++)
        store_sms_cleanup(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}
