/*
 * fake_store — in-memory store for the engine's unit tests (see fake_store.h).
 * Linear arrays everywhere: tests hold a few dozen rows.
 */
#define _GNU_SOURCE
#include "fake_store.h"

#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "msisdn.h"
#include "utf8.h"

struct f_user {
    char id[STORE_ID_LEN];
    char *name, *pass;
    char lang[3];
    bool lang_chosen;
    long long allocated, used, next[3];
};

/* Failed logins of one name tried (folded), account or not: the store's
 * throttle (store/users.c) with its numbers — free failures, then a wait
 * of 1 s doubling per failure up to 15 min — but no clock: a throttled name
 * stays throttled until a success clears it (the fake's time never passes). */
#define F_FREE_FAILURES 5
struct f_name {
    char *folded;
    int failures;
};

struct f_item {
    char user[STORE_ID_LEN];
    enum store_kind kind;
    long long n, size;
    time_t at;
    bool text_valid;   /* fake_store_consistent found its text UTF-8 (it never changes) */
    union {   /* by kind */
        struct { char *peer, *body, *phone; size_t body_len; int type; } sms;
        struct { char *peer, *subject, *text; } mms;
        struct { char *name, *number, *vcard, *types, *uid; size_t vcard_len; } contact;
    };
};

static void item_free_fields(struct f_item *it)
{
    if (it->kind == STORE_SMS) {
        free(it->sms.peer);
        free(it->sms.body);
        free(it->sms.phone);
    } else if (it->kind == STORE_MMS) {
        free(it->mms.peer);
        free(it->mms.subject);
        free(it->mms.text);
    } else {
        free(it->contact.name);
        free(it->contact.number);
        free(it->contact.vcard);
        free(it->contact.types);
        free(it->contact.uid);
    }
}

struct f_phone {
    char key[MSISDN_KEY_SIZE];   /* matched by key, as store/phones.c does */
    char user[STORE_ID_LEN];
    char msisdn[LIMIT_PEER_MAX + 1];   /* as it was bound */
};

/* An outbox row: a text, a delivery request or a binary MT (migration 008). */
struct f_out {
    enum store_outbox_kind kind;
    char user[STORE_ID_LEN];
    char *msisdn, *text;          /* text: OUTBOX_TEXT; binary: the data (NUL-terminated copy) */
    size_t len;
    unsigned char udh[STORE_OUTBOX_UDH_MAX];
    size_t udh_len;
    int coding;
    enum store_kind item_kind;    /* OUTBOX_REQUEST */
    long long item_n;
    long long parent;             /* the request's id (index + 1), or 0 */
    int state;                    /* 0 queued, 4 failed, 5 rendered */
};

struct store {
    long long initial, threshold, step, cap;
    struct f_user users[64];
    size_t nusers;
    struct f_name names[64];
    size_t nnames;
    struct f_phone phones[64];
    size_t nphones;
    struct f_item *items;
    size_t nitems;
    struct f_out *out;
    size_t nout;
    char fail_fn[64];
    enum store_result fail_r;
    int next_user;
    size_t listed;   /* items the list calls returned */
};

const char *store_result_name(enum store_result r)
{
    static const char *const n[] = { "ok", "not_found", "no_space", "conflict", "retry",
                                     "invalid", "denied", "throttled", "error" };
    return (unsigned)r < 9 ? n[r] : "?";
}

struct store *fake_store_new(long long initial, long long threshold, long long step, long long cap)
{
    struct store *s = xcalloc(1, sizeof *s);
    s->initial = initial;
    s->threshold = threshold;
    s->step = step;
    s->cap = cap;
    return s;
}

void fake_store_free(struct store *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nusers; i++) {
        free(s->users[i].name);
        free(s->users[i].pass);
    }
    for (size_t i = 0; i < s->nnames; i++)
        free(s->names[i].folded);
    for (size_t i = 0; i < s->nitems; i++) {
        item_free_fields(&s->items[i]);
    }
    for (size_t i = 0; i < s->nout; i++) {
        free(s->out[i].msisdn);
        free(s->out[i].text);
    }
    free(s->items);
    free(s->out);
    free(s);
}

void fake_store_fail(struct store *s, const char *fn, enum store_result r)
{
    snprintf(s->fail_fn, sizeof s->fail_fn, "%s", fn);
    s->fail_r = r;
}

/* Injected failure for fn, once. */
static bool failing(struct store *s, const char *fn, enum store_result *r)
{
    if (strcmp(s->fail_fn, fn) != 0)
        return false;
    s->fail_fn[0] = '\0';
    *r = s->fail_r;
    return true;
}
#define FAIL_POINT(s, fn)                     \
    do {                                      \
        enum store_result fr_;                \
        if (failing((s), (fn), &fr_))         \
            return fr_;                       \
    } while (0)

size_t fake_store_outbox_count(struct store *s) { return s->nout; }

const char *fake_store_outbox_text(struct store *s, size_t i, size_t *len)
{
    if (len)
        *len = s->out[i].len;
    return s->out[i].text ? s->out[i].text : "";
}

