/*
 * rules — the store's rules that need no database: what a username and a
 * password may be, when two names are one (the fold), how much the space
 * grows for an upload (see store.h), which numbers of a business card are
 * kept and which of them is current, a person's numbers and the TELs its
 * card carries (and freeing a contact and a person), and which sender
 * delivers which kind of item. They live apart from users.c, space.c, contacts.c and outbox.c
 * so that the web page can check a form before it asks the store, and the
 * engine's tests' fake store (tests/unit/fake_store.c) can apply the very
 * same rules without libpq. Not here: uniqueness of names and password
 * hashing (users.c), locking, charging and recording growth (space.c) — all
 * in the database's transaction.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "msisdn.h"

static bool ascii_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool store_username_valid(const char *username)
{
    if (username == NULL)
        return false;
    size_t len = strnlen(username, LIMIT_USERNAME_MAX + 1);
    if (len < LIMIT_USERNAME_MIN || len > LIMIT_USERNAME_MAX || !ascii_alnum(username[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!ascii_alnum(username[i]) && username[i] != '_' && username[i] != '.' && username[i] != '-')
            return false;
    return true;
}

char *store_username_fold(const char *name)
{
    char *f = xstrdup(name);
    for (char *c = f; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return f;
}

bool store_password_valid(const char *password)
{
    if (password == NULL)
        return false;
    size_t len = strnlen(password, LIMIT_PASSWORD_MAX + 1);
    return len >= LIMIT_PASSWORD_MIN && len <= LIMIT_PASSWORD_MAX;
}

static long long min_ll(long long a, long long b) { return a < b ? a : b; }
static long long max_ll(long long a, long long b) { return a > b ? a : b; }

/* patent step 2: space grows by 10 MiB (step) when under 1 MiB (threshold)
 * would be left after storing — by more when the upload needs it — within
 * the per-user cap */
long long store_space_wanted(const struct store_space_rule *rule, long long allocated, long long used,
                             long long size)
{
    if (allocated - used - size >= rule->threshold)
        return 0;
    long long need = used + size + rule->threshold - allocated;   /* leaves threshold free */
    return max_ll(0, min_ll(max_ll(rule->step, need), rule->user_cap - allocated));
}

/* ... and within the server capacity that is left */
bool store_space_grant(const struct store_space_rule *rule, long long allocated, long long used, long long size,
                       long long capacity_left, long long *allocation_out)
{
    long long grow = min_ll(store_space_wanted(rule, allocated, used, size), max_ll(0, capacity_left));
    *allocation_out = allocated + grow;
    return used + size <= allocated + grow;
}

/* patent point 5: the newest upload is a person's current number; inside
 * one card the number marked PREF (else the first) is that one, so it is
 * stored last. A number the card repeats (in another written form too) is
 * kept once. */
size_t store_card_order(const struct vcard_card *card, size_t order[VCARD_MAX_TELS])
{
    size_t n = 0, current = VCARD_MAX_TELS;
    char keys[VCARD_MAX_TELS][MSISDN_KEY_SIZE];
    for (size_t i = 0; i < card->ntels && i < VCARD_MAX_TELS; i++) {
        if (!msisdn_is_contact(card->tels[i].number) || !msisdn_key(card->tels[i].number, keys[n]))
            continue;   /* *100#, a URI, a fax extension: not a phone number */
        bool again = false;   /* one number written twice in the card is one number */
        for (size_t k = 0; k < n && !again; k++)
            again = strcmp(keys[k], keys[n]) == 0;
        if (again) {
            if (card->tels[i].pref && current != VCARD_MAX_TELS && !card->tels[order[current]].pref)
                for (size_t k = 0; k < n; k++)   /* ... but its PREF counts */
                    if (strcmp(keys[k], keys[n]) == 0)
                        current = k;
            continue;
        }
        if (current == VCARD_MAX_TELS || (card->tels[i].pref && !card->tels[order[current]].pref))
            current = n;
        order[n++] = i;
    }
    if (n > 1 && current != n - 1) {
        size_t c = order[current];
        memmove(order + current, order + current + 1, (n - current - 1) * sizeof *order);
        order[n - 1] = c;
    }
    return n;
}

/* Here rather than in contacts.c: people are built here, and the engine
 * tests' fake store frees them the same way. */
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

void store_person_cleanup(struct store_person *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->count; i++)
        store_contact_cleanup(&p->numbers[i]);
    free(p->numbers);
    free(p->rows);
    free(p->name);
    free(p->uid);
    free(p->vcard);
    memset(p, 0, sizeof *p);
}

