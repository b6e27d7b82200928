/*
 * space — the patent's self-growing storage space (step 2), shared by every
 * item kind: charging an upload under the user's row lock, growing the
 * allocation within the per-user cap and the server capacity, freeing space
 * on batch delete, usage and growth history. It does not store items; sms.c,
 * mms.c and contacts.c call st_space_charge() inside their own transaction.
 */
#include "store_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

static const char *const next_col[] = {
    [STORE_SMS] = "next_sms", [STORE_MMS] = "next_mms", [STORE_CONTACT] = "next_contact",
};

/* Lock the server's capacity row (only here, always after the user's row)
 * and read what is not yet allocated. */
static enum store_result capacity_left(struct store *s, long long *left)
{
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "space-capacity-lock",
                                   "SELECT allocated_bytes FROM server_space FOR UPDATE", 0, NULL, &r);
    if (rc != STORE_OK)
        return rc;
    *left = PQntuples(r) ? s->cfg.capacity_bytes - st_getll(r, 0, 0) : 0;
    PQclear(r);
    return STORE_OK;
}

/* Lock the user's row: allocation and use. FOR NO KEY UPDATE, not FOR
 * UPDATE: it serialises the uploads of one user as well, but does not block
 * the KEY SHARE lock a foreign key check takes on the row — the outbox row
 * of one of the user's replies updated twice in one transaction (the acker's
 * ack and delivery report) is checked again, and with FOR UPDATE here the
 * acker and a worker each holding one user's row and waiting for the other's
 * deadlocked (tests/unit/store_locks_test.c). Every lock of a users row is
 * this one; none of them changes the key. */
static enum store_result lock_user(struct store *s, const char *user_id, long long *allocated, long long *used)
{
    const char *p1[] = { user_id };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "space-lock",
                                   "SELECT allocated_bytes, used_bytes FROM users WHERE id = $1 FOR NO KEY UPDATE",
                                   1, p1, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return STORE_NOT_FOUND;
    }
    *allocated = st_getll(r, 0, 0);
    *used = st_getll(r, 0, 1);
    PQclear(r);
    return STORE_OK;
}

/* patent step 2 (store_space_grant, store/rules.c): the growth granted for
 * an upload of size bytes — 0 when none was needed or none could be had —
 * taken from the server capacity at once (the caller's rollback gives it
 * back when nothing is stored after all); *fits (fits may be NULL): size
 * fits in the grown allocation. */
static enum store_result grow_for(struct store *s, long long allocated, long long used, long long size,
                                  long long *grow, bool *fits)
{
    const struct store_space_rule rule = { s->cfg.threshold_bytes, s->cfg.step_bytes, s->cfg.user_cap_bytes };
    long long left = 0, granted;
    enum store_result rc;
    /* the server's row is locked only when the rule wants more space */
    if (store_space_wanted(&rule, allocated, used, size) > 0 && (rc = capacity_left(s, &left)) != STORE_OK)
        return rc;
    bool ok = store_space_grant(&rule, allocated, used, size, left, &granted);
    if (fits)
        *fits = ok;
    *grow = granted - allocated;
    if (*grow == 0)
        return STORE_OK;
    char gb[24];
    st_lld(gb, *grow);
    const char *p[] = { gb };
    return st_exec(s, "space-capacity-take",
                   "UPDATE server_space SET allocated_bytes = allocated_bytes + $1::bigint", 1, p, NULL);
}

/* Charge size bytes and count numbers of kind, record the growth; writes the
 * first number taken (and, when after is not NULL, the space after it). */