const char *fake_store_outbox_msisdn(struct store *s, size_t i) { return s->out[i].msisdn; }

bool fake_store_outbox_row(struct store *s, size_t i, struct fake_outbox_row *out)
{
    if (i >= s->nout)
        return false;
    const struct f_out *o = &s->out[i];
    *out = (struct fake_outbox_row){ .id = (long long)i + 1, .kind = o->kind, .msisdn = o->msisdn,
                                     .text = o->text ? o->text : "", .len = o->len, .udh = o->udh,
                                     .udh_len = o->udh_len, .coding = o->coding, .item_kind = o->item_kind,
                                     .item_n = o->item_n, .parent = o->parent, .state = o->state };
    return true;
}

/* A new outbox row (zeroed but for what the caller fills). */
static struct f_out *new_out(struct store *s, enum store_outbox_kind kind, const char *msisdn)
{
    s->out = xrealloc(s->out, (s->nout + 1) * sizeof *s->out);
    struct f_out *o = &s->out[s->nout++];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->msisdn = xstrdup(msisdn);
    return o;
}

static struct f_user *user_by_id(struct store *s, const char *id)
{
    for (size_t i = 0; i < s->nusers; i++)
        if (strcmp(s->users[i].id, id) == 0)
            return &s->users[i];
    return NULL;
}

static struct f_user *user_by_name(struct store *s, const char *name)
{
    for (size_t i = 0; i < s->nusers; i++)
        if (strcasecmp(s->users[i].name, name) == 0)
            return &s->users[i];
    return NULL;
}

size_t fake_store_count(struct store *s, const char *user_id, enum store_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nitems; i++)
        if (s->items[i].kind == kind && strcmp(s->items[i].user, user_id) == 0)
            n++;
    return n;
}

enum store_result store_outbox_enqueue(struct store *s, const struct store_outbox_new *in, long long *id_out)
{
    FAIL_POINT(s, "store_outbox_enqueue");
    if (strlen(in->msisdn) == 0 || strlen(in->msisdn) > LIMIT_PEER_MAX || in->text_len == 0 ||
        in->text_len > LIMIT_SMS_BODY_MAX || !utf8_valid(in->text, in->text_len))
        return STORE_INVALID;   /* the real store's checks (store/outbox.c) */
    struct f_out *o = new_out(s, OUTBOX_TEXT, in->msisdn);
    o->text = xmemdup0(in->text, in->text_len);
    o->len = in->text_len;
    *id_out = (long long)s->nout;
    return STORE_OK;
}

/* The fake has no transactions: what a savepoint would undo stays (the
 * engine only rolls back on store failures, which the tests inject before
 * anything is written). */
enum store_result store_tx_savepoint(struct store *s)
{
    FAIL_POINT(s, "store_tx_savepoint");
    return STORE_OK;
}

enum store_result store_tx_release(struct store *s)
{
    (void)s;
    return STORE_OK;
}

void store_tx_rollback_to(struct store *s)
{
    (void)s;
}

static struct f_item *find_item(struct store *s, const char *user_id, enum store_kind kind, long long n);

/* One person (store.h): the same card UID, else — both without one — the
 * same name, case aside (ASCII; migration 011 also folds white space). */
static bool same_person(const struct f_item *a, const struct f_item *b)
{
    const char *ua = a->contact.uid ? a->contact.uid : "", *ub = b->contact.uid ? b->contact.uid : "";
    if (*ua || *ub)
        return strcmp(ua, ub) == 0;
    return strcasecmp(a->contact.name, b->contact.name) == 0;
}

enum store_result store_outbox_request_item(struct store *s, const char *user_id, const char *msisdn,
                                            enum store_kind kind, long long n, long long *id_out)
{
    FAIL_POINT(s, "store_outbox_request_item");
    if (strlen(msisdn) == 0 || strlen(msisdn) > LIMIT_PEER_MAX || (unsigned)kind > STORE_CONTACT)
        return STORE_INVALID;
    if (find_item(s, user_id, kind, n) == NULL)
        return STORE_NOT_FOUND;   /* as store/outbox.c: the item must exist now */
    struct f_out *o = new_out(s, OUTBOX_REQUEST, msisdn);
    snprintf(o->user, sizeof o->user, "%s", user_id);
    o->item_kind = kind;
    o->item_n = n;
    *id_out = (long long)s->nout;
    return STORE_OK;
}

enum store_result store_outbox_take_requests(struct store *s, const char *channel, int max,
                                             struct store_outbox_request **out, size_t *count)
{
    FAIL_POINT(s, "store_outbox_take_requests");
    struct store_outbox_request *v = xcalloc(s->nout + 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < s->nout && n < (size_t)max; i++) {
        const struct f_out *o = &s->out[i];
        if (o->kind != OUTBOX_REQUEST || o->state != 0 || strcmp(store_outbox_channel_for(o->item_kind), channel) != 0)
            continue;
        v[n].id = (long long)i + 1;
        snprintf(v[n].user_id, sizeof v[n].user_id, "%s", o->user);
        v[n].msisdn = xstrdup(o->msisdn);
        v[n].kind = o->item_kind;
        v[n].n = o->item_n;
        n++;
    }
    *out = v;
    *count = n;
    return STORE_OK;
}

