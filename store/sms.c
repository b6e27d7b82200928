/*
 * sms — archived text messages: add (space charged under the user's row lock,
 * per-user number never reused), add many at once for imports (one row lock,
 * one duplicate query, one insert per batch), SAVE in one statement when it
 * can (else the batch's duplicate query and insert for one item), get,
 * keyset-paged list newest first with word search. Deleting is
 * store_items_delete() in space.c. Bodies are UTF-8 text stored byte for
 * byte, and so is every field of an SMS Backup & Restore <sms> (migration
 * 011): the direction, both dates to the millisecond, the fields kept as
 * written and a device's own attributes. Nothing here interprets them.
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
           st_valid_line(in->phone, LIMIT_PEER_MAX, true) && st_valid_source(in->source) && in->sent_at >= 0 &&
           in->sent_ms >= 0 && in->sent_ms <= 999 && in->type >= 0 && in->type <= STORE_TYPE_MAX &&
           in->date_sent_ms >= 0 && st_valid_fields(in->fields, STORE_SMS_NFIELDS) &&
           st_valid_attrs(in->extra, in->nextra);
}

/* ---- many at once (imports; SAVE's full path is one of these) ---- */

struct sms_batch {
    const char *user_id;
    const struct store_sms_new *items;
    const size_t *idx;   /* the valid items: their places in items[] */
    size_t count;
    bool *skip;          /* per valid item: a duplicate, not to be stored */
};

/* One query for the whole batch: an item that asks for it is a duplicate when
 * the same SMS is stored already or comes earlier in the batch — same peer
 * and body, a date in the same second (SMS stored before migration 011 kept
 * only seconds), the same type or no type known on one side. One stored
 * without a date (SAVE, the page) is exported with the date it was stored
 * on, so that date finds it again. Dates are compared as a range of one
 * second so that the sms_dup index (user_id, sent_at, peer) finds the
 * candidates. */
static enum store_result sms_batch_dups(struct store *s, void *ctx)
{
    struct sms_batch *b = ctx;
    struct st_array peers, secs, bodies, checks, types;
    st_array_init(&peers);
    st_array_init(&secs);
    st_array_init(&bodies);
    st_array_init(&checks);
    st_array_init(&types);
    bool any = false;
    for (size_t i = 0; i < b->count; i++) {
        const struct store_sms_new *in = &b->items[b->idx[i]];
        const char *peer = in->peer ? in->peer : "";
        st_array_text(&peers, peer, strlen(peer));
        if (in->sent_at)
            st_array_ll(&secs, (long long)in->sent_at);
        else
            st_array_null(&secs);
        st_array_text(&bodies, in->body, in->body_len);
        st_array_ll(&checks, in->skip_duplicate ? 1 : 0);
        if (in->type)
            st_array_ll(&types, in->type);
        else
            st_array_null(&types);
        any = any || in->skip_duplicate;
    }
    enum store_result rc = STORE_OK;
    if (!any)
        goto out;
    const char *p[] = { b->user_id, st_array_get(&peers), st_array_get(&secs), st_array_get(&bodies),
                        st_array_get(&checks), st_array_get(&types) };
    rc = st_batch_skip(s, "sms-dup-many",
        "WITH t AS (SELECT t.*, row_number() OVER (PARTITION BY peer, sec, body, type ORDER BY i) AS k"
        "  FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::smallint[])"
        "  WITH ORDINALITY AS t(peer, sec, body, chk, type, i))"
        " SELECT i FROM t WHERE chk = 1 AND (k > 1"
        "  OR EXISTS (SELECT 1 FROM sms s WHERE s.user_id = $1 AND s.sent_at >= to_timestamp(t.sec)"
        "             AND s.sent_at < to_timestamp(t.sec + 1) AND s.peer = t.peer AND s.body = t.body"
        "             AND (s.type IS NULL OR t.type IS NULL OR s.type = t.type))"
        "  OR EXISTS (SELECT 1 FROM sms s WHERE s.user_id = $1 AND s.sent_at IS NULL"
        "             AND s.peer = t.peer AND s.body = t.body"
        "             AND (s.type IS NULL OR t.type IS NULL OR s.type = t.type)"
        "             AND (t.sec IS NULL OR (s.saved_at >= to_timestamp(t.sec)"
        "                                    AND s.saved_at < to_timestamp(t.sec + 1)))))",
        6, p, b->skip, b->count);
out:
    st_array_cleanup(&peers);
    st_array_cleanup(&secs);
    st_array_cleanup(&bodies);
    st_array_cleanup(&checks);
    st_array_cleanup(&types);
    return rc;
}

/* The batch insert's columns: one array parameter each, in this order. */
enum { C_PEER, C_BODY, C_SENT, C_SIZE, C_SOURCE, C_TYPE, C_DSENT, C_PHONE, C_XN, C_XV, C_FIELD0 };
#define SMS_NCOLS (C_FIELD0 + STORE_SMS_NFIELDS)

/* st_batch_insert_fn: the valid items before fit that are not skipped,
 * numbered from first_n, with every column of migration 011. */