static enum store_result charge(struct store *s, const char *user_id, enum store_kind kind, long long size,
                                long long count, long long grow, long long *first_n, struct store_saved *after_out)
{
    char sz[24], gb[24], cn[24];
    st_lld(sz, size);
    st_lld(gb, grow);
    st_lld(cn, count);
    const char *p[] = { user_id, sz, gb, cn };
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE users SET used_bytes = used_bytes + $2::bigint,"
             " allocated_bytes = allocated_bytes + $3::bigint, %s = %s + $4::bigint"
             " WHERE id = $1 RETURNING %s - $4::bigint, allocated_bytes, used_bytes",
             next_col[kind], next_col[kind], next_col[kind]);
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "space-charge", sql, 4, p, &r);
    if (rc != STORE_OK)
        return rc;
    long long n = st_getll(r, 0, 0);
    long long after = st_getll(r, 0, 1);
    if (after_out) {
        after_out->n = n;
        after_out->allocated_bytes = after;
        after_out->used_bytes = st_getll(r, 0, 2);
        after_out->grew = grow > 0;
    }
    PQclear(r);
    if (grow > 0) {
        char af[24];
        st_lld(af, after);
        const char *pg[] = { user_id, gb, af };
        rc = st_exec(s, "space-grant",
                     "INSERT INTO space_grants (user_id, bytes_added, allocated_after) VALUES ($1, $2, $3)",
                     3, pg, NULL);
        if (rc != STORE_OK)
            return rc;
        log_info("store: space-grown user=%s added=%lld allocated=%lld", user_id, grow, after);
        st_space_grown(s, grow);
    }
    *first_n = n;
    return STORE_OK;
}

enum store_result st_space_charge(struct store *s, const char *user_id, enum store_kind kind,
                                  long long size, st_dup_fn *dup_check, void *dup_ctx,
                                  long long *n_out)
{
    return st_space_charge_ex(s, user_id, kind, size, dup_check, dup_ctx, n_out, NULL);
}

enum store_result st_space_charge_ex(struct store *s, const char *user_id, enum store_kind kind,
                                     long long size, st_dup_fn *dup_check, void *dup_ctx,
                                     long long *n_out, struct store_saved *after)
{
    long long allocated = 0, used = 0, grow = 0;
    enum store_result rc = lock_user(s, user_id, &allocated, &used);
    if (rc != STORE_OK)
        return rc;
    if (dup_check && (rc = dup_check(s, dup_ctx)) != STORE_OK)
        return rc;
    bool fits = false;
    if ((rc = grow_for(s, allocated, used, size, &grow, &fits)) != STORE_OK)
        return rc;
    if (!fits) {
        log_info("store: no-space user=%s size=%lld allocated=%lld used=%lld", user_id, size,
                 allocated, used);
        return STORE_NO_SPACE;   /* the caller rolls back: nothing is written */
    }
    return charge(s, user_id, kind, size, 1, grow, n_out, after);
}

enum store_result st_space_charge_many(struct store *s, const char *user_id, enum store_kind kind,
                                       const long long *sizes, const long long *numbers, bool *skip,
                                       size_t count, st_dup_fn *dup_check, void *dup_ctx,
                                       size_t *fit_out, long long *first_n_out)
{
    long long allocated = 0, used = 0, grow = 0, total = 0, charged = 0, taken = 0;
    enum store_result rc = lock_user(s, user_id, &allocated, &used);
    if (rc != STORE_OK)
        return rc;
    if (dup_check && (rc = dup_check(s, dup_ctx)) != STORE_OK)
        return rc;
    for (size_t i = 0; i < count; i++)
        if (!skip[i])
            total += sizes[i];
    /* nothing to store (all skipped): no growth either; the items are
     * fitted one by one into what the sum was granted */
    if (total > 0 && (rc = grow_for(s, allocated, used, total, &grow, NULL)) != STORE_OK)
        return rc;
    /* the items in order while they fit; the first that does not stops it */
    size_t fit = 0;
    for (; fit < count; fit++) {
        if (skip[fit])
            continue;
        if (used + charged + sizes[fit] > allocated + grow)
            break;
        charged += sizes[fit];
        taken += numbers ? numbers[fit] : 1;
    }
    *fit_out = fit;
    if (fit < count)
        log_info("store: no-space user=%s size=%lld allocated=%lld used=%lld", user_id, sizes[fit],
                 allocated + grow, used + charged);
    if (taken == 0)
        return fit < count ? STORE_NO_SPACE : STORE_OK;   /* nothing to charge */
    return charge(s, user_id, kind, charged, taken, grow, first_n_out, NULL);
}