void store_outbox_requests_free(struct store_outbox_request *reqs, size_t count)
{
    for (size_t i = 0; reqs && i < count; i++)
        free(reqs[i].msisdn);
    free(reqs);
}

enum store_result store_outbox_expand(struct store *s, long long request_id, const struct store_outbox_mt *mts,
                                      size_t count, const char *failed_reason)
{
    FAIL_POINT(s, "store_outbox_expand");
    if (count == 0 && failed_reason == NULL)
        return STORE_INVALID;
    /* the real store's rules for what a row may hold (store/outbox.c) */
    for (size_t i = 0; i < count; i++) {
        const struct store_outbox_mt *m = &mts[i];
        bool ok = m->kind == OUTBOX_TEXT
                      ? m->text_len > 0 && m->text_len <= LIMIT_SMS_BODY_MAX && utf8_valid(m->text, m->text_len)
                      : m->kind == OUTBOX_BINARY && m->coding == STORE_CODING_8BIT && m->data_len > 0 &&
                            m->data_len <= STORE_OUTBOX_DATA_MAX && m->udh_len <= STORE_OUTBOX_UDH_MAX &&
                            (m->udh_len == 0 || (size_t)m->udh[0] + 1 == m->udh_len);
        if (!ok)
            return STORE_INVALID;
    }
    if (request_id < 1 || (size_t)request_id > s->nout || s->out[request_id - 1].kind != OUTBOX_REQUEST ||
        s->out[request_id - 1].state != 0)
        return STORE_NOT_FOUND;
    s->out[request_id - 1].state = failed_reason ? 4 : 5;
    for (size_t i = 0; i < count; i++) {
        const struct store_outbox_mt *m = &mts[i];
        struct f_out *o = new_out(s, m->kind, s->out[request_id - 1].msisdn);
        snprintf(o->user, sizeof o->user, "%s", s->out[request_id - 1].user);
        o->parent = request_id;
        if (m->kind == OUTBOX_TEXT) {
            o->text = xmemdup0(m->text, m->text_len);
            o->len = m->text_len;
        } else {
            o->text = xmemdup0(m->data, m->data_len);
            o->len = m->data_len;
            memcpy(o->udh, m->udh, m->udh_len);
            o->udh_len = m->udh_len;
            o->coding = m->coding;
        }
    }
    return STORE_OK;
}

enum store_result store_user_create(struct store *s, const char *username, const char *password,
                                    const char *lang, char id_out[STORE_ID_LEN])
{
    FAIL_POINT(s, "store_user_create");
    if (!store_username_valid(username) || !store_password_valid(password))
        return STORE_INVALID;
    if (user_by_name(s, username))
        return STORE_CONFLICT;
    if (s->nusers == sizeof s->users / sizeof s->users[0])
        return STORE_NO_SPACE;   /* the fake's server is full */
    struct f_user *u = &s->users[s->nusers++];
    memset(u, 0, sizeof *u);
    snprintf(u->id, sizeof u->id, "00000000-0000-4000-8000-%012d", ++s->next_user);
    u->name = xstrdup(username);
    u->pass = xstrdup(password);
    snprintf(u->lang, sizeof u->lang, "%s", lang);
    u->allocated = s->initial;
    memcpy(id_out, u->id, STORE_ID_LEN);
    return STORE_OK;
}

/* The throttle entry of a name tried (made on first use). */
static struct f_name *name_of(struct store *s, const char *name)
{
    char *folded = store_username_fold(name);
    for (size_t i = 0; i < s->nnames; i++)
        if (strcmp(s->names[i].folded, folded) == 0) {
            free(folded);
            return &s->names[i];
        }
    assert(s->nnames < sizeof s->names / sizeof s->names[0]);
    struct f_name *n = &s->names[s->nnames++];
    n->folded = folded;
    n->failures = 0;
    return n;
}

/* STORE_THROTTLED (with the wait) when the name may not be tried now. */
static enum store_result name_throttled(const struct f_name *n, int *retry_after)
{
    if (n->failures < F_FREE_FAILURES)
        return STORE_OK;
    int wait = 1;
    for (int d = n->failures - F_FREE_FAILURES; d > 0 && wait < 900; d--)
        wait *= 2;
    if (retry_after)
        *retry_after = wait < 900 ? wait : 900;
    return STORE_THROTTLED;
}

/* A checked password: the name's failures cleared or counted. */
static enum store_result name_tried(struct f_name *n, bool ok)
{
    if (ok) {
        n->failures = 0;
        return STORE_OK;
    }
    n->failures++;
    return STORE_DENIED;
}

void fake_store_set_failures(struct store *s, const char *name, int failures)
{
    name_of(s, name)->failures = failures;
}

