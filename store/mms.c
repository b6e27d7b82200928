/*
 * mms — archived MMS: the message row (peer, subject, dates, size, a text
 * preview of its text/plain parts) and its parts with their bytes, stored
 * byte for byte as bytea (binary parameters and results: NUL bytes survive).
 * Space is charged like every item kind (space.c). It does not decode MMS
 * PDUs; callers hand over parts already split.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "log.h"
#include "utf8.h"

struct mms_dup {
    const char *user_id, *peer, *sent_at, *subject, *size;
};

static enum store_result mms_dup_check(struct store *s, void *ctx)
{
    const struct mms_dup *d = ctx;
    const char *p[] = { d->user_id, d->peer, d->sent_at, d->subject, d->size };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "mms-dup",
        "SELECT 1 FROM mms WHERE user_id = $1 AND peer = $2"
        " AND sent_at IS NOT DISTINCT FROM to_timestamp($3::bigint) AND subject = $4"
        " AND size_bytes = $5::bigint LIMIT 1", 5, p, &r);
    if (rc == STORE_OK && PQntuples(r) > 0)
        rc = STORE_CONFLICT;
    PQclear(r);
    return rc;
}

static bool is_text_plain(const char *ct)
{
    return strncasecmp(ct, "text/plain", 10) == 0 && (ct[10] == '\0' || ct[10] == ';' || ct[10] == ' ');
}

/* Validate the parts; writes the total size and the preview text (text/plain
 * parts that are UTF-8, joined by newlines). */
static bool check_parts(const struct store_mms_new *in, long long *total, char **text_out)
{
    if (in->parts == NULL || in->nparts < 1 || in->nparts > LIMIT_MMS_PARTS_MAX)
        return false;
    size_t sum = 0, tlen = 0;
    for (size_t i = 0; i < in->nparts; i++) {
        const struct store_mms_part_new *p = &in->parts[i];
        if (!st_valid_line(p->content_type, LIMIT_TEXT_FIELD_MAX, false) ||
            !st_valid_line(p->name, LIMIT_TEXT_FIELD_MAX, true) ||
            !st_valid_line(p->content_id, LIMIT_TEXT_FIELD_MAX, true) || (p->len > 0 && p->data == NULL) ||
            p->len > LIMIT_MMS_MAX)
            return false;
        sum += p->len;
        if (sum > LIMIT_MMS_MAX)
            return false;
        if (is_text_plain(p->content_type) && utf8_valid((const char *)p->data, p->len))
            tlen += p->len + 1;
    }
    char *text = xmalloc(tlen + 1);
    size_t k = 0;
    for (size_t i = 0; i < in->nparts; i++) {
        const struct store_mms_part_new *p = &in->parts[i];
        if (is_text_plain(p->content_type) && utf8_valid((const char *)p->data, p->len)) {
            if (k)
                text[k++] = '\n';
            if (p->len)
                memcpy(text + k, p->data, p->len);
            k += p->len;
        }
    }
    text[k] = '\0';
    *total = (long long)sum;
    *text_out = text;
    return true;
}