/* A person's numbers (issue 10): each once — a number uploaded again is
 * where its newest upload puts it — in upload order, the newest row (the
 * current number) last. */
void store_person_build(struct store_contact *rows, size_t count, struct store_person *out)
{
    memset(out, 0, sizeof *out);
    out->rows = xcalloc(count ? count : 1, sizeof *out->rows);
    out->numbers = xcalloc(count ? count : 1, sizeof *out->numbers);
    char (*keys)[MSISDN_KEY_SIZE] = xcalloc(count ? count : 1, sizeof *keys);
    for (size_t i = 0; i < count; i++) {
        out->rows[out->nrows++] = rows[i].n;
        char key[MSISDN_KEY_SIZE];
        if (!msisdn_key(rows[i].number, key))
            snprintf(key, sizeof key, "%s", rows[i].number);
        for (size_t k = 0; k < out->count; k++)
            if (strcmp(keys[k], key) == 0) {   /* uploaded before: the newer upload counts */
                store_contact_cleanup(&out->numbers[k]);
                memmove(out->numbers + k, out->numbers + k + 1, (out->count - k - 1) * sizeof *out->numbers);
                memmove(keys + k, keys + k + 1, (out->count - k - 1) * sizeof *keys);
                out->count--;
                break;
            }
        memcpy(keys[out->count], key, sizeof key);
        out->numbers[out->count] = rows[i];
        out->numbers[out->count++].current = i + 1 == count;
        memset(&rows[i], 0, sizeof rows[i]);
    }
    free(keys);
    if (out->count) {
        const struct store_contact *cur = &out->numbers[out->count - 1];
        out->n = cur->n;
        out->name = xstrdup(cur->name);
        out->uid = xstrdup(cur->uid ? cur->uid : "");
        out->vcard = xmemdup0(cur->vcard, cur->vcard_len);
        out->vcard_len = cur->vcard_len;
    } else {
        out->name = xstrdup("");
        out->uid = xstrdup("");
        out->vcard = xstrdup("");
    }
}

size_t store_person_tels(const struct store_person *p, struct vcard_tel tels[VCARD_MAX_TELS],
                         char types[VCARD_MAX_TELS][64])
{
    size_t first = p->count > VCARD_MAX_TELS ? p->count - VCARD_MAX_TELS : 0, k = 0;
    for (size_t i = first; i < p->count; i++, k++) {
        bool current = i + 1 == p->count;
        const char *t = p->numbers[i].tel_types ? p->numbers[i].tel_types : "";
        size_t o = 0;
        types[k][0] = '\0';
        while (*t) {   /* the uploaded types but PREF, each whole or not at all */
            size_t len = strcspn(t, ",");
            bool pref = len == 4 && strncmp(t, "PREF", 4) == 0;
            if (len && !pref && o + (o ? 1 : 0) + len + sizeof ",PREF" <= sizeof types[k]) {
                if (o)
                    types[k][o++] = ',';
                memcpy(types[k] + o, t, len);
                o += len;
                types[k][o] = '\0';
            }
            t += len + (t[len] == ',');
        }
        if (current)
            snprintf(types[k] + o, sizeof types[k] - o, "%sPREF", o ? "," : "");
        tels[k] = (struct vcard_tel){ .number = p->numbers[i].number, .types = types[k], .pref = current };
    }
    return k;
}

char *store_person_card(const struct store_person *p, size_t *len_out)
{
    bool one = p->count > 0;   /* every number from the one card the current came in */
    for (size_t i = 0; i < p->count && one; i++)
        one = p->numbers[i].vcard_len == p->vcard_len && memcmp(p->numbers[i].vcard, p->vcard, p->vcard_len) == 0;
    if (one) {
        *len_out = p->vcard_len;
        return xmemdup0(p->vcard, p->vcard_len);
    }
    struct vcard_tel tels[VCARD_MAX_TELS];
    char types[VCARD_MAX_TELS][64];
    size_t n = store_person_tels(p, tels, types);
    return vcard_with_tels(p->vcard, p->vcard_len, tels, n, len_out);
}

/* The switch of who delivers an item (issues 8 and 9), for GET and the web
 * alike: an MMS goes to vaultmms, which delivers it as an MMS ([mms]
 * delivery says by which path); everything else to vaultbox. */
const char *store_outbox_channel_for(enum store_kind kind)
{
    return kind == STORE_MMS ? STORE_CHANNEL_MMS : STORE_CHANNEL_SMS;
}