enum store_result store_user_login(struct store *s, const char *username, const char *password,
                                   char id_out[STORE_ID_LEN], int *retry_after)
{
    FAIL_POINT(s, "store_user_login");
    struct f_name *n = name_of(s, username);
    if (name_throttled(n, retry_after) == STORE_THROTTLED)
        return STORE_THROTTLED;
    struct f_user *u = user_by_name(s, username);
    enum store_result r = name_tried(n, u && strcmp(u->pass, password) == 0);
    if (r == STORE_OK)
        memcpy(id_out, u->id, STORE_ID_LEN);
    return r;
}

enum store_result store_user_get(struct store *s, const char *user_id, struct store_user *out)
{
    FAIL_POINT(s, "store_user_get");
    struct f_user *u = user_by_id(s, user_id);
    if (u == NULL)
        return STORE_NOT_FOUND;
    memset(out, 0, sizeof *out);
    memcpy(out->id, u->id, STORE_ID_LEN);
    out->username = xstrdup(u->name);
    memcpy(out->lang, u->lang, 3);
    out->lang_chosen = u->lang_chosen;
    out->allocated_bytes = u->allocated;
    out->used_bytes = u->used;
    return STORE_OK;
}

void store_user_cleanup(struct store_user *u)
{
    free(u->username);
    u->username = NULL;
}

enum store_result store_user_set_lang(struct store *s, const char *user_id, const char *lang)
{
    FAIL_POINT(s, "store_user_set_lang");
    struct f_user *u = user_by_id(s, user_id);
    if (u == NULL)
        return STORE_NOT_FOUND;
    snprintf(u->lang, sizeof u->lang, "%s", lang);
    u->lang_chosen = true;
    return STORE_OK;
}

enum store_result store_user_set_password(struct store *s, const char *user_id, const char *old_password,
                                          const char *new_password, int *retry_after)
{
    FAIL_POINT(s, "store_user_set_password");
    struct f_user *u = user_by_id(s, user_id);
    if (u == NULL)
        return STORE_NOT_FOUND;
    if (!store_password_valid(new_password))
        return STORE_INVALID;
    struct f_name *n = name_of(s, u->name);
    if (name_throttled(n, retry_after) == STORE_THROTTLED)
        return STORE_THROTTLED;
    if (name_tried(n, strcmp(u->pass, old_password) == 0) != STORE_OK)
        return STORE_DENIED;
    free(u->pass);
    u->pass = xstrdup(new_password);
    return STORE_OK;
}

enum store_result store_phone_bind(struct store *s, const char *msisdn, const char *user_id)
{
    FAIL_POINT(s, "store_phone_bind");
    char key[MSISDN_KEY_SIZE];
    if (!msisdn_key(msisdn, key))
        return STORE_INVALID;
    size_t i = 0;
    while (i < s->nphones && strcmp(s->phones[i].key, key) != 0)
        i++;
    if (i == sizeof s->phones / sizeof s->phones[0])
        return STORE_ERR;
    if (i == s->nphones)
        s->nphones++;
    memcpy(s->phones[i].key, key, sizeof key);
    memcpy(s->phones[i].user, user_id, STORE_ID_LEN);
    snprintf(s->phones[i].msisdn, sizeof s->phones[i].msisdn, "%s", msisdn);
    return STORE_OK;
}

/* The phone (any written form of its number), or NULL. */
static const struct f_phone *phone_of(struct store *s, const char *msisdn)
{
    char key[MSISDN_KEY_SIZE];
    if (!msisdn_key(msisdn, key))
        return NULL;   /* as store/phones.c: no number, no phone */
    for (size_t i = 0; i < s->nphones; i++)
        if (strcmp(s->phones[i].key, key) == 0)
            return &s->phones[i];
    return NULL;
}

enum store_result store_phone_owner(struct store *s, const char *msisdn, struct store_phone_owner *out)
{
    FAIL_POINT(s, "store_phone_owner");
    const struct f_phone *p = phone_of(s, msisdn);
    const struct f_user *u = p ? user_by_id(s, p->user) : NULL;
    if (u == NULL)
        return STORE_NOT_FOUND;
    memset(out, 0, sizeof *out);
    memcpy(out->user_id, u->id, STORE_ID_LEN);
    memcpy(out->lang, u->lang, 3);
    out->lang_chosen = u->lang_chosen;
    memcpy(out->msisdn, p->msisdn, sizeof out->msisdn);
    return STORE_OK;
}

const char *fake_store_user_of(struct store *s, const char *msisdn)
{
    const struct f_phone *p = phone_of(s, msisdn);
    const struct f_user *u = p ? user_by_id(s, p->user) : NULL;
    return u ? u->id : "";
}

/* Charge size to u, growing the allocation by the store's own rule
 * (store_space_grant); the fake's server has no capacity limit. */
static enum store_result charge(struct store *s, struct f_user *u, long long size)
{
    const struct store_space_rule rule = { s->threshold, s->step, s->cap };
    long long allocation;
    if (!store_space_grant(&rule, u->allocated, u->used, size, LLONG_MAX, &allocation))
        return STORE_NO_SPACE;
    u->allocated = allocation;
    u->used += size;
    return STORE_OK;
}

