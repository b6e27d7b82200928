/*
 * contacts — archived contact entries (name, number, the vCard text, the
 * number's types and the card's UID), and the people they make (issue 10:
 * the rows of one UID, else of one name — migration 011's contact_person).
 * The patent tells a person's several numbers apart by upload date: the
 * newest row of a person is the current number; older uploads stay as
 * history.
 * A card with several numbers is one row per number, written together
 * (store_contact_add_card), the current one last. Parsing vCards is
 * common/vcard's job, not this file's.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "msisdn.h"
#include "utf8.h"

struct contact_dup {
    const char *user_id, *name, *number;
};

static enum store_result contact_dup_check(struct store *s, void *ctx)
{
    const struct contact_dup *d = ctx;
    const char *p[] = { d->user_id, d->name, d->number };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "contact-dup",
        "SELECT 1 FROM contacts WHERE user_id = $1 AND lower(name) = lower($2) AND number = $3 LIMIT 1",
        3, p, &r);
    if (rc == STORE_OK && PQntuples(r) > 0)
        rc = STORE_CONFLICT;
    PQclear(r);
    return rc;
}

enum store_result store_contact_add(struct store *s, const char *user_id,
                                    const struct store_contact_new *in, long long *n_out)
{
    if (in == NULL || !st_valid_line(in->name, LIMIT_TEXT_FIELD_MAX, false) ||
        !st_valid_line(in->tel_types, LIMIT_TEXT_FIELD_MAX, true) ||
        !st_valid_line(in->uid, LIMIT_TEXT_FIELD_MAX, true) ||
        !msisdn_is_contact(in->number) || in->vcard == NULL || in->vcard_len == 0 ||
        in->vcard_len > LIMIT_VCARD_MAX || !utf8_valid(in->vcard, in->vcard_len) || !st_valid_source(in->source))
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    char *vcard = xmemdup0(in->vcard, in->vcard_len);
    char size[24], nb[24];
    st_lld(size, (long long)in->vcard_len);
    struct contact_dup dup = { user_id, in->name, in->number };
    long long n = 0;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        goto out;
    rc = st_space_charge(s, user_id, STORE_CONTACT, (long long)in->vcard_len,
                         in->skip_duplicate ? contact_dup_check : NULL, &dup, &n);
    if (rc == STORE_OK) {
        st_lld(nb, n);
        const char *p[] = { user_id, nb, in->name, in->number, vcard, size, in->source,
                            in->tel_types ? in->tel_types : "", in->uid ? in->uid : "" };
        rc = st_exec(s, "contact-insert",
                     "INSERT INTO contacts (user_id, n, name, number, vcard, size_bytes, source, tel_types, uid)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", 9, p, NULL);
    }
    rc = st_tx_finish(s, rc);
out:
    free(vcard);
    if (rc == STORE_OK)
        *n_out = n;
    return rc;
}

/* ---- many rows at once: cards and imports ----
 *
 * A batch is made of units stored all or none, in order: a card (a row per
 * number, the current one last) or one contact (one row). A unit that asks
 * for it is a duplicate when every one of its (name, number) pairs is stored
 * already, or comes in an earlier unit of the batch (an import read again;
 * the same card twice in one file). */

struct contact_row {
    const char *name, *number, *vcard, *types, *uid, *source;
    size_t vcard_len;
};

struct unit_batch {
    const char *user_id;
    const struct contact_row *rows;
    const size_t *start;   /* unit u's rows: rows[start[u]] .. rows[start[u + 1] - 1] */
    const bool *check;     /* per unit: skip it when a duplicate */
    size_t count;          /* units */
    bool *skip;            /* per unit, written by units_dups */
};

