/*
 * mms — archived MMS: the message row (peer, subject, direction, dates, size,
 * a text preview of its text/plain parts, every field of an SMS Backup &
 * Restore <mms> kept as written), its parts in order — the SMIL layout is one
 * — with their bytes stored byte for byte as bytea (binary parameters and
 * results: NUL bytes survive), names, content id and location, and its
 * addresses (from, to, cc, bcc) in order (migration 011). Space is charged
 * like every item kind (space.c): the sum of the parts' bytes. It does not
 * decode MMS PDUs; callers hand over parts already split.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "log.h"
#include "utf8.h"

/* A part's fields: the columns of store_part_fields (seq is the part's place). */
static const char *const part_cols[STORE_PART_NFIELDS] = {
    [STORE_PART_SEQ] = "xml_seq", [STORE_PART_CHSET] = "chset", [STORE_PART_CD] = "cd", [STORE_PART_FN] = "fn",
    [STORE_PART_CTT_S] = "ctt_s", [STORE_PART_CTT_T] = "ctt_t",
};

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
            !st_valid_line(p->content_id, LIMIT_TEXT_FIELD_MAX, true) ||
            !st_valid_line(p->content_location, LIMIT_TEXT_FIELD_MAX, true) ||
            !st_valid_fields(p->fields, STORE_PART_NFIELDS) || !st_valid_attrs(p->extra, p->nextra) ||
            (p->len > 0 && p->data == NULL) || p->len > LIMIT_MMS_MAX)
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

static bool check_addrs(const struct store_mms_new *in)
{
    if (in->naddrs > LIMIT_MMS_ADDRS_MAX || (in->naddrs > 0 && in->addrs == NULL))
        return false;
    for (size_t i = 0; i < in->naddrs; i++) {
        const struct store_mms_addr_new *a = &in->addrs[i];
        if (!st_valid_line(a->address, LIMIT_PEER_MAX, true) || a->type < 0 || a->type > STORE_TYPE_MAX ||
            !st_valid_fields(&a->charset, 1) || !st_valid_attrs(a->extra, a->nextra))
            return false;
    }
    return true;
}

/* All addresses in one statement. */
static enum store_result insert_addrs(struct store *s, const char *user_id, const char *nb,
                                      const struct store_mms_new *in)
{
    if (in->naddrs == 0)
        return STORE_OK;
    struct st_array addr, type, charset, xns, xvs;
    st_array_init(&addr);
    st_array_init(&type);
    st_array_init(&charset);
    st_array_init(&xns);
    st_array_init(&xvs);
    for (size_t i = 0; i < in->naddrs; i++) {
        const struct store_mms_addr_new *a = &in->addrs[i];
        const char *ad = a->address ? a->address : "";
        st_array_text(&addr, ad, strlen(ad));
        if (a->type)
            st_array_ll(&type, a->type);
        else
            st_array_null(&type);
        st_array_text(&charset, a->charset, a->charset ? strlen(a->charset) : 0);
        struct st_array xn, xv;
        st_array_init(&xn);
        st_array_init(&xv);
        st_array_attrs(&xn, &xv, a->extra, a->nextra);
        const char *xnl = st_array_get(&xn), *xvl = st_array_get(&xv);
        st_array_text(&xns, xnl, strlen(xnl));
        st_array_text(&xvs, xvl, strlen(xvl));
        st_array_cleanup(&xn);
        st_array_cleanup(&xv);
    }
    const char *p[] = { user_id, nb, st_array_get(&addr), st_array_get(&type), st_array_get(&charset),
                        st_array_get(&xns), st_array_get(&xvs) };
    enum store_result rc = st_exec(s, "mms-addr-insert",
        "INSERT INTO mms_addrs (user_id, n, seq, address, type, charset, extra_names, extra_values)"
        " SELECT $1, $2, t.i - 1, t.address, t.type, t.charset, t.xn::text[], t.xv::text[]"
        " FROM unnest($3::text[], $4::smallint[], $5::text[], $6::text[], $7::text[])"
        " WITH ORDINALITY AS t(address, type, charset, xn, xv, i)", 7, p, NULL);
    st_array_cleanup(&addr);
    st_array_cleanup(&type);
    st_array_cleanup(&charset);
    st_array_cleanup(&xns);
    st_array_cleanup(&xvs);
    return rc;
}