enum store_result st_batch_add(struct store *s, const char *user_id, enum store_kind kind, const long long *sizes,
                               const long long *numbers, bool *skip, size_t count, st_dup_fn *dup_check,
                               st_batch_insert_fn *insert, void *ctx, size_t *fit_out, long long *first_n_out)
{
    size_t fit = 0;
    long long first_n = 0;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = st_space_charge_many(s, user_id, kind, sizes, numbers, skip, count, dup_check, ctx, &fit, &first_n);
    bool stored_any = false;
    for (size_t i = 0; rc == STORE_OK && i < fit; i++)
        stored_any = stored_any || !skip[i];
    if (rc == STORE_OK && stored_any)
        rc = insert(s, ctx, fit, first_n);
    enum store_result space = rc;   /* STORE_NO_SPACE: nothing charged, rolled back below */
    rc = st_tx_finish(s, rc);
    if (space == STORE_NO_SPACE)
        rc = STORE_NO_SPACE;
    if (rc != STORE_OK && rc != STORE_NO_SPACE)
        return rc;
    if (rc == STORE_OK && fit < count)
        rc = STORE_NO_SPACE;
    *fit_out = fit;
    *first_n_out = first_n;
    return rc;
}

enum store_result st_batch_skip(struct store *s, const char *name, const char *sql, int n,
                                const char *const *values, bool *skip, size_t count)
{
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, name, sql, n, values, &r);
    if (rc != STORE_OK)
        return rc;
    for (int row = 0; row < PQntuples(r); row++) {
        long long i = st_getll(r, row, 0);
        if (i >= 1 && (size_t)i <= count)
            skip[i - 1] = true;
    }
    PQclear(r);
    return STORE_OK;
}

void st_batch_results(size_t count, const size_t *idx, size_t nvalid, size_t fit, const bool *skip,
                      const long long *numbers, long long first_n, enum store_result *results, long long *n_out)
{
    size_t v = 0;
    long long n = first_n;
    bool refused = false;
    for (size_t i = 0; i < count; i++) {
        if (v < nvalid && idx[v] == i) {
            if (v >= fit)
                refused = true;
            if (refused) {
                results[i] = STORE_NO_SPACE;
            } else if (skip[v]) {
                results[i] = STORE_CONFLICT;
            } else {
                results[i] = STORE_OK;
                if (n_out)
                    n_out[i] = n;
                n += numbers ? numbers[v] : 1;
            }
            v++;
        } else {
            results[i] = refused ? STORE_NO_SPACE : STORE_INVALID;
        }
    }
}

/* Give back what deleted items used, in the delete's transaction. */
static enum store_result free_space(struct store *s, const char *user_id, long long freed)
{
    if (freed <= 0)
        return STORE_OK;
    char fb[24];
    st_lld(fb, freed);
    const char *p[] = { user_id, fb };
    return st_exec(s, "delete-free", "UPDATE users SET used_bytes = used_bytes - $2::bigint WHERE id = $1", 2, p,
                   NULL);
}