/* A new item of kind for u whose size was charged already. */
static struct f_item *append_item(struct store *s, struct f_user *u, enum store_kind kind, long long size)
{
    s->items = xrealloc(s->items, (s->nitems + 1) * sizeof *s->items);
    struct f_item *it = &s->items[s->nitems++];
    memset(it, 0, sizeof *it);
    memcpy(it->user, u->id, STORE_ID_LEN);
    it->kind = kind;
    it->n = ++u->next[kind];
    it->size = size;
    it->at = time(NULL);
    return it;
}

/* A new item of kind for u, its size charged; NULL when it does not fit. */
static struct f_item *new_item(struct store *s, struct f_user *u, enum store_kind kind, long long size)
{
    if (charge(s, u, size) != STORE_OK)
        return NULL;
    return append_item(s, u, kind, size);
}

enum store_result store_sms_save(struct store *s, const char *user_id, const struct store_sms_new *in,
                                 struct store_saved *out)
{
    FAIL_POINT(s, "store_sms_save");
    struct f_user *u = user_by_id(s, user_id);
    if (u == NULL)
        return STORE_NOT_FOUND;
    if (in->body_len == 0 || in->body_len > LIMIT_SMS_BODY_MAX || !utf8_valid(in->body, in->body_len))
        return STORE_INVALID;
    long long before = u->allocated;
    struct f_item *it = new_item(s, u, STORE_SMS, (long long)in->body_len);
    if (it == NULL)
        return STORE_NO_SPACE;
    it->sms.peer = xstrdup(in->peer ? in->peer : "");
    it->sms.body = xmemdup0(in->body, in->body_len);
    it->sms.body_len = in->body_len;
    it->sms.type = in->type;
    it->sms.phone = xstrdup(in->phone ? in->phone : "");
    out->n = it->n;
    out->used_bytes = u->used;
    out->allocated_bytes = u->allocated;
    out->grew = u->allocated > before;
    return STORE_OK;
}

enum store_result store_sms_add(struct store *s, const char *user_id, const struct store_sms_new *in,
                                long long *n_out)
{
    FAIL_POINT(s, "store_sms_add");
    struct store_saved saved;
    enum store_result r = store_sms_save(s, user_id, in, &saved);
    if (r == STORE_OK)
        *n_out = saved.n;
    return r;
}

static struct f_item *find_item(struct store *s, const char *user_id, enum store_kind kind, long long n)
{
    for (size_t i = 0; i < s->nitems; i++)
        if (s->items[i].kind == kind && s->items[i].n == n && strcmp(s->items[i].user, user_id) == 0)
            return &s->items[i];
    return NULL;
}

enum store_result store_sms_get(struct store *s, const char *user_id, long long n, struct store_sms *out)
{
    FAIL_POINT(s, "store_sms_get");
    struct f_item *it = find_item(s, user_id, STORE_SMS, n);
    if (it == NULL)
        return STORE_NOT_FOUND;
    memset(out, 0, sizeof *out);
    out->n = n;
    out->peer = xstrdup(it->sms.peer);
    out->body = xmemdup0(it->sms.body, it->sms.body_len);
    out->body_len = it->sms.body_len;
    out->type = it->sms.type;
    out->phone = xstrdup(it->sms.phone);
    out->saved_at = it->at;
    out->size_bytes = it->size;
    snprintf(out->source, sizeof out->source, "sms");
    return STORE_OK;
}

void store_sms_cleanup(struct store_sms *m)
{
    free(m->peer);
    free(m->body);
    free(m->phone);
    m->peer = m->body = m->phone = NULL;
}