static enum store_result insert_mms(struct store *s, const char *user_id, const char *nb,
                                    const struct store_mms_new *in, const char *text, const char *size)
{
    char sent[24], dsent[24], np[24], box[24];
    st_lld(sent, (long long)in->sent_at * 1000 + in->sent_ms);
    st_lld(dsent, in->date_sent_ms);
    st_lld(np, (long long)in->nparts);
    st_lld(box, in->msg_box);
    struct st_array xn, xv;
    st_array_init(&xn);
    st_array_init(&xv);
    st_array_attrs(&xn, &xv, in->extra, in->nextra);
    const char *p[13 + STORE_MMS_NFIELDS] = {
        user_id, nb, in->peer ? in->peer : "", in->subject ? in->subject : "", text,
        in->sent_at || in->sent_ms ? sent : NULL, size, np, in->source, in->msg_box ? box : NULL,
        in->date_sent_ms ? dsent : NULL, st_array_get(&xn), st_array_get(&xv) };
    for (int f = 0; f < STORE_MMS_NFIELDS; f++)
        p[13 + f] = in->fields[f];
    /* only fixed column names and parameter numbers go into the text */
    struct buf sql;
    buf_init(&sql);
    buf_puts(&sql, "INSERT INTO mms (user_id, n, peer, subject, text, sent_at, size_bytes, nparts, source, msg_box,"
                   " date_sent, extra_names, extra_values");
    st_cols(&sql, "", store_mms_fields, STORE_MMS_NFIELDS);
    buf_puts(&sql, ") VALUES ($1, $2, $3, $4, $5, " ST_MS_TO_TS("$6") ", $7, $8, $9, $10, " ST_MS_TO_TS("$11")
                   ", $12, $13");
    for (int f = 0; f < STORE_MMS_NFIELDS; f++)
        buf_printf(&sql, ", $%d", 14 + f);
    buf_putc(&sql, ')');
    enum store_result rc = st_exec(s, "mms-insert", buf_cstr(&sql), 13 + STORE_MMS_NFIELDS, p, NULL);
    buf_cleanup(&sql);
    st_array_cleanup(&xn);
    st_array_cleanup(&xv);
    return rc;
}

/* What store_mms_add accepts; writes the size and the preview (free()). */
static bool mms_valid(const struct store_mms_new *in, long long *size, char **text)
{
    return in && st_valid_line(in->peer, LIMIT_PEER_MAX, true) &&
           st_valid_text(in->subject, LIMIT_TEXT_FIELD_MAX, true) && st_valid_source(in->source) &&
           in->sent_at >= 0 && in->sent_ms >= 0 && in->sent_ms <= 999 && in->msg_box >= 0 &&
           in->msg_box <= STORE_TYPE_MAX && in->date_sent_ms >= 0 && st_valid_fields(in->fields, STORE_MMS_NFIELDS) &&
           st_valid_attrs(in->extra, in->nextra) && check_addrs(in) && check_parts(in, size, text);
}

/* One MMS: a batch of one (store_mms_add_many), so that one add and an
 * import find duplicates and write the same way. */
enum store_result store_mms_add(struct store *s, const char *user_id, const struct store_mms_new *in,
                                long long *n_out)
{
    long long size = 0;
    char *text = NULL;
    bool valid = mms_valid(in, &size, &text);
    free(text);
    if (!valid)
        return STORE_INVALID;
    enum store_result one = STORE_ERR;
    long long n = 0;
    enum store_result rc = store_mms_add_many(s, user_id, in, 1, &one, &n);
    if (rc == STORE_OK)
        rc = one;   /* STORE_OK or STORE_CONFLICT: the item was checked valid above */
    if (rc == STORE_OK)
        *n_out = n;
    return rc;
}

/* The columns an MMS is read with, before the fields kept as written;
 * mms_from_row knows their places. */
#define MMS_HEAD "n, peer, subject, text, " ST_TS_TO_MS("sent_at") ", floor(extract(epoch FROM saved_at))::bigint," \
                 " size_bytes, nparts, msg_box, " ST_TS_TO_MS("date_sent") ", source, extra_names, extra_values"
#define MMS_COL_FIELD0 13

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
 * duplicate when the same MMS is stored already or comes earlier in the
 * batch: same peer, a date in the same second (MMS stored before migration
 * 011 kept only seconds, and their size without the SMIL part: the text
 * compares, the size would not), the same box or none known on one side,
 * the same subject and text. One stored without a date is exported with
 * the date it was stored on: that date finds it. */
