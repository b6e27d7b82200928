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

/*
 * The common case in one statement: an upload that leaves at least the
 * threshold free needs no growth (store_space_wanted is 0), so the charge is
 * a conditional UPDATE of the user's row (its row lock, FOR NO KEY UPDATE,
 * is the UPDATE's own) and the insert rides on it. No row: the user is
 * unknown or the space must grow; the caller takes the locking path.
 */
static enum store_result sms_save_fast(struct store *s, const char *user_id, const char *const *item,
                                       struct store_saved *out)
{
    char th[24];
    st_lld(th, s->cfg.threshold_bytes);
    const char *p[] = { user_id, item[5], th, item[2], item[3], item[4], item[6] };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "sms-save",
        "WITH u AS (UPDATE users SET used_bytes = used_bytes + $2::bigint, next_sms = next_sms + 1"
        "   WHERE id = $1 AND allocated_bytes - used_bytes - $2::bigint >= $3::bigint"
        "   RETURNING id, next_sms - 1 AS n, used_bytes, allocated_bytes),"
        " i AS (INSERT INTO sms (user_id, n, peer, body, sent_at, size_bytes, source)"
        "   SELECT u.id, u.n, $4, $5, to_timestamp($6::bigint), $2::bigint, $7 FROM u)"
        " SELECT n, used_bytes, allocated_bytes FROM u", 7, p, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0) {
        rc = STORE_NOT_FOUND;
    } else {
        out->n = st_getll(r, 0, 0);
        out->used_bytes = st_getll(r, 0, 1);
        out->allocated_bytes = st_getll(r, 0, 2);
        out->grew = false;
    }
    PQclear(r);
    return rc;
}

enum store_result store_sms_save(struct store *s, const char *user_id, const struct store_sms_new *in,
                                 struct store_saved *out)
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
    struct store_saved saved = { 0 };

    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        goto out;
    /* user, n, peer, body, sent_at, size, source: the insert's values */
    const char *item[] = { user_id, NULL, peer, body, sent_p, size, in->source };
    rc = in->skip_duplicate ? STORE_NOT_FOUND : sms_save_fast(s, user_id, item, &saved);
    if (rc == STORE_NOT_FOUND) {
        /* locked, growing (or duplicate-checked): the charge as space.c does it */
        rc = st_space_charge_ex(s, user_id, STORE_SMS, (long long)in->body_len,
                                in->skip_duplicate ? sms_dup_check : NULL, &dup, &saved.n, &saved);
        if (rc == STORE_OK) {
            st_lld(nb, saved.n);
            item[1] = nb;
            rc = st_exec(s, "sms-insert",
                         "INSERT INTO sms (user_id, n, peer, body, sent_at, size_bytes, source)"
                         " VALUES ($1, $2, $3, $4, to_timestamp($5::bigint), $6, $7)", 7, item, NULL);
        }
    }
    rc = st_tx_finish(s, rc);
out:
    free(body);
    if (rc == STORE_OK)
        *out = saved;
    return rc;
}

enum store_result store_sms_add(struct store *s, const char *user_id, const struct store_sms_new *in,
                                long long *n_out)
{
    struct store_saved saved;
    enum store_result rc = store_sms_save(s, user_id, in, &saved);
    if (rc == STORE_OK)
        *n_out = saved.n;
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
    enum store_result rc = STORE_OK;
    if (!any)
        goto out;
    const char *p[] = { b->user_id, st_array_get(&peers), st_array_get(&sents), st_array_get(&bodies),
                        st_array_get(&checks) };
    rc = st_batch_skip(s, "sms-dup-many",
        "WITH t AS (SELECT t.*, row_number() OVER (PARTITION BY peer, sent, body ORDER BY i) AS k"
        "  FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[])"
        "  WITH ORDINALITY AS t(peer, sent, body, chk, i))"
        " SELECT i FROM t WHERE chk = 1 AND (k > 1"
        "  OR EXISTS (SELECT 1 FROM sms s WHERE s.user_id = $1 AND s.sent_at = to_timestamp(t.sent)"
        "             AND s.peer = t.peer AND s.body = t.body)"
        "  OR (t.sent IS NULL AND EXISTS (SELECT 1 FROM sms s WHERE s.user_id = $1 AND s.sent_at IS NULL"
        "             AND s.peer = t.peer AND s.body = t.body)))",
        5, p, b->skip, b->count);
out:
    st_array_cleanup(&peers);
    st_array_cleanup(&sents);
    st_array_cleanup(&bodies);
    st_array_cleanup(&checks);
    return rc;
}

/* st_batch_insert_fn: the valid items before fit that are not skipped,
 * numbered from first_n. */
static enum store_result sms_batch_insert(struct store *s, void *ctx, size_t fit, long long first_n)
{
    const struct sms_batch *b = ctx;
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
    enum store_result rc = st_batch_add(s, user_id, STORE_SMS, sizes, NULL, skip, nvalid, sms_batch_dups,
                                        sms_batch_insert, &b, &fit, &first_n);
    if (rc != STORE_OK && rc != STORE_NO_SPACE)
        goto out;
    /* results in items' order: invalid ones wherever they are, the valid in
     * their order with the refusal point at valid item fit */
    st_batch_results(count, idx, nvalid, fit, skip, NULL, first_n, results, n_out);
out:
    free(idx);
    free(skip);
    free(sizes);
    return rc;
}

#define SMS_COLS "n, peer, body, extract(epoch FROM sent_at)::bigint," \
                 " extract(epoch FROM saved_at)::bigint, size_bytes, source"

static void sms_from_row(const PGresult *r, int row, void *dst)
{
    struct store_sms *m = dst;
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
    return st_item_get(s, "sms-get", "SELECT " SMS_COLS " FROM sms WHERE user_id = $1 AND n = $2",
                       user_id, n, sms_from_row, out);
}

enum store_result store_sms_list(struct store *s, const char *user_id, const struct store_page *page,
                                 struct store_sms_list *out)
{
    static const char *const cols[] = { "body", "peer", NULL };
    struct store_sms_list l = { 0 };
    void *items = NULL;
    enum store_result rc = st_page_items(s, "sms-list",
                                         "SELECT " SMS_COLS " FROM sms WHERE user_id = $1"
                                         " AND ($2::bigint = 0 OR n < $2::bigint)",
                                         cols, "sv_search_key(body || ' ' || peer)", user_id, page, sms_from_row, sizeof *l.items,
                                         &items, &l.count, &l.more);
    if (rc == STORE_OK) {
        l.items = items;
        *out = l;
    }
    return rc;
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
