/*
 * core_items — the SMS engine's commands on single items: SAVE (archive a
 * text; a text to the forward short code is saved the same way), GET
 * (re-deliver SMS, MMS and contacts), DEL (batch delete) and SPACE, with
 * the number lists GET and DEL read ("3", "3,5", "3-7", "M2", "C4").
 * Called by the dispatcher in core.c with arity checked (core_int.h).
 *
 * Not here: what a re-delivered item becomes on the phone (core_render.c:
 * GET only queues a delivery request per item), listing and search
 * (core_list.c), contacts sent as text or vCard (core_contact.c), item
 * numbering and space accounting (store/).
 */
#include "core_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "utf8.h"

/* Archive the text verbatim; the reply names its number, and tells when the
 * space grew (patent step 2). What a phone saves is a message it received
 * (issue 10): its type is received and the phone it was saved from is kept;
 * its peer — who sent it — is not in a SAVE's text and stays unknown (NULL:
 * not the phone itself, nor the service's short code); a forward passes the
 * forwarding phone (core.c). */
enum core_result core_save_text(struct core_ctx *x, const char *text, size_t len, const char *peer)
{
    struct store_sms_new in = { .peer = peer, .body = text, .body_len = len, .type = STORE_SMS_RECEIVED,
                                .phone = x->mo->msisdn, .source = "sms" };
    struct store_saved saved;
    char used[32], alloc[32];
    enum store_result r = store_sms_save(x->s, x->user_id, &in, &saved);
    if (r == STORE_NO_SPACE)
        return core_say(x, T_SAVE_NO_SPACE);
    if (r == STORE_INVALID)
        return core_say(x, T_SAVE_INVALID);
    if (r != STORE_OK)
        return core_from_store(x, "sms_save", r);
    core_text_bytes(saved.used_bytes, used, sizeof used);
    core_text_bytes(saved.allocated_bytes, alloc, sizeof alloc);
    if (saved.grew)
        return core_say(x, T_SAVE_GREW, saved.n, alloc);
    return core_say(x, T_SAVE_OK, saved.n, used, alloc);
}

enum core_result core_cmd_save(struct core_ctx *x)
{
    return core_save_text(x, x->args, x->args_len, NULL);
}

/* ---- GET / DEL number lists: n, n,m, n-m, M<n>, C<n> ---- */

struct item {
    enum store_kind kind;
    long long n;
};

#define ITEM_N_MAX 1000000000000LL

/* Separators: ASCII comma, full-width comma "，", ideographic comma "、". */
static size_t sep_at(const char *s, size_t len)
{
    if (len >= 1 && s[0] == ',')
        return 1;
    if (len >= 3 && (memcmp(s, "\xEF\xBC\x8C", 3) == 0 || memcmp(s, "\xE3\x80\x81", 3) == 0))
        return 3;
    return core_ws_at(s, len);
}

/* One item number at s[*i]: [M|C]digits; false when there is none. */
static bool parse_one(const char *s, size_t len, size_t *i, enum store_kind *kind, bool kind_set,
                      long long *n)
{
    enum store_kind k = STORE_SMS;
    if (*i < len && (s[*i] == 'M' || s[*i] == 'm')) {
        k = STORE_MMS;
        (*i)++;
    } else if (*i < len && (s[*i] == 'C' || s[*i] == 'c')) {
        k = STORE_CONTACT;
        (*i)++;
    } else if (kind_set) {
        k = *kind;   /* "M3-5": the kind carries over to the end of the range */
    }
    if (kind_set && k != *kind)
        return false;
    *kind = k;
    if (*i >= len || !isdigit((unsigned char)s[*i]))
        return false;
    long long v = 0;
    while (*i < len && isdigit((unsigned char)s[*i])) {
        v = v * 10 + (s[*i] - '0');
        if (v > ITEM_N_MAX)
            return false;
        (*i)++;
    }
    if (v < 1)
        return false;
    *n = v;
    return true;
}

enum item_list {
    ITEMS_READ,         /* *out holds *count items */
    ITEMS_UNREADABLE,   /* not a list of numbers: T_BAD_NUMBERS */
    ITEMS_TOO_MANY,     /* more than cap items: T_TOO_MANY */
};

static enum item_list parse_items(const char *s, size_t len, size_t cap, struct item **out, size_t *count)
{
    struct item *v = NULL;
    size_t n = 0, i = 0, sl;
    enum item_list rc = ITEMS_READ;