/* st_dup_fn: one query for the whole batch. */
static enum store_result units_dups(struct store *s, void *ctx)
{
    struct unit_batch *b = ctx;
    struct st_array names, numbers, units, checked;
    st_array_init(&names);
    st_array_init(&numbers);
    st_array_init(&units);
    st_array_init(&checked);
    bool any = false;
    for (size_t u = 0; u < b->count; u++) {
        for (size_t i = b->start[u]; i < b->start[u + 1]; i++) {
            st_array_text(&names, b->rows[i].name, strlen(b->rows[i].name));
            st_array_text(&numbers, b->rows[i].number, strlen(b->rows[i].number));
            st_array_ll(&units, (long long)u + 1);
        }
        if (b->check[u]) {
            st_array_ll(&checked, (long long)u + 1);
            any = true;
        }
    }
    enum store_result rc = STORE_OK;
    if (!any)
        goto out;
    const char *p[] = { b->user_id, st_array_get(&names), st_array_get(&numbers), st_array_get(&units),
                        st_array_get(&checked) };
    rc = st_batch_skip(s, "contact-dup-many",
        "WITH r AS (SELECT r.*, min(r.unit) OVER (PARTITION BY lower(r.name), r.number) AS first"
        "  FROM unnest($2::text[], $3::text[], $4::bigint[]) AS r(name, number, unit))"
        " SELECT r.unit FROM r WHERE r.unit = ANY($5::bigint[]) GROUP BY r.unit"
        " HAVING bool_and(r.first < r.unit OR EXISTS (SELECT 1 FROM contacts c WHERE c.user_id = $1"
        "   AND lower(c.name) = lower(r.name) AND c.number = r.number))", 5, p, b->skip, b->count);
out:
    st_array_cleanup(&names);
    st_array_cleanup(&numbers);
    st_array_cleanup(&units);
    st_array_cleanup(&checked);
    return rc;
}

/* st_batch_insert_fn: the rows of the units before fit that are not
 * skipped, numbered from first_n in order. */
static enum store_result units_insert(struct store *s, void *ctx, size_t fit, long long first_n)
{
    const struct unit_batch *b = ctx;
    struct st_array names, numbers, vcards, sizes, sources, uids, types;
    st_array_init(&names);
    st_array_init(&numbers);
    st_array_init(&vcards);
    st_array_init(&sizes);
    st_array_init(&sources);
    st_array_init(&uids);
    st_array_init(&types);
    for (size_t u = 0; u < fit; u++) {
        if (b->skip[u])
            continue;
        for (size_t i = b->start[u]; i < b->start[u + 1]; i++) {
            const struct contact_row *w = &b->rows[i];
            st_array_text(&names, w->name, strlen(w->name));
            st_array_text(&numbers, w->number, strlen(w->number));
            st_array_text(&vcards, w->vcard, w->vcard_len);
            st_array_ll(&sizes, (long long)w->vcard_len);
            st_array_text(&sources, w->source, strlen(w->source));
            st_array_text(&uids, w->uid, strlen(w->uid));
            st_array_text(&types, w->types, strlen(w->types));
        }
    }
    char nb[24];
    st_lld(nb, first_n);
    const char *p[] = { b->user_id, nb, st_array_get(&names), st_array_get(&numbers), st_array_get(&vcards),
                        st_array_get(&sizes), st_array_get(&sources), st_array_get(&uids), st_array_get(&types) };
    enum store_result rc = st_exec(s, "contact-insert-many",
        "INSERT INTO contacts (user_id, n, name, number, vcard, size_bytes, source, uid, tel_types)"
        " SELECT $1, $2::bigint + t.i - 1, t.name, t.number, t.vcard, t.size, t.source, t.uid, t.types"
        " FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[])"
        " WITH ORDINALITY AS t(name, number, vcard, size, source, uid, types, i)", 9, p, NULL);
    st_array_cleanup(&names);
    st_array_cleanup(&numbers);
    st_array_cleanup(&vcards);
    st_array_cleanup(&sizes);
    st_array_cleanup(&sources);
    st_array_cleanup(&uids);
    st_array_cleanup(&types);
    return rc;
}

/* Store the nunits units of b (b->skip, count set here), of which those
 * at idx[] are items of a caller's list of count; results[] and n_out[]
 * (its first number) per item, as store_sms_add_many's. */
