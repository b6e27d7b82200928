/*
 * contacts — archived contact entries (name, number, the vCard text, the
 * number's types and the card's UID). The patent tells a person's several
 * numbers apart by upload date: the newest upload of a name
 * (case-insensitive) is the current number; older uploads stay as history.
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
        const char *p[] = { user_id, nb, in->name, in->number, vcard, size, in->source };
        rc = st_exec(s, "contact-insert",
                     "INSERT INTO contacts (user_id, n, name, number, vcard, size_bytes, source)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, p, NULL);
    }
    rc = st_tx_finish(s, rc);
out:
    free(vcard);
    if (rc == STORE_OK)
        *n_out = n;
    return rc;
}

struct card_dup {
    const char *user_id, *name, *numbers;   /* numbers: a text[] literal */
};

/* every number of the card is stored already under its name */
static enum store_result card_dup_check(struct store *s, void *ctx)
{
    const struct card_dup *d = ctx;
    const char *p[] = { d->user_id, d->name, d->numbers };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "contact-card-dup",
        "SELECT bool_and(EXISTS (SELECT 1 FROM contacts c WHERE c.user_id = $1 AND lower(c.name) = lower($2)"
        " AND c.number = u.number)) FROM unnest($3::text[]) AS u(number)", 3, p, &r);
    if (rc == STORE_OK && PQgetvalue(r, 0, 0)[0] == 't')
        rc = STORE_CONFLICT;
    PQclear(r);
    return rc;
}

enum store_result store_contact_add_card(struct store *s, const char *user_id, const struct vcard_card *card,
                                         const char *source, bool skip_duplicate, struct store_card_added *out)
{
    size_t order[VCARD_MAX_TELS];
    size_t k = card ? store_card_order(card, order) : 0;
    if (k == 0 || !st_valid_line(card->name, LIMIT_TEXT_FIELD_MAX, false) || card->text_len == 0 ||
        card->text_len > LIMIT_VCARD_MAX || !utf8_valid(card->text, card->text_len) || !st_valid_source(source))
        return STORE_INVALID;
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    /* a UID that is no one line is no key */
    const char *uid = st_valid_line(card->uid, LIMIT_TEXT_FIELD_MAX, true) ? card->uid : "";
    struct st_array numbers, types;
    st_array_init(&numbers);
    st_array_init(&types);
    long long sizes[VCARD_MAX_TELS];
    bool skip[VCARD_MAX_TELS] = { false };
    for (size_t i = 0; i < k; i++) {
        const struct vcard_tel *t = &card->tels[order[i]];
        st_array_text(&numbers, t->number, strlen(t->number));
        st_array_text(&types, t->types, strlen(t->types));
        sizes[i] = (long long)card->text_len;
    }
    char *text = xmemdup0(card->text, card->text_len);
    char size[24], nb[24];
    st_lld(size, (long long)card->text_len);
    struct card_dup dup = { user_id, card->name, st_array_get(&numbers) };
    size_t fit = 0;
    long long first = 0;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        goto out;
    /* all the card's rows or none: they are charged together, under one row lock */
    rc = st_space_charge_many(s, user_id, STORE_CONTACT, sizes, skip, k,
                              skip_duplicate ? card_dup_check : NULL, &dup, &fit, &first);
    if (rc == STORE_OK && fit < k)
        rc = STORE_NO_SPACE;
    if (rc == STORE_OK) {
        st_lld(nb, first);
        const char *p[] = { user_id, nb, card->name, text, size, source, uid, st_array_get(&numbers),
                            st_array_get(&types) };
        rc = st_exec(s, "contact-card-insert",
                     "INSERT INTO contacts (user_id, n, name, number, vcard, size_bytes, source, uid, tel_types)"
                     " SELECT $1, $2::bigint + t.i - 1, $3, t.number, $4, $5, $6, $7, t.types"
                     " FROM unnest($8::text[], $9::text[]) WITH ORDINALITY AS t(number, types, i)", 9, p, NULL);
    }
    rc = st_tx_finish(s, rc);
out:
    free(text);
    st_array_cleanup(&numbers);
    st_array_cleanup(&types);
    if (rc == STORE_OK)
        *out = (struct store_card_added){ first, first + (long long)k - 1, k };
    return rc;
}

/* current: no later upload of the same name (case-insensitive) */
#define CONTACT_COLS "c.n, c.name, c.number, c.vcard, extract(epoch FROM c.uploaded_at)::bigint," \
    " c.size_bytes, NOT EXISTS (SELECT 1 FROM contacts c2 WHERE c2.user_id = c.user_id" \
    " AND lower(c2.name) = lower(c.name) AND c2.n > c.n), c.tel_types, c.uid"

static void contact_from_row(const PGresult *r, int row, struct store_contact *c)
{
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

static void list_from_result(const PGresult *r, size_t n, bool more, struct store_contact_list *out)
{
    memset(out, 0, sizeof *out);
    out->more = more;
    out->items = xcalloc(n ? n : 1, sizeof *out->items);
    for (size_t i = 0; i < n; i++)
        contact_from_row(r, (int)i, &out->items[i]);
    out->count = n;
}

enum store_result store_contact_get(struct store *s, const char *user_id, long long n,
                                    struct store_contact *out)
{
    if (!st_valid_id(user_id))
        return STORE_NOT_FOUND;
    char nb[24];
    st_lld(nb, n);
    const char *p[] = { user_id, nb };
    PGresult *r = NULL;
    enum store_result rc = st_exec(s, "contact-get",
                                   "SELECT " CONTACT_COLS " FROM contacts c WHERE c.user_id = $1 AND c.n = $2",
                                   2, p, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;
    else
        contact_from_row(r, 0, out);
    PQclear(r);
    return rc;
}

enum store_result store_contact_list(struct store *s, const char *user_id,
                                     const struct store_page *page, struct store_contact_list *out)
{
    static const char *const cols[] = { "c.name", "c.number", NULL };
    PGresult *r = NULL;
    size_t n = 0;
    bool more = false;
    enum store_result rc = st_page_query(s, "contact-list",
                                         "SELECT " CONTACT_COLS " FROM contacts c WHERE c.user_id = $1"
                                         " AND ($2::bigint = 0 OR c.n < $2::bigint)",
                                         cols, user_id, page, &r, &n, &more);
    if (rc != STORE_OK)
        return rc;
    list_from_result(r, n, more, out);
    PQclear(r);
    return STORE_OK;
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
    if (rc == STORE_OK)
        list_from_result(r, (size_t)PQntuples(r), false, out);
    PQclear(r);
    return rc;
}

void store_contact_cleanup(struct store_contact *c)
{
    if (c == NULL)
        return;
    free(c->name);
    free(c->number);
    free(c->vcard);
    free(c->tel_types);
    free(c->uid);
    c->name = c->number = c->vcard = c->tel_types = c->uid = NULL;
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