    while (i < len) {
        if ((sl = sep_at(s + i, len - i)) > 0) {
            i += sl;
            continue;
        }
        enum store_kind k;
        long long a, b;
        if (!parse_one(s, len, &i, &k, false, &a)) {
            rc = ITEMS_UNREADABLE;
            goto out;
        }
        b = a;
        if (i < len && (s[i] == '-' || s[i] == '~' || (len - i >= 3 && memcmp(s + i, "\xEF\xBD\x9E", 3) == 0))) {
            i += s[i] == '-' || s[i] == '~' ? 1 : 3;
            if (!parse_one(s, len, &i, &k, true, &b)) {
                rc = ITEMS_UNREADABLE;
                goto out;
            }
        }
        if (i < len && sep_at(s + i, len - i) == 0) {
            rc = ITEMS_UNREADABLE;
            goto out;
        }
        long long lo = a < b ? a : b, hi = a < b ? b : a;
        if ((unsigned long long)(hi - lo) + 1 > cap - n) {
            rc = ITEMS_TOO_MANY;
            goto out;
        }
        v = xrealloc(v, (n + (size_t)(hi - lo) + 1) * sizeof *v);
        for (long long j = lo; j <= hi; j++)
            v[n++] = (struct item){ k, j };
    }
    if (n == 0)
        rc = ITEMS_UNREADABLE;
out:
    if (rc == ITEMS_READ) {
        *out = v;
        *count = n;
    } else {
        free(v);
    }
    return rc;
}

static void name_item(const struct item *it, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%lld", it->kind == STORE_MMS ? "M" : it->kind == STORE_CONTACT ? "C" : "", it->n);
}

/* GET: a delivery request per item, for this phone; what the phone gets is
 * rendered when it is sent (core_render.c): an SMS byte-exact, an MMS as
 * text + web link, a contact as a business card. An item that does not
 * exist now is named in the reply. */
enum core_result core_cmd_get(struct core_ctx *x)
{
    struct item *items = NULL;
    size_t n = 0;
    switch (parse_items(x->args, x->args_len, (size_t)x->cfg->get_max, &items, &n)) {
    case ITEMS_READ: break;
    case ITEMS_UNREADABLE: return core_say(x, T_BAD_NUMBERS);
    case ITEMS_TOO_MANY: return core_say(x, T_TOO_MANY, (int)x->cfg->get_max);
    }

    char missing[160] = "";
    size_t ml = 0;
    enum core_result cr = CORE_OK;
    for (size_t i = 0; i < n && cr == CORE_OK; i++) {
        long long id;
        enum store_result r = store_outbox_request_item(x->s, x->user_id, x->mo->msisdn, items[i].kind,
                                                        items[i].n, &id);
        if (r == STORE_OK) {
            x->out->requests++;
        } else if (r == STORE_NOT_FOUND) {
            if (ml + 24 < sizeof missing) {
                char nm[24];
                name_item(&items[i], nm, sizeof nm);
                ml += (size_t)snprintf(missing + ml, sizeof missing - ml, "%s%s", ml ? ", " : "", nm);
            }
        } else {
            cr = core_from_store(x, "outbox_request_item", r);
        }
    }
    if (cr == CORE_OK && ml)
        cr = core_say(x, T_NOT_FOUND, missing);
    free(items);
    return cr;
}

/* DEL: batch delete, space freed (patent: management from the phone). */
enum core_result core_cmd_del(struct core_ctx *x)
{
    struct item *items = NULL;
    size_t n = 0;
    switch (parse_items(x->args, x->args_len, (size_t)x->cfg->del_max, &items, &n)) {
    case ITEMS_READ: break;
    case ITEMS_UNREADABLE: return core_say(x, T_BAD_NUMBERS);
    case ITEMS_TOO_MANY: return core_say(x, T_TOO_MANY, (int)x->cfg->del_max);
    }

    long long *ns = xcalloc(n, sizeof *ns), deleted = 0, freed = 0;
    enum core_result cr = CORE_OK;
    for (int k = STORE_SMS; k <= STORE_CONTACT && cr == CORE_OK; k++) {
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
            if (items[i].kind == (enum store_kind)k)
                ns[c++] = items[i].n;
        if (c == 0)
            continue;
        long long d = 0, f = 0;
        enum store_result r = store_items_delete(x->s, x->user_id, (enum store_kind)k, ns, c, &d, &f);
        if (r != STORE_OK)
            cr = core_from_store(x, "items_delete", r);
        deleted += d;
        freed += f;
    }
    if (cr == CORE_OK) {
        char fb[32];
        core_text_bytes(freed, fb, sizeof fb);
        cr = deleted ? core_say(x, T_DEL_OK, deleted, fb) : core_say(x, T_DEL_NONE);
    }
    free(ns);
    free(items);
    return cr;
}

enum core_result core_cmd_space(struct core_ctx *x)
{
    struct store_usage u;
    char used[32], alloc[32];
    enum store_result r = store_usage_get(x->s, x->user_id, &u);
    if (r != STORE_OK)
        return core_from_store(x, "usage_get", r);
    core_text_bytes(u.used_bytes, used, sizeof used);
    core_text_bytes(u.allocated_bytes, alloc, sizeof alloc);
    return core_say(x, T_SPACE, used, alloc, u.sms_count, u.mms_count, u.person_count);   /* contacts: people */
}