static enum store_result add_units(struct store *s, struct unit_batch *b, size_t nunits, const size_t *idx,
                                   size_t count, enum store_result *results, long long *n_out)
{
    long long *sizes = xcalloc(nunits ? nunits : 1, sizeof *sizes);
    long long *numbers = xcalloc(nunits ? nunits : 1, sizeof *numbers);
    bool *skip = xcalloc(nunits ? nunits : 1, sizeof *skip);
    for (size_t u = 0; u < nunits; u++) {
        for (size_t i = b->start[u]; i < b->start[u + 1]; i++)
            sizes[u] += (long long)b->rows[i].vcard_len;
        numbers[u] = (long long)(b->start[u + 1] - b->start[u]);
    }
    b->skip = skip;
    b->count = nunits;
    size_t fit = 0;
    long long first_n = 0;
    enum store_result rc = st_batch_add(s, b->user_id, STORE_CONTACT, sizes, numbers, skip, nunits, units_dups,
                                        units_insert, b, &fit, &first_n);
    if (rc == STORE_OK || rc == STORE_NO_SPACE)
        st_batch_results(count, idx, nunits, fit, skip, numbers, first_n, results, n_out);
    free(sizes);
    free(numbers);
    free(skip);
    return rc;
}

static bool contact_valid(const struct store_contact_new *in)
{
    return in && st_valid_line(in->name, LIMIT_TEXT_FIELD_MAX, false) && msisdn_is_contact(in->number) &&
           st_valid_line(in->tel_types, LIMIT_TEXT_FIELD_MAX, true) && st_valid_line(in->uid, LIMIT_TEXT_FIELD_MAX, true) &&
           in->vcard && in->vcard_len > 0 && in->vcard_len <= LIMIT_VCARD_MAX &&
           utf8_valid(in->vcard, in->vcard_len) && memchr(in->vcard, '\0', in->vcard_len) == NULL &&
           st_valid_source(in->source);
}

enum store_result store_contact_add_many(struct store *s, const char *user_id, const struct store_contact_new *items,
                                         size_t count, enum store_result *results, long long *n_out)
{
    if (count > LIMIT_CONTACT_BATCH_MAX || (count > 0 && (items == NULL || results == NULL)))
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    struct contact_row *rows = xcalloc(count ? count : 1, sizeof *rows);
    size_t *start = xcalloc(count + 1, sizeof *start), *idx = xcalloc(count ? count : 1, sizeof *idx);
    bool *check = xcalloc(count ? count : 1, sizeof *check);
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const struct store_contact_new *in = &items[i];
        if (!contact_valid(in))
            continue;
        rows[n] = (struct contact_row){ in->name,      in->number,           in->vcard, in->tel_types ? in->tel_types : "",
                                        in->uid ? in->uid : "", in->source, in->vcard_len };
        check[n] = in->skip_duplicate;
        start[n] = n;
        idx[n++] = i;
    }
    start[n] = n;
    struct unit_batch b = { .user_id = user_id, .rows = rows, .start = start, .check = check };
    enum store_result rc = add_units(s, &b, n, idx, count, results, n_out);
    free(rows);
    free(start);
    free(idx);
    free(check);
    return rc;
}

/* The rows store_contact_add_card writes for card, appended to rows[] at
 * *nrows (room for VCARD_MAX_TELS more); false when it refuses the card. */
static bool card_rows(const struct vcard_card *card, const char *source, struct contact_row *rows, size_t *nrows)
{
    size_t order[VCARD_MAX_TELS];
    size_t k = card ? store_card_order(card, order) : 0;
    if (k == 0 || !st_valid_line(card->name, LIMIT_TEXT_FIELD_MAX, false) || card->text_len == 0 ||
        card->text_len > LIMIT_VCARD_MAX || !utf8_valid(card->text, card->text_len) ||
        memchr(card->text, '\0', card->text_len) != NULL || !st_valid_source(source))
        return false;
    /* a UID that is no one line is no key */
    const char *uid = st_valid_line(card->uid, LIMIT_TEXT_FIELD_MAX, true) && card->uid ? card->uid : "";
    for (size_t i = 0; i < k; i++) {
        const struct vcard_tel *t = &card->tels[order[i]];
        rows[(*nrows)++] = (struct contact_row){ card->name, t->number, card->text, t->types, uid, source,
                                                 card->text_len };
    }
    return true;
}