void store_sms_list_cleanup(struct store_sms_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        store_sms_cleanup(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* Every word of search occurs in one of the fields (case-insensitive). */
static bool matches(const char *search, const char *f1, const char *f2, const char *f3)
{
    if (search == NULL)
        return true;
    char *copy = xstrdup(search), *save = NULL;
    bool ok = true;
    for (char *w = strtok_r(copy, " ", &save); w && ok; w = strtok_r(NULL, " ", &save))
        ok = strcasestr(f1, w) || strcasestr(f2, w) || (f3 && strcasestr(f3, w));
    free(copy);
    return ok;
}

/* The real store's rule for a search (store.h struct store_page). */
static bool search_ok(const char *search)
{
    if (search == NULL)
        return true;
    size_t len = strlen(search);
    if (len > LIMIT_SEARCH_BYTES_MAX || !utf8_valid(search, len))
        return false;
    int words = 0;
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n", search[i]) && (i == 0 || strchr(" \t\r\n", search[i - 1])))
            words++;
    return words <= LIMIT_SEARCH_WORDS_MAX;
}

/* One page of the user's items of kind, newest first, each as its store_*_get
 * gives it: an array of struct store_sms, store_mms or store_contact for
 * the caller; NULL when the real store would refuse the search. */
static void *list_page(struct store *s, const char *user_id, enum store_kind kind,
                       const struct store_page *pg, size_t *count, bool *more)
{
    if (!search_ok(pg->search))
        return NULL;
    size_t size = kind == STORE_SMS ? sizeof(struct store_sms)
                  : kind == STORE_MMS ? sizeof(struct store_mms) : sizeof(struct store_contact);
    void *v = xcalloc(s->nitems + 1, size);
    size_t n = 0;
    *more = false;
    for (size_t i = s->nitems; i-- > 0;) {
        struct f_item *it = &s->items[i];
        if (it->kind != kind || strcmp(it->user, user_id) != 0)
            continue;
        if (pg->before_n && it->n >= pg->before_n)
            continue;
        /* the real store's columns (struct store_page) */
        bool match = kind == STORE_SMS   ? matches(pg->search, it->sms.body, it->sms.peer, NULL)
                     : kind == STORE_MMS ? matches(pg->search, it->mms.subject, it->mms.peer, it->mms.text)
                                         : matches(pg->search, it->contact.name, it->contact.number, NULL);
        if (!match)
            continue;
        if (n == (size_t)pg->limit) {
            *more = true;
            break;
        }
        void *e = (char *)v + n++ * size;
        if (kind == STORE_SMS)
            store_sms_get(s, user_id, it->n, e);
        else if (kind == STORE_MMS)
            store_mms_get(s, user_id, it->n, e);
        else
            store_contact_get(s, user_id, it->n, e);
    }
    *count = n;
    s->listed += n;
    return v;
}

size_t fake_store_listed(struct store *s) { return s->listed; }

/* The first `chars` characters of t (UTF-8), newly allocated. */
static char *first_chars(const char *t, int chars)
{
    size_t i = 0, len = strlen(t);
    for (int k = 0; k < chars && i < len; k++) {
        uint32_t cp;
        size_t n = utf8_decode(t + i, len - i, &cp);
        i += n ? n : 1;
    }
    return xstrndup(t, i);
}

enum store_result store_lines_list(struct store *s, const char *user_id, enum store_kind kind,
                                   const struct store_page *page, int chars, struct store_line_list *out)
{
    FAIL_POINT(s, "store_lines_list");
    if ((kind != STORE_SMS && kind != STORE_MMS) || chars < 1)
        return STORE_INVALID;
    size_t n;
    bool more;
    void *v = list_page(s, user_id, kind, page, &n, &more);
    if (v == NULL)
        return STORE_INVALID;
    struct store_line *lines = xcalloc(n + 1, sizeof *lines);
    for (size_t i = 0; i < n; i++) {
        struct store_line *l = &lines[i];
        if (kind == STORE_SMS) {
            struct store_sms *m = (struct store_sms *)v + i;
            *l = (struct store_line){ .n = m->n, .sent_at = m->sent_at, .saved_at = m->saved_at,
                                      .peer = xstrdup(m->peer), .text = first_chars(m->body, chars + 1) };
            store_sms_cleanup(m);
        } else {
            struct store_mms *m = (struct store_mms *)v + i;
            *l = (struct store_line){ .n = m->n, .sent_at = m->sent_at, .saved_at = m->saved_at,
                                      .peer = xstrdup(m->peer),
                                      .text = first_chars(m->subject[0] ? m->subject : m->text, chars + 1) };
            store_mms_cleanup(m);
        }
    }
    free(v);
    *out = (struct store_line_list){ .items = lines, .count = n, .more = more };
    return STORE_OK;
}

void store_line_list_cleanup(struct store_line_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].peer);
        free(l->items[i].text);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

enum store_result store_sms_list(struct store *s, const char *user_id, const struct store_page *page,
                                 struct store_sms_list *out)
{
    FAIL_POINT(s, "store_sms_list");
    size_t n;
    bool more;
    struct store_sms *v = list_page(s, user_id, STORE_SMS, page, &n, &more);
    if (v == NULL)
        return STORE_INVALID;
    *out = (struct store_sms_list){ .items = v, .count = n, .more = more };
    return STORE_OK;
}

long long fake_store_add_mms(struct store *s, const char *user_id, const char *peer,
                             const char *subject, const char *text)
{
    struct f_user *u = user_by_id(s, user_id);
    struct f_item *it = u ? new_item(s, u, STORE_MMS, (long long)(strlen(text) + strlen(subject))) : NULL;
    if (it == NULL)
        return 0;
    it->mms.peer = xstrdup(peer);
    it->mms.subject = xstrdup(subject);
    it->mms.text = xstrdup(text);
    return it->n;
}

enum store_result store_mms_get(struct store *s, const char *user_id, long long n, struct store_mms *out)
{
    FAIL_POINT(s, "store_mms_get");
    struct f_item *it = find_item(s, user_id, STORE_MMS, n);
    if (it == NULL)
        return STORE_NOT_FOUND;
    memset(out, 0, sizeof *out);
    out->n = n;
    out->peer = xstrdup(it->mms.peer);
    out->subject = xstrdup(it->mms.subject);
    out->text = xstrdup(it->mms.text);
    out->saved_at = it->at;
    out->size_bytes = it->size;
    out->nparts = 1;
    return STORE_OK;
}

void store_mms_cleanup(struct store_mms *m)
{
    free(m->peer);
    free(m->subject);
    free(m->text);
    m->peer = m->subject = m->text = NULL;
}

void store_mms_list_cleanup(struct store_mms_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        store_mms_cleanup(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

enum store_result store_mms_list(struct store *s, const char *user_id, const struct store_page *page,
                                 struct store_mms_list *out)
{
    FAIL_POINT(s, "store_mms_list");
    size_t n;
    bool more;
    struct store_mms *v = list_page(s, user_id, STORE_MMS, page, &n, &more);
    if (v == NULL)
        return STORE_INVALID;
    *out = (struct store_mms_list){ .items = v, .count = n, .more = more };
    return STORE_OK;
}

enum store_result store_contact_add(struct store *s, const char *user_id,
                                    const struct store_contact_new *in, long long *n_out)
{
    FAIL_POINT(s, "store_contact_add");
    struct f_user *u = user_by_id(s, user_id);
    if (u == NULL)
        return STORE_NOT_FOUND;
    if (!in->name[0] || strlen(in->name) > LIMIT_TEXT_FIELD_MAX || !msisdn_is_contact(in->number))
        return STORE_INVALID;
    struct f_item *it = new_item(s, u, STORE_CONTACT, (long long)in->vcard_len);
    if (it == NULL)
        return STORE_NO_SPACE;
    it->contact.name = xstrdup(in->name);
    it->contact.number = xstrdup(in->number);
    it->contact.vcard = xmemdup0(in->vcard, in->vcard_len);
    it->contact.vcard_len = in->vcard_len;
    it->contact.types = xstrdup(in->tel_types ? in->tel_types : "");
    it->contact.uid = xstrdup(in->uid ? in->uid : "");
    *n_out = it->n;
    return STORE_OK;
}

enum store_result store_contact_add_card(struct store *s, const char *user_id, const struct vcard_card *card,
                                         const char *source, bool skip_duplicate, struct store_card_added *out)
{
    FAIL_POINT(s, "store_contact_add_card");
    size_t order[VCARD_MAX_TELS];
    size_t k = store_card_order(card, order);   /* the store's own rule */
    struct f_user *u = user_by_id(s, user_id);
    if (u == NULL)
        return STORE_NOT_FOUND;
    if (k == 0 || !card->name[0] || strlen(card->name) > LIMIT_TEXT_FIELD_MAX || strpbrk(card->name, "\r\n") ||
        card->text_len == 0 || card->text_len > LIMIT_VCARD_MAX || !utf8_valid(card->text, card->text_len))
        return STORE_INVALID;
    (void)source;
    (void)skip_duplicate;   /* the engine never skips duplicates (the web import does) */
    /* all rows or none, charged together (the allocation grows once, for their sum) */
    if (charge(s, u, (long long)(k * card->text_len)) != STORE_OK)
        return STORE_NO_SPACE;
    long long first = 0, last = 0;
    for (size_t i = 0; i < k; i++) {
        struct f_item *it = append_item(s, u, STORE_CONTACT, (long long)card->text_len);
        it->contact.name = xstrdup(card->name);
        it->contact.number = xstrdup(card->tels[order[i]].number);
        it->contact.types = xstrdup(card->tels[order[i]].types);
        it->contact.uid = xstrdup(card->uid);
        it->contact.vcard = xmemdup0(card->text, card->text_len);
        it->contact.vcard_len = card->text_len;
        if (i == 0)
            first = it->n;
        last = it->n;
    }
    *out = (struct store_card_added){ first, last, k };
    return STORE_OK;
}

enum store_result store_contact_get(struct store *s, const char *user_id, long long n,
                                    struct store_contact *out)
{
    FAIL_POINT(s, "store_contact_get");
    struct f_item *it = find_item(s, user_id, STORE_CONTACT, n);
    if (it == NULL)
        return STORE_NOT_FOUND;
    memset(out, 0, sizeof *out);
    out->n = n;
    out->name = xstrdup(it->contact.name);
    out->number = xstrdup(it->contact.number);
    out->vcard = xmemdup0(it->contact.vcard, it->contact.vcard_len);
    out->vcard_len = it->contact.vcard_len;
    out->tel_types = xstrdup(it->contact.types ? it->contact.types : "");
    out->uid = xstrdup(it->contact.uid ? it->contact.uid : "");
    out->uploaded_at = it->at;
    out->size_bytes = it->size;
    out->current = true;
    for (size_t i = 0; i < s->nitems; i++) {   /* a newer row of the same person wins */
        struct f_item *o = &s->items[i];
        if (o->kind == STORE_CONTACT && o->n > n && strcmp(o->user, user_id) == 0 && same_person(o, it))
            out->current = false;
    }
    return STORE_OK;
}

enum store_result store_contact_person(struct store *s, const char *user_id, long long n,
                                       struct store_person *out)
{
    FAIL_POINT(s, "store_contact_person");
    struct f_item *it = find_item(s, user_id, STORE_CONTACT, n);
    if (it == NULL)
        return STORE_NOT_FOUND;
    struct store_contact *rows = xcalloc(s->nitems, sizeof *rows);
    size_t k = 0;
    for (size_t i = 0; i < s->nitems; i++) {   /* items are kept in n order */
        struct f_item *o = &s->items[i];
        if (o->kind == STORE_CONTACT && strcmp(o->user, user_id) == 0 && same_person(o, it))
            store_contact_get(s, user_id, o->n, &rows[k++]);
    }
    store_person_build(rows, k, out);
    free(rows);
    return STORE_OK;
}

void store_contact_list_cleanup(struct store_contact_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        store_contact_cleanup(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

enum store_result store_contact_list(struct store *s, const char *user_id,
                                     const struct store_page *page, struct store_contact_list *out)
{
    FAIL_POINT(s, "store_contact_list");
    size_t n;
    bool more;
    struct store_contact *v = list_page(s, user_id, STORE_CONTACT, page, &n, &more);
    if (v == NULL)
        return STORE_INVALID;
    *out = (struct store_contact_list){ .items = v, .count = n, .more = more };
    return STORE_OK;
}

enum store_result store_items_delete(struct store *s, const char *user_id, enum store_kind kind,
                                     const long long *ns, size_t count,
                                     long long *deleted_out, long long *freed_bytes_out)
{
    FAIL_POINT(s, "store_items_delete");
    struct f_user *u = user_by_id(s, user_id);
    long long d = 0, f = 0;
    if (u == NULL)
        return STORE_NOT_FOUND;
    for (size_t k = 0; k < count; k++) {
        struct f_item *it = find_item(s, user_id, kind, ns[k]);
        if (it == NULL)
            continue;
        d++;
        f += it->size;
        u->used -= it->size;
        item_free_fields(it);
        size_t at = (size_t)(it - s->items);   /* keep upload order for paging */
        memmove(it, it + 1, (s->nitems - at - 1) * sizeof *it);
        s->nitems--;
    }
    *deleted_out = d;
    *freed_bytes_out = f;
    return STORE_OK;
}

enum store_result store_items_above(struct store *s, const char *user_id, enum store_kind kind, long long n,
                                    long long top, long long *count_out)
{
    FAIL_POINT(s, "store_items_above");
    if (user_by_id(s, user_id) == NULL)
        return STORE_NOT_FOUND;
    long long count = 0, highest = 0;
    for (size_t i = 0; i < s->nitems; i++) {
        const struct f_item *it = &s->items[i];
        if (it->kind != kind || strcmp(it->user, user_id) != 0)
            continue;
        count += it->n > n;
        highest = it->n > highest ? it->n : highest;
    }
    *count_out = highest == top ? count : -1;
    return STORE_OK;
}

bool fake_store_consistent(struct store *s)
{
    for (size_t u = 0; u < s->nusers; u++) {
        long long sum = 0;
        for (size_t i = 0; i < s->nitems; i++) {
            struct f_item *it = &s->items[i];
            if (strcmp(it->user, s->users[u].id) != 0)
                continue;
            sum += it->size;
            if (it->text_valid)
                continue;   /* an item's text is written once: checked once (the fuzzers call this often) */
            if (it->kind == STORE_SMS && (it->sms.body_len == 0 || !utf8_valid(it->sms.body, it->sms.body_len)))
                return false;
            if (it->kind == STORE_CONTACT && (!utf8_valid(it->contact.name, strlen(it->contact.name)) ||
                                              !utf8_valid(it->contact.vcard, it->contact.vcard_len)))
                return false;
            it->text_valid = true;
        }
        if (sum != s->users[u].used || s->users[u].used > s->users[u].allocated)
            return false;
    }
    return true;
}

enum store_result store_usage_get(struct store *s, const char *user_id, struct store_usage *out)
{
    FAIL_POINT(s, "store_usage_get");
    struct f_user *u = user_by_id(s, user_id);
    if (u == NULL)
        return STORE_NOT_FOUND;
    memset(out, 0, sizeof *out);
    out->allocated_bytes = u->allocated;
    out->used_bytes = u->used;
    out->sms_count = (long long)fake_store_count(s, user_id, STORE_SMS);
    out->mms_count = (long long)fake_store_count(s, user_id, STORE_MMS);
    out->contact_count = (long long)fake_store_count(s, user_id, STORE_CONTACT);
    for (size_t i = 0; i < s->nitems; i++) {   /* people: rows with no earlier row of their person */
        struct f_item *it = &s->items[i];
        bool first = it->kind == STORE_CONTACT && strcmp(it->user, user_id) == 0;
        for (size_t k = 0; k < i && first; k++)
            first = !(s->items[k].kind == STORE_CONTACT && strcmp(s->items[k].user, user_id) == 0 &&
                      same_person(&s->items[k], it));
        out->person_count += first;
    }
    return STORE_OK;
}