static enum store_result sms_batch_insert(struct store *s, void *ctx, size_t fit, long long first_n)
{
    const struct sms_batch *b = ctx;
    struct st_array col[SMS_NCOLS];
    for (int c = 0; c < SMS_NCOLS; c++)
        st_array_init(&col[c]);
    for (size_t i = 0; i < fit; i++) {
        if (b->skip[i])
            continue;
        const struct store_sms_new *in = &b->items[b->idx[i]];
        const char *peer = in->peer ? in->peer : "", *phone = in->phone ? in->phone : "";
        st_array_text(&col[C_PEER], peer, strlen(peer));
        st_array_text(&col[C_BODY], in->body, in->body_len);
        if (in->sent_at || in->sent_ms)
            st_array_ll(&col[C_SENT], (long long)in->sent_at * 1000 + in->sent_ms);
        else
            st_array_null(&col[C_SENT]);
        st_array_ll(&col[C_SIZE], (long long)in->body_len);
        st_array_text(&col[C_SOURCE], in->source, strlen(in->source));
        if (in->type)
            st_array_ll(&col[C_TYPE], in->type);
        else
            st_array_null(&col[C_TYPE]);
        if (in->date_sent_ms)
            st_array_ll(&col[C_DSENT], in->date_sent_ms);
        else
            st_array_null(&col[C_DSENT]);
        st_array_text(&col[C_PHONE], phone, strlen(phone));
        /* a device's attributes: each item's two arrays as one element of text */
        struct st_array xn, xv;
        st_array_init(&xn);
        st_array_init(&xv);
        st_array_attrs(&xn, &xv, in->extra, in->nextra);
        const char *xns = st_array_get(&xn), *xvs = st_array_get(&xv);
        st_array_text(&col[C_XN], xns, strlen(xns));
        st_array_text(&col[C_XV], xvs, strlen(xvs));
        st_array_cleanup(&xn);
        st_array_cleanup(&xv);
        for (int f = 0; f < STORE_SMS_NFIELDS; f++)
            st_array_text(&col[C_FIELD0 + f], in->fields[f], in->fields[f] ? strlen(in->fields[f]) : 0);
    }
    /* only fixed column names and parameter numbers go into the text */
    struct buf sql;
    buf_init(&sql);
    buf_puts(&sql, "INSERT INTO sms (user_id, n, peer, body, sent_at, size_bytes, source, type, date_sent, phone,"
                   " extra_names, extra_values");
    st_cols(&sql, "", store_sms_fields, STORE_SMS_NFIELDS);
    buf_puts(&sql, ") SELECT $1, $2::bigint + t.i - 1, t.peer, t.body, " ST_MS_TO_TS("t.sent") ", t.size, t.source,"
                   " t.type, " ST_MS_TO_TS("t.dsent") ", t.phone, t.xn::text[], t.xv::text[]");
    st_cols(&sql, "t.", store_sms_fields, STORE_SMS_NFIELDS);
    buf_puts(&sql, " FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::smallint[],"
                   " $9::bigint[], $10::text[], $11::text[], $12::text[]");
    for (int f = 0; f < STORE_SMS_NFIELDS; f++)
        buf_printf(&sql, ", $%d::text[]", 3 + C_FIELD0 + f);
    buf_puts(&sql, ") WITH ORDINALITY AS t(peer, body, sent, size, source, type, dsent, phone, xn, xv");
    st_cols(&sql, "", store_sms_fields, STORE_SMS_NFIELDS);
    buf_puts(&sql, ", i)");
    char nb[24];
    st_lld(nb, first_n);
    const char *p[2 + SMS_NCOLS] = { b->user_id, nb };
    for (int c = 0; c < SMS_NCOLS; c++)
        p[2 + c] = st_array_get(&col[c]);
    enum store_result rc = st_exec(s, "sms-insert-many", buf_cstr(&sql), 2 + SMS_NCOLS, p, NULL);
    buf_cleanup(&sql);
    for (int c = 0; c < SMS_NCOLS; c++)
        st_array_cleanup(&col[c]);
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

/* One SMS as the batch sees it: the batch's duplicate query on a batch of
 * one, STORE_CONFLICT when it finds the item (st_dup_fn). */
static enum store_result sms_one_dup(struct store *s, void *ctx)
{
    struct sms_batch *b = ctx;
    enum store_result rc = sms_batch_dups(s, b);
    return rc == STORE_OK && b->skip[0] ? STORE_CONFLICT : rc;
}

/* Whether the one-statement path can store in: it writes the columns SAVE
 * and the forward short code give (peer, body, seconds, source, type and
 * the phone); any other field of migration 011 takes the full path. */
static bool sms_fast_ok(const struct store_sms_new *in)
{
    if (in->skip_duplicate || in->sent_ms != 0 || in->date_sent_ms != 0 || in->nextra != 0)
        return false;
    for (int f = 0; f < STORE_SMS_NFIELDS; f++)
        if (in->fields[f] != NULL)
            return false;
    return true;
}

/*
 * The common case in one statement: an upload that leaves at least the
 * threshold free needs no growth (store_space_wanted is 0), so the charge is
 * a conditional UPDATE of the user's row (its row lock, FOR NO KEY UPDATE,
 * is the UPDATE's own) and the insert rides on it. No row: the user is
 * unknown or the space must grow; the caller takes the locking path.
 */
static enum store_result sms_save_fast(struct store *s, const char *user_id, const struct store_sms_new *in,
                                       struct store_saved *out)
{
    char th[24], size[24], sent[24], type[24];
    st_lld(th, s->cfg.threshold_bytes);
    st_lld(size, (long long)in->body_len);
    st_lld(sent, (long long)in->sent_at);
    st_lld(type, in->type);
    char *body = xmemdup0(in->body, in->body_len);
    const char *p[] = { user_id, size, th, in->peer ? in->peer : "", body, in->sent_at ? sent : NULL,
                        in->source, in->type ? type : NULL, in->phone ? in->phone : "" };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "sms-save",
        "WITH u AS (UPDATE users SET used_bytes = used_bytes + $2::bigint, next_sms = next_sms + 1"
        "   WHERE id = $1 AND allocated_bytes - used_bytes - $2::bigint >= $3::bigint"
        "   RETURNING id, next_sms - 1 AS n, used_bytes, allocated_bytes),"
        " i AS (INSERT INTO sms (user_id, n, peer, body, sent_at, size_bytes, source, type, phone)"
        "   SELECT u.id, u.n, $4, $5, to_timestamp($6::bigint), $2::bigint, $7, $8::smallint, $9 FROM u)"
        " SELECT n, used_bytes, allocated_bytes FROM u", 9, p, &r);
    free(body);
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
    size_t zero = 0;
    bool skip = false;
    struct sms_batch one = { user_id, in, &zero, 1, &skip };
    struct store_saved saved = { 0 };

    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = sms_fast_ok(in) ? sms_save_fast(s, user_id, in, &saved) : STORE_NOT_FOUND;
    if (rc == STORE_NOT_FOUND) {
        /* locked, growing, duplicate-checked or with the archive's fields:
         * the charge as space.c does it, the insert as the batch's */
        rc = st_space_charge_ex(s, user_id, STORE_SMS, (long long)in->body_len,
                                in->skip_duplicate ? sms_one_dup : NULL, &one, &saved.n, &saved);
        if (rc == STORE_OK)
            rc = sms_batch_insert(s, &one, 1, saved.n);
    }
    rc = st_tx_finish(s, rc);
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

/* The columns an SMS is read with, before the fields kept as written;
 * sms_from_row knows their places. */
#define SMS_HEAD "n, peer, body, " ST_TS_TO_MS("sent_at") ", floor(extract(epoch FROM saved_at))::bigint, size_bytes," \
                 " source, type, " ST_TS_TO_MS("date_sent") ", phone, extra_names, extra_values"
#define SMS_COL_FIELD0 12

static void sms_from_row(const PGresult *r, int row, void *dst)
{
    struct store_sms *m = dst;
    memset(m, 0, sizeof *m);
    m->n = st_getll(r, row, 0);
    m->peer = st_getdup(r, row, 1);
    m->body_len = (size_t)PQgetlength(r, row, 2);
    m->body = xmemdup0(PQgetvalue(r, row, 2), m->body_len);
    st_getms(r, row, 3, &m->sent_at, &m->sent_ms);
    m->saved_at = st_gettime(r, row, 4);
    m->size_bytes = st_getll(r, row, 5);
    snprintf(m->source, sizeof m->source, "%s", PQgetvalue(r, row, 6));
    m->type = (int)st_getll(r, row, 7);
    m->date_sent_ms = st_getll(r, row, 8);
    m->phone = st_getdup(r, row, 9);
    st_get_attrs(r, row, 10, 11, &m->extra, &m->nextra);
    for (int f = 0; f < STORE_SMS_NFIELDS; f++)
        m->fields[f] = st_getdup_null(r, row, SMS_COL_FIELD0 + f);
}

static const struct st_read sms_read = { STORE_SMS, "sms", SMS_HEAD, store_sms_fields, STORE_SMS_NFIELDS,
                                         sms_from_row };

enum store_result store_sms_get(struct store *s, const char *user_id, long long n, struct store_sms *out)
{
    return st_read_get(s, "sms-get", &sms_read, user_id, n, out);
}

enum store_result store_sms_list(struct store *s, const char *user_id, const struct store_page *page,
                                 struct store_sms_list *out)
{
    struct store_sms_list l = { 0 };
    void *items = NULL;
    enum store_result rc = st_read_page(s, "sms-list", &sms_read, user_id, page, sizeof *l.items, &items, &l.count,
                                        &l.more);
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
    free(m->phone);
    for (int f = 0; f < STORE_SMS_NFIELDS; f++)
        free(m->fields[f]);
    st_attrs_free(m->extra, m->nextra);
    memset(m, 0, sizeof *m);
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