static enum store_result insert_parts(struct store *s, const char *user_id, const char *nb,
                                      const struct store_mms_new *in)
{
    enum store_result rc = STORE_OK;
    static const unsigned char empty[1];
    for (size_t i = 0; rc == STORE_OK && i < in->nparts; i++) {
        const struct store_mms_part_new *part = &in->parts[i];
        char seq[24];
        st_lld(seq, (long long)i);
        const char *p[] = { user_id, nb, seq, part->content_type, part->name ? part->name : "",
                            part->len ? (const char *)part->data : (const char *)empty,
                            part->content_id ? part->content_id : "" };
        const int len[] = { 0, 0, 0, 0, 0, (int)part->len, 0 };
        const int fmt[] = { 0, 0, 0, 0, 0, 1, 0 };
        rc = st_exec_bin(s, "mms-part-insert",
                         "INSERT INTO mms_parts (user_id, n, seq, content_type, name, data, content_id)"
                         " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, p, len, fmt, NULL);
    }
    return rc;
}

/* What store_mms_add accepts; writes the size and the preview (free()). */
static bool mms_valid(const struct store_mms_new *in, long long *size, char **text)
{
    return in && st_valid_line(in->peer, LIMIT_PEER_MAX, true) &&
           st_valid_text(in->subject, LIMIT_TEXT_FIELD_MAX, true) && st_valid_source(in->source) &&
           in->sent_at >= 0 && check_parts(in, size, text);
}

enum store_result store_mms_add(struct store *s, const char *user_id, const struct store_mms_new *in,
                                long long *n_out)
{
    long long size = 0;
    char *text = NULL;
    if (!mms_valid(in, &size, &text))
        return STORE_INVALID;
    if (!st_valid_id(user_id)) {
        free(text);
        return STORE_NOT_FOUND;
    }
    const char *peer = in->peer ? in->peer : "", *subject = in->subject ? in->subject : "";
    char sent[24], sz[24], nb[24], np[24];
    st_lld(sent, (long long)in->sent_at);
    st_lld(sz, size);
    st_lld(np, (long long)in->nparts);
    const char *sent_p = in->sent_at ? sent : NULL;
    struct mms_dup dup = { user_id, peer, sent_p, subject, sz };
    long long n = 0;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        goto out;
    rc = st_space_charge(s, user_id, STORE_MMS, size, in->skip_duplicate ? mms_dup_check : NULL, &dup, &n);
    if (rc == STORE_OK) {
        st_lld(nb, n);
        const char *p[] = { user_id, nb, peer, subject, text, sent_p, sz, np, in->source };
        rc = st_exec(s, "mms-insert",
                     "INSERT INTO mms (user_id, n, peer, subject, text, sent_at, size_bytes, nparts, source)"
                     " VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint), $7, $8, $9)", 9, p, NULL);
    }
    if (rc == STORE_OK)
        rc = insert_parts(s, user_id, nb, in);
    rc = st_tx_finish(s, rc);
out:
    free(text);
    if (rc == STORE_OK)
        *n_out = n;
    return rc;
}

/* ---- many at once (imports) ---- */

struct mms_batch {
    const char *user_id;
    const struct store_mms_new *items;
    const size_t *idx;   /* the valid items: their places in items[] */
    const long long *sizes;
    char *const *texts;  /* their previews */
    size_t count;
    bool *skip;          /* per valid item: a duplicate, not to be stored */
};

/* One query for the whole batch (st_dup_fn): an item that asks for it is a
 * duplicate when the same (peer, sent_at, subject, size) is stored already
 * or comes earlier in the batch; sent_at compared with = (or IS NULL) for
 * the mms_dup index. */
static enum store_result mms_batch_dups(struct store *s, void *ctx)
{
    struct mms_batch *b = ctx;
    struct st_array peers, sents, subjects, sizes, checks;
    st_array_init(&peers);
    st_array_init(&sents);
    st_array_init(&subjects);
    st_array_init(&sizes);
    st_array_init(&checks);
    bool any = false;
    for (size_t i = 0; i < b->count; i++) {
        const struct store_mms_new *in = &b->items[b->idx[i]];
        const char *peer = in->peer ? in->peer : "", *subject = in->subject ? in->subject : "";
        st_array_text(&peers, peer, strlen(peer));
        if (in->sent_at)
            st_array_ll(&sents, (long long)in->sent_at);
        else
            st_array_null(&sents);
        st_array_text(&subjects, subject, strlen(subject));
        st_array_ll(&sizes, b->sizes[i]);
        st_array_ll(&checks, in->skip_duplicate ? 1 : 0);
        any = any || in->skip_duplicate;
    }
    enum store_result rc = STORE_OK;
    if (!any)
        goto out;
    const char *p[] = { b->user_id, st_array_get(&peers), st_array_get(&sents), st_array_get(&subjects),
                        st_array_get(&sizes), st_array_get(&checks) };
    rc = st_batch_skip(s, "mms-dup-many",
        "WITH t AS (SELECT t.*, row_number() OVER (PARTITION BY peer, sent, subject, size ORDER BY i) AS k"
        "  FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[])"
        "  WITH ORDINALITY AS t(peer, sent, subject, size, chk, i))"
        " SELECT i FROM t WHERE chk = 1 AND (k > 1"
        "  OR EXISTS (SELECT 1 FROM mms m WHERE m.user_id = $1 AND m.sent_at = to_timestamp(t.sent)"
        "             AND m.peer = t.peer AND m.subject = t.subject AND m.size_bytes = t.size)"
        "  OR (t.sent IS NULL AND EXISTS (SELECT 1 FROM mms m WHERE m.user_id = $1 AND m.sent_at IS NULL"
        "             AND m.peer = t.peer AND m.subject = t.subject AND m.size_bytes = t.size)))",
        6, p, b->skip, b->count);
out:
    st_array_cleanup(&peers);
    st_array_cleanup(&sents);
    st_array_cleanup(&subjects);
    st_array_cleanup(&sizes);
    st_array_cleanup(&checks);
    return rc;
}

/* The parts of the items to store, in one statement: their bytes as one
 * binary parameter, each part cut from it by offset and length. */
static enum store_result mms_batch_parts(struct store *s, const struct mms_batch *b, size_t fit,
                                         const char *first_n)
{
    struct st_array items, seqs, types, names, cids, offs, lens;
    st_array_init(&items);
    st_array_init(&seqs);
    st_array_init(&types);
    st_array_init(&names);
    st_array_init(&cids);
    st_array_init(&offs);
    st_array_init(&lens);
    struct buf blob;
    buf_init(&blob);
    long long k = 0, bytes = 0;
    for (size_t i = 0; i < fit; i++)
        bytes += b->skip[i] ? 0 : b->sizes[i];
    buf_reserve(&blob, (size_t)bytes);   /* the size of all parts: one allocation */
    for (size_t i = 0; i < fit; i++) {
        if (b->skip[i])
            continue;
        const struct store_mms_new *in = &b->items[b->idx[i]];
        k++;
        for (size_t j = 0; j < in->nparts; j++) {
            const struct store_mms_part_new *part = &in->parts[j];
            st_array_ll(&items, k);
            st_array_ll(&seqs, (long long)j);
            st_array_text(&types, part->content_type, strlen(part->content_type));
            st_array_text(&names, part->name ? part->name : "", part->name ? strlen(part->name) : 0);
            st_array_text(&cids, part->content_id ? part->content_id : "",
                          part->content_id ? strlen(part->content_id) : 0);
            st_array_ll(&offs, (long long)blob.len);
            st_array_ll(&lens, (long long)part->len);
            if (part->len)
                buf_append(&blob, part->data, part->len);
        }
    }
    static const char empty[1];
    const char *p[] = { b->user_id, first_n, blob.len ? blob.data : empty, st_array_get(&items),
                        st_array_get(&seqs), st_array_get(&types), st_array_get(&names),
                        st_array_get(&cids), st_array_get(&offs), st_array_get(&lens) };
    const int len[] = { 0, 0, (int)blob.len, 0, 0, 0, 0, 0, 0, 0 };
    const int fmt[] = { 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
    enum store_result rc = st_exec_bin(s, "mms-part-insert-many",
        "INSERT INTO mms_parts (user_id, n, seq, content_type, name, data, content_id)"
        " SELECT $1, $2::bigint + t.item - 1, t.seq, t.ct, t.name,"
        "  substring($3::bytea FROM (t.off + 1)::int FOR t.len::int), t.cid"
        " FROM unnest($4::bigint[], $5::int[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[])"
        " AS t(item, seq, ct, name, cid, off, len)", 10, p, len, fmt, NULL);
    buf_cleanup(&blob);
    st_array_cleanup(&items);
    st_array_cleanup(&seqs);
    st_array_cleanup(&types);
    st_array_cleanup(&names);
    st_array_cleanup(&cids);
    st_array_cleanup(&offs);
    st_array_cleanup(&lens);
    return rc;
}

/* st_batch_insert_fn: the messages, then their parts. */
static enum store_result mms_batch_insert(struct store *s, void *ctx, size_t fit, long long first_n)
{
    const struct mms_batch *b = ctx;
    struct st_array peers, subjects, texts, sents, sizes, nparts, sources;
    st_array_init(&peers);
    st_array_init(&subjects);
    st_array_init(&texts);
    st_array_init(&sents);
    st_array_init(&sizes);
    st_array_init(&nparts);
    st_array_init(&sources);
    for (size_t i = 0; i < fit; i++) {
        if (b->skip[i])
            continue;
        const struct store_mms_new *in = &b->items[b->idx[i]];
        const char *peer = in->peer ? in->peer : "", *subject = in->subject ? in->subject : "";
        st_array_text(&peers, peer, strlen(peer));
        st_array_text(&subjects, subject, strlen(subject));
        st_array_text(&texts, b->texts[i], strlen(b->texts[i]));
        if (in->sent_at)
            st_array_ll(&sents, (long long)in->sent_at);
        else
            st_array_null(&sents);
        st_array_ll(&sizes, b->sizes[i]);
        st_array_ll(&nparts, (long long)in->nparts);
        st_array_text(&sources, in->source, strlen(in->source));
    }
    char nb[24];
    st_lld(nb, first_n);
    const char *p[] = { b->user_id, nb, st_array_get(&peers), st_array_get(&subjects), st_array_get(&texts),
                        st_array_get(&sents), st_array_get(&sizes), st_array_get(&nparts),
                        st_array_get(&sources) };
    enum store_result rc = st_exec(s, "mms-insert-many",
        "INSERT INTO mms (user_id, n, peer, subject, text, sent_at, size_bytes, nparts, source)"
        " SELECT $1, $2::bigint + t.i - 1, t.peer, t.subject, t.text, to_timestamp(t.sent), t.size, t.nparts,"
        "  t.source"
        " FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::int[], $9::text[])"
        " WITH ORDINALITY AS t(peer, subject, text, sent, size, nparts, source, i)", 9, p, NULL);
    st_array_cleanup(&peers);
    st_array_cleanup(&subjects);
    st_array_cleanup(&texts);
    st_array_cleanup(&sents);
    st_array_cleanup(&sizes);
    st_array_cleanup(&nparts);
    st_array_cleanup(&sources);
    if (rc == STORE_OK)
        rc = mms_batch_parts(s, b, fit, nb);
    return rc;
}

enum store_result store_mms_add_many(struct store *s, const char *user_id, const struct store_mms_new *items,
                                     size_t count, enum store_result *results, long long *n_out)
{
    if (count > LIMIT_MMS_BATCH_MAX || (count > 0 && (items == NULL || results == NULL)))
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    size_t *idx = xcalloc(count ? count : 1, sizeof *idx);
    bool *skip = xcalloc(count ? count : 1, sizeof *skip);
    long long *sizes = xcalloc(count ? count : 1, sizeof *sizes);
    char **texts = xcalloc(count ? count : 1, sizeof *texts);
    size_t nvalid = 0, fit = 0;
    long long first_n = 0, total = 0;
    for (size_t i = 0; i < count; i++)
        if (mms_valid(&items[i], &sizes[nvalid], &texts[nvalid])) {
            total += sizes[nvalid];
            idx[nvalid++] = i;
        }
    enum store_result rc = STORE_INVALID;
    if (total > LIMIT_MMS_BATCH_BYTES)
        goto out;
    struct mms_batch b = { user_id, items, idx, sizes, texts, nvalid, skip };
    rc = st_batch_add(s, user_id, STORE_MMS, sizes, NULL, skip, nvalid, mms_batch_dups, mms_batch_insert, &b,
                      &fit, &first_n);
    if (rc == STORE_OK || rc == STORE_NO_SPACE)
        st_batch_results(count, idx, nvalid, fit, skip, NULL, first_n, results, n_out);
out:
    for (size_t i = 0; i < nvalid; i++)
        free(texts[i]);
    free(texts);
    free(idx);
    free(skip);
    free(sizes);
    return rc;
}

#define MMS_COLS "n, peer, subject, text, extract(epoch FROM sent_at)::bigint," \
                 " extract(epoch FROM saved_at)::bigint, size_bytes, nparts"

static void mms_from_row(const PGresult *r, int row, void *dst)
{
    struct store_mms *m = dst;
    memset(m, 0, sizeof *m);
    m->n = st_getll(r, row, 0);
    m->peer = st_getdup(r, row, 1);
    m->subject = st_getdup(r, row, 2);
    m->text = st_getdup(r, row, 3);
    m->sent_at = st_gettime(r, row, 4);
    m->saved_at = st_gettime(r, row, 5);
    m->size_bytes = st_getll(r, row, 6);
    m->nparts = (int)st_getll(r, row, 7);
}

enum store_result store_mms_get(struct store *s, const char *user_id, long long n, struct store_mms *out)
{
    return st_item_get(s, "mms-get", "SELECT " MMS_COLS " FROM mms WHERE user_id = $1 AND n = $2",
                       user_id, n, mms_from_row, out);
}

enum store_result store_mms_list(struct store *s, const char *user_id, const struct store_page *page,
                                 struct store_mms_list *out)
{
    static const char *const cols[] = { "subject", "peer", "text", NULL };
    struct store_mms_list l = { 0 };
    void *items = NULL;
    enum store_result rc = st_page_items(s, "mms-list",
                                         "SELECT " MMS_COLS " FROM mms WHERE user_id = $1"
                                         " AND ($2::bigint = 0 OR n < $2::bigint)",
                                         cols, NULL, user_id, page, mms_from_row, sizeof *l.items,
                                         &items, &l.count, &l.more);
    if (rc == STORE_OK) {
        l.items = items;
        *out = l;
    }
    return rc;
}

/* Binary results: text columns arrive as their bytes, data as raw bytes. */
static enum store_result parts_query(struct store *s, const char *user_id, long long n, int seq,
                                     struct store_mms_part **out, size_t *count)
{
    char nb[24], sb[24];
    st_lld(nb, n);
    st_lld(sb, seq);
    const char *p[] = { user_id, nb, sb };
    PGresult *r = PQexecParams(s->conn,
        "SELECT seq::text, content_type, name, data, content_id FROM mms_parts"
        " WHERE user_id = $1 AND n = $2 AND ($3::int < 0 OR seq = $3::int) ORDER BY seq",
        3, NULL, p, NULL, NULL, 1);
    enum store_result rc = st_check(s, r, "mms-parts");
    if (rc == STORE_OK && PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;   /* every MMS has at least one part */
    if (rc == STORE_OK) {
        size_t k = (size_t)PQntuples(r);
        struct store_mms_part *v = xcalloc(k, sizeof *v);
        for (size_t i = 0; i < k; i++) {
            int row = (int)i;
            v[i].seq = atoi(PQgetvalue(r, row, 0));
            v[i].content_type = xmemdup0(PQgetvalue(r, row, 1), (size_t)PQgetlength(r, row, 1));
            v[i].name = xmemdup0(PQgetvalue(r, row, 2), (size_t)PQgetlength(r, row, 2));
            v[i].len = (size_t)PQgetlength(r, row, 3);
            v[i].data = (unsigned char *)xmemdup0(PQgetvalue(r, row, 3), v[i].len);
            v[i].content_id = xmemdup0(PQgetvalue(r, row, 4), (size_t)PQgetlength(r, row, 4));
        }
        *out = v;
        *count = k;
    }
    PQclear(r);
    return rc;
}

enum store_result store_mms_parts(struct store *s, const char *user_id, long long n,
                                  struct store_mms_part **out, size_t *count)
{
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    return parts_query(s, user_id, n, -1, out, count);
}

enum store_result store_mms_part_get(struct store *s, const char *user_id, long long n, int seq,
                                     struct store_mms_part *out)
{
    if (!st_valid_id(user_id) || seq < 0)
        return STORE_NOT_FOUND;
    struct store_mms_part *v = NULL;
    size_t k = 0;
    enum store_result rc = parts_query(s, user_id, n, seq, &v, &k);
    if (rc == STORE_OK) {
        *out = v[0];
        free(v);
    }
    return rc;
}

void store_mms_cleanup(struct store_mms *m)
{
    if (m == NULL)
        return;
    free(m->peer);
    free(m->subject);
    free(m->text);
    m->peer = m->subject = m->text = NULL;
}

void store_mms_list_cleanup(struct store_mms_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->count; i++)
        store_mms_cleanup(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

void store_mms_part_cleanup(struct store_mms_part *p)
{
    if (p == NULL)
        return;
    free(p->content_type);
    free(p->name);
    free(p->data);
    free(p->content_id);
    p->content_type = p->name = p->content_id = NULL;
    p->data = NULL;
}

void store_mms_parts_free(struct store_mms_part *parts, size_t count)
{
    for (size_t i = 0; parts && i < count; i++)
        store_mms_part_cleanup(&parts[i]);
    free(parts);
}