static enum store_result mms_batch_dups(struct store *s, void *ctx)
{
    struct mms_batch *b = ctx;
    struct st_array peers, secs, subjects, texts, boxes, checks;
    st_array_init(&peers);
    st_array_init(&secs);
    st_array_init(&subjects);
    st_array_init(&texts);
    st_array_init(&boxes);
    st_array_init(&checks);
    bool any = false;
    for (size_t i = 0; i < b->count; i++) {
        const struct store_mms_new *in = &b->items[b->idx[i]];
        const char *peer = in->peer ? in->peer : "", *subject = in->subject ? in->subject : "";
        st_array_text(&peers, peer, strlen(peer));
        if (in->sent_at)
            st_array_ll(&secs, (long long)in->sent_at);
        else
            st_array_null(&secs);
        st_array_text(&subjects, subject, strlen(subject));
        st_array_text(&texts, b->texts[i], strlen(b->texts[i]));
        if (in->msg_box)
            st_array_ll(&boxes, in->msg_box);
        else
            st_array_null(&boxes);
        st_array_ll(&checks, in->skip_duplicate ? 1 : 0);
        any = any || in->skip_duplicate;
    }
    enum store_result rc = STORE_OK;
    if (!any)
        goto out;
    const char *p[] = { b->user_id, st_array_get(&peers), st_array_get(&secs), st_array_get(&subjects),
                        st_array_get(&texts), st_array_get(&boxes), st_array_get(&checks) };
    rc = st_batch_skip(s, "mms-dup-many",
        "WITH t AS (SELECT t.*, row_number() OVER (PARTITION BY peer, sec, subject, text, box ORDER BY i) AS k"
        "  FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::smallint[], $7::bigint[])"
        "  WITH ORDINALITY AS t(peer, sec, subject, text, box, chk, i))"
        " SELECT i FROM t WHERE chk = 1 AND (k > 1"
        "  OR EXISTS (SELECT 1 FROM mms m WHERE m.user_id = $1 AND m.peer = t.peer"
        "   AND ((m.sent_at IS NULL AND (t.sec IS NULL OR (m.saved_at >= to_timestamp(t.sec)"
        "         AND m.saved_at < to_timestamp(t.sec + 1))))"
        "        OR (m.sent_at >= to_timestamp(t.sec) AND m.sent_at < to_timestamp(t.sec + 1)))"
        "   AND m.subject = t.subject AND m.text = t.text"
        "   AND (m.msg_box IS NULL OR t.box IS NULL OR m.msg_box = t.box)))",
        7, p, b->skip, b->count);
out:
    st_array_cleanup(&peers);
    st_array_cleanup(&secs);
    st_array_cleanup(&subjects);
    st_array_cleanup(&texts);
    st_array_cleanup(&boxes);
    st_array_cleanup(&checks);
    return rc;
}

/* The parts of the batch's stored items in one statement, each with every
 * column of migration 011: their bytes travel as one binary parameter,
 * each part cut from it by offset and length; a part's extra names and
 * values are one array literal each, an element of a text[]. Numbered as
 * mms_batch_insert numbers the messages (from first_n, skips left out). */