enum store_result store_contact_add_cards(struct store *s, const char *user_id, const struct vcard_card *cards,
                                          size_t count, const char *source, bool skip_duplicate,
                                          enum store_result *results, struct store_card_added *added)
{
    if (count > LIMIT_CONTACT_BATCH_MAX || (count > 0 && (cards == NULL || results == NULL)))
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    struct contact_row *rows = xcalloc(count * VCARD_MAX_TELS + 1, sizeof *rows);
    size_t *start = xcalloc(count + 1, sizeof *start), *idx = xcalloc(count ? count : 1, sizeof *idx);
    bool *check = xcalloc(count ? count : 1, sizeof *check);
    long long *first = xcalloc(count ? count : 1, sizeof *first);
    size_t n = 0, nrows = 0;
    for (size_t i = 0; i < count; i++) {
        start[n] = nrows;
        if (!card_rows(&cards[i], source, rows, &nrows))
            continue;
        check[n] = skip_duplicate;
        idx[n++] = i;
    }
    start[n] = nrows;
    struct unit_batch b = { .user_id = user_id, .rows = rows, .start = start, .check = check };
    enum store_result rc = add_units(s, &b, n, idx, count, results, first);
    for (size_t u = 0; added && (rc == STORE_OK || rc == STORE_NO_SPACE) && u < n; u++) {
        size_t k = start[u + 1] - start[u];
        if (results[idx[u]] != STORE_OK)
            continue;
        added[idx[u]] = (struct store_card_added){ first[idx[u]], first[idx[u]] + (long long)k - 1, k };
    }
    free(rows);
    free(start);
    free(idx);
    free(check);
    free(first);
    return rc;
}

enum store_result store_contact_add_card(struct store *s, const char *user_id, const struct vcard_card *card,
                                         const char *source, bool skip_duplicate, struct store_card_added *out)
{
    struct contact_row rows[VCARD_MAX_TELS];
    size_t k = 0;
    if (!card_rows(card, source, rows, &k))
        return STORE_INVALID;
    enum store_result res = STORE_ERR;
    struct store_card_added a;
    enum store_result rc = store_contact_add_cards(s, user_id, card, 1, source, skip_duplicate, &res, &a);
    if (rc == STORE_OK || rc == STORE_NO_SPACE)
        rc = res;   /* the card's own fate */
    if (rc == STORE_OK && out)
        *out = a;
    return rc;
}

/* current: no later row of the same person (migration 011's contact_person:
 * the card's UID, else the name) */
#define CONTACT_COLS "c.n, c.name, c.number, c.vcard, extract(epoch FROM c.uploaded_at)::bigint," \
    " c.size_bytes, NOT EXISTS (SELECT 1 FROM contacts c2 WHERE c2.user_id = c.user_id" \
    " AND contact_person(c2.uid, c2.name) = contact_person(c.uid, c.name) AND c2.n > c.n), c.tel_types, c.uid"

static void contact_from_row(const PGresult *r, int row, void *dst)
{
    struct store_contact *c = dst;
    memset(c, 0, sizeof *c);
    c->n = st_getll(r, row, 0);
    c->name = st_getdup(r, row, 1);
    c->number = st_getdup(r, row, 2);
    c->vcard_len = (size_t)PQgetlength(r, row, 3);
    c->vcard = xmemdup0(PQgetvalue(r, row, 3), c->vcard_len);
    c->uploaded_at = st_gettime(r, row, 4);
    c->size_bytes = st_getll(r, row, 5);
    c->current = PQgetvalue(r, row, 6)[0] == 't';
    c->tel_types = st_getdup(r, row, 7);
    c->uid = st_getdup(r, row, 8);
}

enum store_result store_contact_get(struct store *s, const char *user_id, long long n,
                                    struct store_contact *out)
{
    return st_item_get(s, "contact-get",
                       "SELECT " CONTACT_COLS " FROM contacts c WHERE c.user_id = $1 AND c.n = $2",
                       user_id, n, contact_from_row, out);
}

enum store_result store_contact_list(struct store *s, const char *user_id,
                                     const struct store_page *page, struct store_contact_list *out)
{
    struct store_contact_list l = { 0 };
    void *items = NULL;
    enum store_result rc = st_page_items(s, "contact-list",
                                         "SELECT " CONTACT_COLS " FROM contacts c WHERE c.user_id = $1"
                                         " AND c.n < $2::bigint",
                                         st_search_cols[STORE_CONTACT], st_search_keys[STORE_CONTACT], user_id, page, contact_from_row, sizeof *l.items,
                                         &items, &l.count, &l.more);
    if (rc == STORE_OK) {
        l.items = items;
        *out = l;
    }
    return rc;
}

