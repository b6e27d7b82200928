/*
 * sms — archived text messages: add (space charged under the user's row lock,
 * per-user number never reused), get, keyset-paged list newest first with
 * word search. Deleting is store_items_delete() in space.c. Bodies are UTF-8
 * text stored byte for byte; nothing here interprets them.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "utf8.h"

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
        " AND sent_at IS NOT DISTINCT FROM to_timestamp($3::bigint) AND body = $4 LIMIT 1",
        4, p, &r);
    if (rc == STORE_OK && PQntuples(r) > 0)
        rc = STORE_CONFLICT;
    PQclear(r);
    return rc;
}

enum store_result store_sms_add(struct store *s, const char *user_id, const struct store_sms_new *in,
                                long long *n_out)
{
    if (in == NULL || in->body == NULL || in->body_len == 0 || in->body_len > STORE_SMS_BODY_MAX ||
        !utf8_valid(in->body, in->body_len) || !st_valid_text(in->peer, STORE_PEER_MAX, true) ||
        !st_valid_source(in->source) || in->sent_at < 0)
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