static enum store_result mms_batch_parts(struct store *s, const struct mms_batch *b, size_t fit,
                                         long long first_n)
{
    enum { NCOL = 10 };   /* ns, seqs, types, names, cids, locs, offs, lens, xns, xvs */
    struct st_array a[NCOL], f[STORE_PART_NFIELDS];
    for (int c = 0; c < NCOL; c++)
        st_array_init(&a[c]);
    for (int c = 0; c < STORE_PART_NFIELDS; c++)
        st_array_init(&f[c]);
    struct buf blob;
    buf_init(&blob);
    long long n = first_n;
    for (size_t i = 0; i < fit; i++) {
        if (b->skip[i])
            continue;
        const struct store_mms_new *in = &b->items[b->idx[i]];
        for (size_t j = 0; j < in->nparts; j++) {
            const struct store_mms_part_new *part = &in->parts[j];
            const char *name = part->name ? part->name : "", *cid = part->content_id ? part->content_id : "",
                       *loc = part->content_location ? part->content_location : "";
            st_array_ll(&a[0], n);
            st_array_ll(&a[1], (long long)j);
            st_array_text(&a[2], part->content_type, strlen(part->content_type));
            st_array_text(&a[3], name, strlen(name));
            st_array_text(&a[4], cid, strlen(cid));
            st_array_text(&a[5], loc, strlen(loc));
            st_array_ll(&a[6], (long long)blob.len);
            st_array_ll(&a[7], (long long)part->len);
            if (part->len)
                buf_append(&blob, part->data, part->len);
            struct st_array xn, xv;
            st_array_init(&xn);
            st_array_init(&xv);
            st_array_attrs(&xn, &xv, part->extra, part->nextra);
            const char *ln = st_array_get(&xn), *lv = st_array_get(&xv);
            st_array_text(&a[8], ln, strlen(ln));
            st_array_text(&a[9], lv, strlen(lv));
            st_array_cleanup(&xn);
            st_array_cleanup(&xv);
            for (int c = 0; c < STORE_PART_NFIELDS; c++)
                st_array_text(&f[c], part->fields[c], part->fields[c] ? strlen(part->fields[c]) : 0);
        }
        n++;
    }
    struct buf sql;
    buf_init(&sql);
    buf_puts(&sql, "INSERT INTO mms_parts (user_id, n, seq, content_type, name, data, content_id, content_location,"
                   " extra_names, extra_values");
    st_cols(&sql, "", part_cols, STORE_PART_NFIELDS);
    buf_puts(&sql, ") SELECT $1, t.n, t.seq, t.ct, t.name, substring($2::bytea FROM (t.off + 1)::int FOR t.len::int),"
                   " t.cid, t.loc, t.xn::text[], t.xv::text[]");
    for (int c = 0; c < STORE_PART_NFIELDS; c++)
        buf_printf(&sql, ", t.f%d", c);
    buf_puts(&sql, " FROM unnest($3::bigint[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[],"
                   " $9::bigint[], $10::bigint[], $11::text[], $12::text[]");
    for (int c = 0; c < STORE_PART_NFIELDS; c++)
        buf_printf(&sql, ", $%d::text[]", 13 + c);
    buf_puts(&sql, ") AS t(n, seq, ct, name, cid, loc, off, len, xn, xv");
    for (int c = 0; c < STORE_PART_NFIELDS; c++)
        buf_printf(&sql, ", f%d", c);
    buf_putc(&sql, ')');
    static const char empty[1];
    const char *p[2 + NCOL + STORE_PART_NFIELDS] = { b->user_id, blob.len ? blob.data : empty };
    int len[2 + NCOL + STORE_PART_NFIELDS] = { 0, (int)blob.len }, fmt[2 + NCOL + STORE_PART_NFIELDS] = { 0, 1 };
    for (int c = 0; c < NCOL; c++)
        p[2 + c] = st_array_get(&a[c]);
    for (int c = 0; c < STORE_PART_NFIELDS; c++)
        p[2 + NCOL + c] = st_array_get(&f[c]);
    enum store_result rc = st_exec_bin(s, "mms-part-insert-many", buf_cstr(&sql), 2 + NCOL + STORE_PART_NFIELDS, p,
                                       len, fmt, NULL);
    buf_cleanup(&sql);
    buf_cleanup(&blob);
    for (int c = 0; c < NCOL; c++)
        st_array_cleanup(&a[c]);
    for (int c = 0; c < STORE_PART_NFIELDS; c++)
        st_array_cleanup(&f[c]);
    return rc;
}

/* st_batch_insert_fn: each message with every field of migration 011 and
 * its addresses (insert_mms, insert_addrs: the statements of a single add),
 * numbered from first_n, then all their parts in one statement
 * (mms_batch_parts). */