/* The rows ns[] name: themselves, or (persons) every row of their people. */
static enum store_result delete_rows(struct store *s, const char *user_id, enum store_kind kind,
                                     const long long *ns, size_t count, bool persons,
                                     long long *deleted_out, long long *freed_bytes_out)
{
    if ((unsigned)kind > STORE_CONTACT || (count > 0 && ns == NULL) || count > LIMIT_DELETE_MAX)
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    /* the numbers go in as one array parameter: {1,2,3} */
    struct st_array arr;
    st_array_init(&arr);
    for (size_t i = 0; i < count; i++)
        st_array_ll(&arr, ns[i]);

    PGresult *r = NULL;
    long long deleted = 0, freed = 0;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        goto out;
    const char *p1[] = { user_id };
    rc = st_exec(s, "delete-lock", "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", 1, p1, &r);
    if (rc == STORE_OK && PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;
    PQclear(r);
    r = NULL;
    if (rc != STORE_OK)
        goto finish;
    char sql[384];
    if (persons)
        snprintf(sql, sizeof sql,
                 "WITH d AS (DELETE FROM contacts WHERE user_id = $1 AND contact_person(uid, name) IN"
                 " (SELECT contact_person(uid, name) FROM contacts WHERE user_id = $1 AND n = ANY($2::bigint[]))"
                 " RETURNING size_bytes) SELECT count(*), coalesce(sum(size_bytes), 0) FROM d");
    else
        snprintf(sql, sizeof sql,
                 "WITH d AS (DELETE FROM %s WHERE user_id = $1 AND n = ANY($2::bigint[]) RETURNING size_bytes)"
                 " SELECT count(*), coalesce(sum(size_bytes), 0) FROM d", st_item_tables[kind]);
    const char *p2[] = { user_id, st_array_get(&arr) };
    rc = st_exec(s, "delete-items", sql, 2, p2, &r);
    if (rc != STORE_OK)
        goto finish;
    deleted = st_getll(r, 0, 0);
    freed = st_getll(r, 0, 1);
    PQclear(r);
    r = NULL;
    rc = free_space(s, user_id, freed);
finish:
    rc = st_tx_finish(s, rc);
out:
    st_array_cleanup(&arr);
    if (rc == STORE_OK) {
        if (deleted_out)
            *deleted_out = deleted;
        if (freed_bytes_out)
            *freed_bytes_out = freed;
    }
    return rc;
}

enum store_result store_items_delete(struct store *s, const char *user_id, enum store_kind kind,
                                     const long long *ns, size_t count,
                                     long long *deleted_out, long long *freed_bytes_out)
{
    return delete_rows(s, user_id, kind, ns, count, false, deleted_out, freed_bytes_out);
}

enum store_result store_persons_delete(struct store *s, const char *user_id, const long long *ns, size_t count,
                                       long long *deleted_out, long long *freed_bytes_out)
{
    return delete_rows(s, user_id, STORE_CONTACT, ns, count, true, deleted_out, freed_bytes_out);
}

/* ---- all that match ---- */

/* The statement over the items m matches: head, then "FROM <table> c WHERE"
 * the user, the number bound, the exceptions and each word of the search
 * ($1 user, $2 upto, $3 except, $4.. the words), then tail. Parameters in
 * p[] (3 + words), *np their count; words to free with st_search_free. */
static enum store_result matching_sql(enum store_kind kind, const struct store_match *m, const char *user_id,
                                      const char *head, const char *tail, char **sql_out, char *words[],
                                      int *nw, struct st_array *ex, char upto[24], const char **p, int *np)
{
    if ((unsigned)kind > STORE_CONTACT || m == NULL || m->upto < 0 || m->nexcept > LIMIT_DELETE_MAX ||
        (m->nexcept > 0 && m->except == NULL) || !st_valid_text(m->search, LIMIT_SEARCH_BYTES_MAX, true))
        return STORE_INVALID;
    if (st_search_words(m->search, words, nw) != STORE_OK)
        return STORE_INVALID;
    for (size_t i = 0; i < m->nexcept; i++)
        st_array_ll(ex, m->except[i]);
    /* no bound is the largest number, not 0 with an OR (st_page_query_tail) */
    st_lld(upto, m->upto ? m->upto : LLONG_MAX);
    char *base;
    if (kind == STORE_CONTACT) {
        /* people (issue 10): every row of each person one of whose rows
         * matches; upto and except[] name people by their current number */
        base = xasprintf("%s FROM contacts x WHERE x.user_id = $1 AND contact_person(x.uid, x.name) IN"
                         " (SELECT p.k FROM (SELECT contact_person(uid, name) AS k, max(n) AS top FROM contacts"
                         " WHERE user_id = $1 GROUP BY 1) p WHERE p.top <= $2::bigint"
                         " AND NOT (p.top = ANY($3::bigint[])) AND EXISTS (SELECT 1 FROM contacts c"
                         " WHERE c.user_id = $1 AND contact_person(c.uid, c.name) = p.k", head);
        char *t = xasprintf(")) %s", tail);
        *sql_out = st_search_sql_words(base, st_search_cols[kind], st_search_keys[kind], words, *nw, 4, t);
        free(t);
    } else {
        base = xasprintf("%s FROM %s c WHERE user_id = $1 AND n <= $2::bigint"
                         " AND NOT (n = ANY($3::bigint[]))", head, st_item_tables[kind]);
        *sql_out = st_search_sql_words(base, st_search_cols[kind], st_search_keys[kind], words, *nw, 4, tail);
    }
    free(base);
    p[0] = user_id;
    p[1] = upto;
    p[2] = st_array_get(ex);
    for (int i = 0; i < *nw; i++)
        p[3 + i] = words[i];
    *np = 3 + *nw;
    return STORE_OK;
}

static enum store_result count_matching(struct store *s, enum store_kind kind, const struct store_match *m,
                                        const char *user_id, long long cap, long long *count)
{
    char *words[LIMIT_SEARCH_WORDS_MAX], upto[24], *sql = NULL;
    const char *p[3 + LIMIT_SEARCH_WORDS_MAX];
    int nw = 0, np = 0;
    struct st_array ex;
    st_array_init(&ex);
    char tail[48];
    /* a count that stops early (a first page's, up to
     * LIMIT_WEB_COUNT_QUICK) reads newest first, as the list does: for a
     * word that many items hold, the planner then walks the primary key
     * down and stops at the cap rather than gather every candidate from
     * the trigram index first (a common word of the 10 M bench's heavy
     * user: 233,671 candidates, 55 ms-1.8 s, against 8-35 ms); a rare word
     * still takes the index. A long count would only pay a sort for it,
     * and one per person key has no order of its own. */
    bool newest_first = kind != STORE_CONTACT && cap <= LIMIT_WEB_COUNT_QUICK;
    snprintf(tail, sizeof tail, "%sLIMIT %lld) t", newest_first ? "ORDER BY n DESC " : "",
             cap + 1);   /* a number, not data */
    /* contacts count people: one per person key */
    enum store_result rc = matching_sql(kind, m, user_id,
                                        kind == STORE_CONTACT ? "SELECT count(*) FROM (SELECT DISTINCT"
                                                                " contact_person(x.uid, x.name)"
                                                              : "SELECT count(*) FROM (SELECT 1",
                                        tail, &sql, words, &nw, &ex, upto, p, &np);
    if (rc != STORE_OK)
        goto out;
    PGresult *r = NULL;
    /* planned with its words, as a search page is (st_page_query_tail) */
    rc = nw > 0 ? st_exec_custom(s, "items-count", sql, np, p, &r) : st_exec(s, "items-count", sql, np, p, &r);
    if (rc == STORE_OK) {
        *count = st_getll(r, 0, 0);
        PQclear(r);
    }
    st_search_free(words, nw);
out:
    free(sql);
    st_array_cleanup(&ex);
    return rc;
}

enum store_result store_items_count(struct store *s, const char *user_id, enum store_kind kind,
                                    const struct store_match *m, long long *count_out)
{
    return store_items_count_max(s, user_id, kind, m, LIMIT_DELETE_MAX, count_out);
}

enum store_result store_items_count_max(struct store *s, const char *user_id, enum store_kind kind,
                                        const struct store_match *m, long long cap, long long *count_out)
{
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    if (cap < 0 || cap == LLONG_MAX)
        return STORE_INVALID;
    long long n = 0;
    enum store_result rc = count_matching(s, kind, m, user_id, cap, &n);
    if (rc == STORE_OK)
        *count_out = n;
    return rc;
}

enum store_result store_items_delete_matching(struct store *s, const char *user_id, enum store_kind kind,
                                              const struct store_match *m, long long *deleted_out,
                                              long long *freed_bytes_out)
{
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    char *words[LIMIT_SEARCH_WORDS_MAX], upto[24], *sql = NULL;
    const char *p[3 + LIMIT_SEARCH_WORDS_MAX];
    int nw = 0, np = 0;
    long long deleted = 0, freed = 0, matching = 0;
    struct st_array ex;
    st_array_init(&ex);
    PGresult *r = NULL;
    enum store_result rc = matching_sql(kind, m, user_id, "WITH d AS (DELETE",
                                        "RETURNING size_bytes) SELECT count(*), coalesce(sum(size_bytes), 0) FROM d",
                                        &sql, words, &nw, &ex, upto, p, &np);
    if (rc != STORE_OK)
        goto out;
    if ((rc = st_tx_start(s)) != STORE_OK)
        goto words;
    /* the user's row lock: every upload takes it too, so the items counted
     * are the items deleted */
    rc = st_exec(s, "delete-lock", "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", 1, p, &r);
    if (rc == STORE_OK && PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;
    PQclear(r);
    r = NULL;
    if (rc == STORE_OK)
        rc = count_matching(s, kind, m, user_id, LIMIT_DELETE_MAX, &matching);
    if (rc == STORE_OK && matching > LIMIT_DELETE_MAX)
        rc = STORE_INVALID;   /* bounded: narrow the search */
    if (rc == STORE_OK)
        rc = st_exec(s, "delete-matching", sql, np, p, &r);
    if (rc == STORE_OK) {
        deleted = st_getll(r, 0, 0);
        freed = st_getll(r, 0, 1);
        PQclear(r);
        rc = free_space(s, user_id, freed);
    }
    rc = st_tx_finish(s, rc);
words:
    st_search_free(words, nw);
out:
    free(sql);
    st_array_cleanup(&ex);
    if (rc == STORE_OK) {
        if (deleted_out)
            *deleted_out = deleted;
        if (freed_bytes_out)
            *freed_bytes_out = freed;
    }
    return rc;
}

enum store_result store_items_analyze(struct store *s, enum store_kind kind)
{
    if ((unsigned)kind > STORE_CONTACT)
        return STORE_INVALID;
    char sql[64];
    snprintf(sql, sizeof sql, "ANALYZE %s", st_item_tables[kind]);   /* a fixed table name */
    return st_exec(s, "items-analyze", sql, 0, NULL, NULL);
}

enum store_result store_usage_get(struct store *s, const char *user_id, struct store_usage *out)
{
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    const char *p[] = { user_id };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "usage-get",
        "SELECT u.allocated_bytes, u.used_bytes,"
        " (SELECT count(*) FROM sms WHERE user_id = u.id),"
        " (SELECT count(*) FROM mms WHERE user_id = u.id),"
        " (SELECT count(*) FROM contacts WHERE user_id = u.id),"
        " (SELECT extract(epoch FROM max(at))::bigint FROM space_grants"
        "   WHERE user_id = u.id AND NOT initial),"
        " (SELECT count(DISTINCT contact_person(uid, name)) FROM contacts WHERE user_id = u.id)"
        " FROM users u WHERE u.id = $1", 1, p, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0) {
        rc = STORE_NOT_FOUND;
    } else {
        memset(out, 0, sizeof *out);
        out->allocated_bytes = st_getll(r, 0, 0);
        out->used_bytes = st_getll(r, 0, 1);
        out->sms_count = st_getll(r, 0, 2);
        out->mms_count = st_getll(r, 0, 3);
        out->contact_count = st_getll(r, 0, 4);
        out->last_grown_at = st_gettime(r, 0, 5);
        out->person_count = st_getll(r, 0, 6);
    }
    PQclear(r);
    return rc;
}

enum store_result store_usage_history(struct store *s, const char *user_id,
                                      struct store_grant **out, size_t *count)
{
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    const char *p[] = { user_id };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "usage-history",
        "SELECT extract(epoch FROM at)::bigint, bytes_added, allocated_after FROM space_grants"
        " WHERE user_id = $1 ORDER BY seq DESC", 1, p, &r);
    if (rc != STORE_OK)
        return rc;
    size_t n = (size_t)PQntuples(r);
    if (n == 0) {
        PQclear(r);
        return STORE_NOT_FOUND;   /* every user has the initial entry */
    }
    struct store_grant *v = xcalloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i].at = st_gettime(r, (int)i, 0);
        v[i].bytes_added = st_getll(r, (int)i, 1);
        v[i].allocated_after = st_getll(r, (int)i, 2);
    }
    PQclear(r);
    *out = v;
    *count = n;
    return STORE_OK;
}