enum store_result store_contact_history(struct store *s, const char *user_id, const char *name,
                                        struct store_contact_list *out)
{
    if (!st_valid_text(name, LIMIT_TEXT_FIELD_MAX, false))
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    const char *p[] = { user_id, name };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "contact-history",
                                   "SELECT " CONTACT_COLS " FROM contacts c WHERE c.user_id = $1"
                                   " AND lower(c.name) = lower($2) ORDER BY c.n DESC", 2, p, &r);
    if (rc == STORE_OK) {
        memset(out, 0, sizeof *out);
        out->count = (size_t)PQntuples(r);
        out->items = st_rows_decode(r, out->count, sizeof *out->items, contact_from_row);
    }
    PQclear(r);
    return rc;
}

/* ---- people ---- */

/* Rows of people, ordered by person then n (column 9: the person's current
 * n) into people; at most limit of them (limit 0: all), *more when there
 * were further ones. */
static void people_from_result(const PGresult *r, size_t limit, struct store_person_list *out)
{
    int rows = PQntuples(r);
    memset(out, 0, sizeof *out);
    out->items = xcalloc((size_t)rows + 1, sizeof *out->items);
    struct store_contact *group = xcalloc((size_t)rows + 1, sizeof *group);
    for (int i = 0; i < rows;) {
        long long top = st_getll(r, i, 9);
        size_t n = 0;
        for (; i < rows && st_getll(r, i, 9) == top; i++)
            contact_from_row(r, i, &group[n++]);
        if (limit && out->count == limit) {
            out->more = true;
            for (size_t k = 0; k < n; k++)
                store_contact_cleanup(&group[k]);
            break;
        }
        store_person_build(group, n, &out->items[out->count++]);
    }
    free(group);
}

/* The people whose rows match page->search ($4..), newest first; $2 the
 * current number to go below (the largest bigint for none), $3 how many
 * people. */
#define PEOPLE_HEAD "WITH m AS (SELECT DISTINCT contact_person(c.uid, c.name) AS k FROM contacts c WHERE c.user_id = $1"
#define PEOPLE_TAIL "), p AS (SELECT m.k, max(c.n) AS top FROM m JOIN contacts c ON c.user_id = $1" \
    " AND contact_person(c.uid, c.name) = m.k GROUP BY m.k)," \
    " pg AS (SELECT k, top FROM p WHERE top < $2::bigint ORDER BY top DESC LIMIT $3)" \
    " SELECT " CONTACT_COLS ", pg.top FROM pg JOIN contacts c ON c.user_id = $1" \
    " AND contact_person(c.uid, c.name) = pg.k ORDER BY pg.top DESC, c.n"

enum store_result store_person_list(struct store *s, const char *user_id, const struct store_page *page,
                                    struct store_person_list *out)
{
    PGresult *r = NULL;
    enum store_result rc = st_page_query_tail(s, "person-list", PEOPLE_HEAD, st_search_cols[STORE_CONTACT],
                                              st_search_keys[STORE_CONTACT], PEOPLE_TAIL, user_id, page, &r);
    if (rc == STORE_OK)
        people_from_result(r, (size_t)page->limit, out);
    PQclear(r);
    return rc;
}

enum store_result store_contact_person(struct store *s, const char *user_id, long long n,
                                       struct store_person *out)
{
    PGresult *r = NULL;
    enum store_result rc = st_item_query(s, "contact-person",
                                         "SELECT " CONTACT_COLS ", 0 FROM contacts c WHERE c.user_id = $1"
                                         " AND contact_person(c.uid, c.name) = (SELECT contact_person(uid, name)"
                                         " FROM contacts WHERE user_id = $1 AND n = $2) ORDER BY c.n",
                                         user_id, n, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0) {
        rc = STORE_NOT_FOUND;
    } else {
        struct store_person_list l;
        people_from_result(r, 0, &l);
        *out = l.items[0];
        free(l.items);
    }
    PQclear(r);
    return rc;
}

void store_person_list_cleanup(struct store_person_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->count; i++)
        store_person_cleanup(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void store_contact_list_cleanup(struct store_contact_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->count; i++)
        store_contact_cleanup(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}