static enum store_result mms_batch_insert(struct store *s, void *ctx, size_t fit, long long first_n)
{
    const struct mms_batch *b = ctx;
    enum store_result rc = STORE_OK;
    long long n = first_n;
    for (size_t i = 0; rc == STORE_OK && i < fit; i++) {
        if (b->skip[i])
            continue;
        const struct store_mms_new *in = &b->items[b->idx[i]];
        char nb[24], sz[24];
        st_lld(nb, n++);
        st_lld(sz, b->sizes[i]);
        rc = insert_mms(s, b->user_id, nb, in, b->texts[i], sz);
        if (rc == STORE_OK)
            rc = insert_addrs(s, b->user_id, nb, in);
    }
    if (rc == STORE_OK && n > first_n)
        rc = mms_batch_parts(s, b, fit, first_n);
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


static void mms_from_row(const PGresult *r, int row, void *dst)
{
    struct store_mms *m = dst;
    memset(m, 0, sizeof *m);
    m->n = st_getll(r, row, 0);
    m->peer = st_getdup(r, row, 1);
    m->subject = st_getdup(r, row, 2);
    m->text = st_getdup(r, row, 3);
    st_getms(r, row, 4, &m->sent_at, &m->sent_ms);
    m->saved_at = st_gettime(r, row, 5);
    m->size_bytes = st_getll(r, row, 6);
    m->nparts = (int)st_getll(r, row, 7);
    m->msg_box = (int)st_getll(r, row, 8);
    m->date_sent_ms = st_getll(r, row, 9);
    snprintf(m->source, sizeof m->source, "%s", PQgetvalue(r, row, 10));
    st_get_attrs(r, row, 11, 12, &m->extra, &m->nextra);
    for (int f = 0; f < STORE_MMS_NFIELDS; f++)
        m->fields[f] = st_getdup_null(r, row, MMS_COL_FIELD0 + f);
}

static const struct st_read mms_read = { STORE_MMS, "mms", MMS_HEAD, store_mms_fields, STORE_MMS_NFIELDS,
                                         mms_from_row };

enum store_result store_mms_get(struct store *s, const char *user_id, long long n, struct store_mms *out)
{
    return st_read_get(s, "mms-get", &mms_read, user_id, n, out);
}

enum store_result store_mms_list(struct store *s, const char *user_id, const struct store_page *page,
                                 struct store_mms_list *out)
{
    struct store_mms_list l = { 0 };
    void *items = NULL;
    enum store_result rc = st_read_page(s, "mms-list", &mms_read, user_id, page, sizeof *l.items, &items, &l.count,
                                        &l.more);
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
    struct buf sql;
    buf_init(&sql);
    buf_puts(&sql, "SELECT seq::text, content_type, name, data, content_id, content_location, extra_names::text,"
                   " extra_values::text");
    for (int f = 0; f < STORE_PART_NFIELDS; f++)
        buf_printf(&sql, ", %s", part_cols[f]);
    buf_puts(&sql, " FROM mms_parts WHERE user_id = $1 AND n = $2 AND ($3::int < 0 OR seq = $3::int) ORDER BY seq");
    PGresult *r = PQexecParams(s->conn, buf_cstr(&sql), 3, NULL, p, NULL, NULL, 1);
    buf_cleanup(&sql);
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
            v[i].content_location = xmemdup0(PQgetvalue(r, row, 5), (size_t)PQgetlength(r, row, 5));
            /* binary results: the arrays were asked for as text (::text), which binary sends as is */
            st_get_attrs(r, row, 6, 7, &v[i].extra, &v[i].nextra);
            for (int f = 0; f < STORE_PART_NFIELDS; f++)
                if (!PQgetisnull(r, row, 8 + f))
                    v[i].fields[f] = xmemdup0(PQgetvalue(r, row, 8 + f), (size_t)PQgetlength(r, row, 8 + f));
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
    for (int f = 0; f < STORE_MMS_NFIELDS; f++)
        free(m->fields[f]);
    st_attrs_free(m->extra, m->nextra);
    memset(m, 0, sizeof *m);
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
    free(p->content_location);
    for (int f = 0; f < STORE_PART_NFIELDS; f++)
        free(p->fields[f]);
    st_attrs_free(p->extra, p->nextra);
    memset(p, 0, sizeof *p);
}

void store_mms_parts_free(struct store_mms_part *parts, size_t count)
{
    for (size_t i = 0; parts && i < count; i++)
        store_mms_part_cleanup(&parts[i]);
    free(parts);
}

enum store_result store_mms_addrs(struct store *s, const char *user_id, long long n,
                                  struct store_mms_addr **out, size_t *count)
{
    PGresult *r = NULL;
    enum store_result rc = st_item_query(s, "mms-addrs",
                                         "SELECT address, type, charset, extra_names, extra_values FROM mms_addrs"
                                         " WHERE user_id = $1 AND n = $2 ORDER BY seq", user_id, n, &r);
    if (rc != STORE_OK)
        return rc;
    size_t k = (size_t)PQntuples(r);
    struct store_mms_addr *v = xcalloc(k ? k : 1, sizeof *v);
    for (size_t i = 0; i < k; i++) {
        v[i].address = st_getdup(r, (int)i, 0);
        v[i].type = (int)st_getll(r, (int)i, 1);
        v[i].charset = st_getdup_null(r, (int)i, 2);
        st_get_attrs(r, (int)i, 3, 4, &v[i].extra, &v[i].nextra);
    }
    PQclear(r);
    *out = v;
    *count = k;
    return STORE_OK;
}

void store_mms_addrs_free(struct store_mms_addr *addrs, size_t count)
{
    for (size_t i = 0; addrs && i < count; i++) {
        free(addrs[i].address);
        free(addrs[i].charset);
        st_attrs_free(addrs[i].extra, addrs[i].nextra);
    }
    free(addrs);
}
