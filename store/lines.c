/*
 * lines — what LIST and FIND lay out of SMS and MMS: a line each (number,
 * dates, peer, the first characters of the text) without the rest of the
 * row, and what a deep page's remembered start rests on (the count above a
 * number while the highest number is the same). The engine's use of both is
 * gateway-plugin/core/core_list.c.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"

/* ---- lines: what LIST lays out ---- */

/* $1 user, $2 before, $3 limit (st_page_query), then the words; the number
 * of characters is written into the text (a number, not user input) */
static char *lines_sql(enum store_kind kind, int chars)
{
    struct buf b;
    buf_init(&b);
    if (kind == STORE_SMS)
        buf_printf(&b, "SELECT n, peer, left(body, %d), " ST_TS_TO_MS("sent_at")
                        ", floor(extract(epoch FROM saved_at))::bigint FROM sms c WHERE user_id = $1"
                        " AND n < $2::bigint", chars + 1);
    else
        buf_printf(&b, "SELECT n, peer, CASE WHEN coalesce(subject, '') <> '' THEN left(subject, %d)"
                        " ELSE left(coalesce(text, ''), %d) END, " ST_TS_TO_MS("sent_at")
                        ", floor(extract(epoch FROM saved_at))::bigint FROM mms c WHERE user_id = $1"
                        " AND n < $2::bigint", chars + 1, chars + 1);
    return buf_steal(&b, NULL);
}

static void line_from_row(const PGresult *r, int row, void *dst)
{
    struct store_line *l = dst;
    int ms;
    l->n = st_getll(r, row, 0);
    l->peer = st_getdup(r, row, 1);
    l->text = st_getdup(r, row, 2);
    st_getms(r, row, 3, &l->sent_at, &ms);
    l->saved_at = st_gettime(r, row, 4);
}

enum store_result store_lines_list(struct store *s, const char *user_id, enum store_kind kind,
                                   const struct store_page *page, int chars, struct store_line_list *out)
{
    if ((kind != STORE_SMS && kind != STORE_MMS) || chars < 1 || chars > LIMIT_TEXT_FIELD_MAX)
        return STORE_INVALID;
    struct store_line_list l = { 0 };
    void *items = NULL;
    char *base = lines_sql(kind, chars);
    enum store_result rc = st_page_items(s, kind == STORE_SMS ? "sms-lines" : "mms-lines", base, st_search_cols[kind],
                                         st_search_keys[kind], user_id, page, line_from_row, sizeof *l.items, &items,
                                         &l.count, &l.more);
    free(base);
    if (rc == STORE_OK) {
        l.items = items;
        *out = l;
    }
    return rc;
}

void store_line_list_cleanup(struct store_line_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].peer);
        free(l->items[i].text);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* ---- what a deep LIST page rests on ---- */

enum store_result store_items_above(struct store *s, const char *user_id, enum store_kind kind, long long n,
                                    long long top, long long *count_out)
{
    if ((unsigned)kind > STORE_CONTACT || n < 0 || top < 0)
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    char sql[320], nb[24], tb[24];
    /* the primary key alone answers both (index-only scans); the count,
     * some thousands of entries for a deep page, only when it can matter */
    snprintf(sql, sizeof sql,
             "SELECT CASE WHEN t.top = $3::bigint THEN (SELECT count(*) FROM %s WHERE user_id = $1 AND n > $2::bigint)"
             " ELSE -1 END FROM (SELECT coalesce(max(n), 0) AS top FROM %s WHERE user_id = $1) t",
             st_item_tables[kind], st_item_tables[kind]);
    st_lld(nb, n);
    st_lld(tb, top);
    const char *p[] = { user_id, nb, tb };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "items-above", sql, 3, p, &r);
    if (rc == STORE_OK)
        *count_out = st_getll(r, 0, 0);
    PQclear(r);
    return rc;
}
