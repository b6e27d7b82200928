/*
 * transfer — the Upload (import a file), Download (export to the PC) and
 * "send to my phone" handlers (issue 5).
 *
 * Import reads the file twice: first to check it is well formed (a broken
 * file stores nothing and says where it broke), then to store it in
 * transactions of IMPORT_BATCH items with skip_duplicate, so importing the
 * same file again adds nothing. Items go to the store a batch of one kind at
 * a time (store_sms_add_many, store_mms_add_many, store_contact_add_many,
 * store_contact_add_cards: one row lock, one duplicate query, one insert per
 * table; each item all or nothing), an item of another kind storing the
 * batch before it, so that numbers and space follow the file's order. The
 * file is not copied: both passes read the request body (rewritten once,
 * see import_xml.h). A refusal for space stops the import; what was stored
 * before it stays and the answer says so. A vCard is archived whole, the
 * way a card sent from a phone is (store_contact_add_cards stores each as
 * store_contact_add_card does). Export pages through the store with
 * the keyset API; a card of several numbers is written once. Sending queues
 * a delivery request per item to every phone bound to the user, in one
 * transaction: what the phone receives is rendered when it is sent, by the
 * sender (core_render in vaultbox), not here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "export.h"
#include "http.h"
#include "import.h"
#include "import_csv.h"
#include "import_vcard.h"
#include "import_xml.h"
#include "items.h"
#include "json.h"
#include "log.h"
#include "routes.h"
#include "vcard.h"

#define IMPORT_BATCH 500
#define IMPORT_ANALYZE_MIN 10000   /* an import adding this many refreshes the planner's statistics */

/* ---- import ---- */

/* Items waiting to be stored together, all of one kind (an item of another
 * kind stores them first, so that numbers and space follow the file's
 * order); their strings and bytes are copies the batch owns. */
struct pending {
    enum store_kind kind;
    bool vcards;       /* STORE_CONTACT: vCard cards in cards[] (else CSV rows in contacts[]) */
    size_t count;
    long long rows;    /* items they will count as: a card counts its numbers */
    long long bytes;   /* MMS: the bytes of their parts */
    struct store_sms_new sms[IMPORT_BATCH];
    struct store_mms_new mms[LIMIT_MMS_BATCH_MAX];
    struct store_contact_new contacts[IMPORT_BATCH];
    struct vcard_card cards[IMPORT_BATCH];
};

struct import_ctx {
    struct store *store;
    const char *user_id;
    long long added, duplicates, refused_items;
    long long in_batch;
    long long added_kind[3];  /* by enum store_kind: which tables grew */
    enum store_result stopped_by;   /* what stopped the import; STORE_OK while it goes on */
    struct pending p;
};

static void count_one(struct import_ctx *c, enum store_kind k, enum store_result r)
{
    switch (r) {
    case STORE_OK: c->added++; c->added_kind[k]++; break;
    case STORE_CONFLICT: c->duplicates++; break;
    case STORE_INVALID: c->refused_items++; break;
    default: c->stopped_by = r; return;
    }
    c->in_batch++;
}

static void free_mms(struct store_mms_new *m)
{
    for (size_t i = 0; i < m->nparts; i++) {
        free((char *)m->parts[i].content_type);
        free((char *)m->parts[i].name);
        free((unsigned char *)m->parts[i].data);
        free((char *)m->parts[i].content_id);
    }
    free((struct store_mms_part_new *)m->parts);
    free((char *)m->peer);
    free((char *)m->subject);
}

static void free_card(struct vcard_card *card)
{
    for (size_t i = 0; i < card->ntels; i++) {
        free((char *)card->tels[i].number);
        free((char *)card->tels[i].types);
    }
    free((struct vcard_tel *)card->tels);
    free((char *)card->name);
    free((char *)card->uid);
    free((char *)card->text);
}

static void drop_pending(struct import_ctx *c)
{
    struct pending *p = &c->p;
    for (size_t i = 0; i < p->count; i++) {
        switch (p->kind) {
        case STORE_SMS:
            free((char *)p->sms[i].peer);
            free((char *)p->sms[i].body);
            break;
        case STORE_MMS: free_mms(&p->mms[i]); break;
        case STORE_CONTACT:
            if (p->vcards) {
                free_card(&p->cards[i]);
            } else {
                free((char *)p->contacts[i].name);
                free((char *)p->contacts[i].number);
                free((char *)p->contacts[i].vcard);
            }
            break;
        }
    }
    p->count = 0;
    p->rows = p->bytes = 0;
}

/* The import's next step: on while nothing stopped it (c->stopped_by). */
static enum import_next next_step(const struct import_ctx *c)
{
    return c->stopped_by == STORE_OK ? IMPORT_GO_ON : IMPORT_STOP;
}

/* Store the waiting items in one call and count them, in order, up to the
 * first refusal: it stops the import. */
static enum import_next flush_pending(struct import_ctx *c)
{
    struct pending *p = &c->p;
    if (p->count == 0)
        return next_step(c);
    enum store_result results[IMPORT_BATCH];
    struct store_card_added added[IMPORT_BATCH];
    bool cards = p->kind == STORE_CONTACT && p->vcards;
    enum store_result r;
    if (p->kind == STORE_SMS)
        r = store_sms_add_many(c->store, c->user_id, p->sms, p->count, results, NULL);
    else if (p->kind == STORE_MMS)
        r = store_mms_add_many(c->store, c->user_id, p->mms, p->count, results, NULL);
    else if (!cards)
        r = store_contact_add_many(c->store, c->user_id, p->contacts, p->count, results, NULL);
    else
        r = store_contact_add_cards(c->store, c->user_id, p->cards, p->count, "import", true, results, added);
    if (r == STORE_OK || r == STORE_NO_SPACE) {
        for (size_t i = 0; i < p->count && c->stopped_by == STORE_OK; i++) {
            count_one(c, p->kind, results[i]);
            if (cards && results[i] == STORE_OK && added[i].count > 1) {   /* the other rows of the card */
                long long more = (long long)added[i].count - 1;
                c->added += more;
                c->added_kind[STORE_CONTACT] += more;
                c->in_batch += more;
            }
        }
    } else {
        c->stopped_by = r;
    }
    drop_pending(c);
    return next_step(c);
}

/* Commit every IMPORT_BATCH items: what was stored before a refusal stays. */
static enum import_next maybe_commit(struct import_ctx *c)
{
    if (c->stopped_by != STORE_OK || c->in_batch < IMPORT_BATCH)
        return next_step(c);
    enum store_result cr = store_tx_commit(c->store);
    if (cr == STORE_OK)
        cr = store_tx_begin(c->store);
    if (cr != STORE_OK)
        c->stopped_by = cr;
    else
        c->in_batch = 0;
    return next_step(c);
}

/* Room for one more item of kind (card: a vCard card, not a CSV row);
 * false when the import stops. */
static bool make_room(struct import_ctx *c, enum store_kind kind, bool card)
{
    struct pending *p = &c->p;
    if (p->count > 0 && (p->kind != kind || p->vcards != card) &&
        (flush_pending(c) == IMPORT_STOP || maybe_commit(c) == IMPORT_STOP))
        return false;
    p->kind = kind;
    p->vcards = card;
    return true;
}

/* After an item was added: a full batch, or one that reaches the commit
 * point, goes now. */
static enum import_next added_one(struct import_ctx *c, long long rows, bool full)
{
    c->p.count++;
    c->p.rows += rows;
    if (!full && c->in_batch + c->p.rows < IMPORT_BATCH)
        return IMPORT_GO_ON;
    if (flush_pending(c) == IMPORT_STOP)
        return IMPORT_STOP;
    return maybe_commit(c);
}

static const char *dup_or_null(const char *v)
{
    return v ? xstrdup(v) : NULL;
}

static enum import_next sink_sms(void *arg, const struct store_sms_new *m)
{
    struct import_ctx *c = arg;
    if (!make_room(c, STORE_SMS, false))
        return IMPORT_STOP;
    struct store_sms_new *p = &c->p.sms[c->p.count];
    *p = *m;
    p->peer = dup_or_null(m->peer);
    p->body = xmemdup0(m->body, m->body_len);
    return added_one(c, 1, c->p.count + 1 == IMPORT_BATCH);
}

static enum import_next sink_mms(void *arg, const struct store_mms_new *m)
{
    struct import_ctx *c = arg;
    if (!make_room(c, STORE_MMS, false))
        return IMPORT_STOP;
    struct store_mms_new *p = &c->p.mms[c->p.count];
    *p = *m;
    p->peer = dup_or_null(m->peer);
    p->subject = dup_or_null(m->subject);
    struct store_mms_part_new *parts = xcalloc(m->nparts ? m->nparts : 1, sizeof *parts);
    for (size_t i = 0; i < m->nparts; i++) {
        const struct store_mms_part_new *in = &m->parts[i];
        parts[i] = (struct store_mms_part_new){ dup_or_null(in->content_type), dup_or_null(in->name),
                                                in->len ? (unsigned char *)xmemdup0(in->data, in->len) : NULL, in->len,
                                                dup_or_null(in->content_id) };
        c->p.bytes += (long long)in->len;
    }
    p->parts = parts;
    /* the store takes at most LIMIT_MMS_BATCH_BYTES: stop short of it by
     * one message's most */
    return added_one(c, 1, c->p.count + 1 == LIMIT_MMS_BATCH_MAX ||
                               c->p.bytes >= LIMIT_MMS_BATCH_BYTES - LIMIT_MMS_MAX);
}

static enum import_next sink_contact(void *arg, const struct store_contact_new *in)
{
    struct import_ctx *c = arg;
    if (!make_room(c, STORE_CONTACT, false))
        return IMPORT_STOP;
    struct store_contact_new *p = &c->p.contacts[c->p.count];
    *p = *in;
    p->name = xstrdup(in->name);
    p->number = xstrdup(in->number);
    p->vcard = xmemdup0(in->vcard, in->vcard_len);
    return added_one(c, 1, c->p.count + 1 == IMPORT_BATCH);
}

/* A card: its rows count as items (one per number). */
static enum import_next sink_card(void *arg, const struct vcard_card *card)
{
    struct import_ctx *c = arg;
    if (!make_room(c, STORE_CONTACT, true))
        return IMPORT_STOP;
    size_t order[VCARD_MAX_TELS];
    long long rows = (long long)store_card_order(card, order);
    struct vcard_card *p = &c->p.cards[c->p.count];
    *p = *card;
    p->name = xstrdup(card->name);
    p->uid = xstrdup(card->uid ? card->uid : "");
    p->text = xmemdup0(card->text, card->text_len);
    struct vcard_tel *tels = xcalloc(card->ntels ? card->ntels : 1, sizeof *tels);
    for (size_t i = 0; i < card->ntels; i++)
        tels[i] = (struct vcard_tel){ xstrdup(card->tels[i].number), xstrdup(card->tels[i].types),
                                      card->tels[i].pref };
    p->tels = tels;
    return added_one(c, rows > 0 ? rows : 1, c->p.count + 1 == IMPORT_BATCH);
}

static enum import_result run_import(enum import_format f, char *data, size_t len, const struct import_sink *sink,
                                     struct import_report *rep)
{
    switch (f) {
    case IMPORT_FORMAT_XML: return import_xml(data, len, sink, rep);
    case IMPORT_FORMAT_VCARD: return import_vcard(data, len, sink, rep);
    default: return import_csv(data, len, sink, rep);
    }
}

void transfer_import(struct http_req *q, struct http_resp *r)
{
    const char *fmt = http_query(q, "format");
    enum import_format f = fmt ? import_format_parse(fmt) : import_detect(q->body, q->body_len);
    struct import_report rep;
    struct import_sink check = { 0 };
    struct import_ctx *c = NULL;
    if (f == IMPORT_FORMAT_UNKNOWN) {
        http_error(r, 400, "invalid", "Unknown format: use xml, vcard or csv.");
        return;
    }
    if (q->body_len == 0) {
        http_error(r, 400, "invalid", "The file is empty.");
        return;
    }
    c = xcalloc(1, sizeof *c);   /* holds a batch of items: not on the stack */
    c->store = q->store;
    c->user_id = q->user_id;
    c->stopped_by = STORE_OK;
    struct import_sink store_sink = { sink_sms, sink_mms, sink_contact, sink_card, c };
    /* Both passes read the request body itself, rewritten once: no copy of
     * the file is made (the rewrite is idempotent, see import_xml.h). */
    size_t len = q->body_len;
    if (f == IMPORT_FORMAT_XML)
        len = import_xml_fix_surrogates(q->body, len);
    if (run_import(f, q->body, len, &check, &rep) != IMPORT_OK) {
        json_t *j = json_pack("{s:s, s:s}", "error", "malformed", "message", rep.message);
        http_json(r, 400, j);
        goto out;
    }
    long long skipped = rep.skipped;
    enum store_result res = store_tx_begin(q->store);
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    enum import_result ir = run_import(f, q->body, len, &store_sink, &rep);
    if (ir == IMPORT_OK)
        (void)flush_pending(c);   /* the last items of the file */
    drop_pending(c);
    if (c->stopped_by == STORE_OK || c->stopped_by == STORE_NO_SPACE) {
        res = store_tx_commit(q->store);
        if (res != STORE_OK)
            c->stopped_by = res;
    } else {
        store_tx_rollback(q->store);
        c->added -= c->in_batch;   /* the open batch is undone */
    }
    /* a fresh bulk load is planned with stale statistics until autovacuum
     * comes by: a search of the archive just imported would read all of it */
    for (int k = STORE_SMS; k <= STORE_CONTACT; k++)
        if (c->added_kind[k] >= IMPORT_ANALYZE_MIN &&
            store_items_analyze(q->store, (enum store_kind)k) != STORE_OK)
            log_warn("web: import-analyze failed kind=%d", k);
    log_info("web: import user=%s format=%d added=%lld duplicates=%lld skipped=%lld stop=%s", q->user_id, (int)f,
             c->added, c->duplicates, skipped + c->refused_items, store_result_name(c->stopped_by));
    enum store_result ur;
    json_t *usage = items_usage_json(q->store, q->user_id, &ur);
    json_t *j = json_pack("{s:I, s:I, s:I, s:o}", "imported", (json_int_t)c->added, "duplicates",
                          (json_int_t)c->duplicates, "skipped", (json_int_t)(skipped + c->refused_items), "usage",
                          usage ? usage : json_null());
    if (ir == IMPORT_OK && c->stopped_by == STORE_OK)
        http_json(r, 200, j);
    else   /* what was stored before the refusal stays, and the answer counts it */
        http_store_error_say(r, c->stopped_by == STORE_OK ? STORE_ERR : c->stopped_by, NULL, j);
out:
    free(c);
}

/* ---- export ---- */

enum kind_format { KF_SMS_XML, KF_SMS_CSV, KF_MMS_XML, KF_CONTACT_VCARD, KF_CONTACT_CSV };

/* The export a kind and a format name; false for a pair there is none of. */
static bool export_choice(const char *kind, const char *format, enum kind_format *out, enum store_kind *sk)
{
    static const struct {
        const char *kind, *format;
        enum kind_format kf;
        enum store_kind sk;
    } table[] = {
        { "sms", "xml", KF_SMS_XML, STORE_SMS },
        { "sms", "csv", KF_SMS_CSV, STORE_SMS },
        { "mms", "xml", KF_MMS_XML, STORE_MMS },
        { "contacts", "vcard", KF_CONTACT_VCARD, STORE_CONTACT },
        { "contacts", "csv", KF_CONTACT_CSV, STORE_CONTACT },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(kind, table[i].kind) == 0 && strcmp(format, table[i].format) == 0) {
            *out = table[i].kf;
            *sk = table[i].sk;
            return true;
        }
    return false;
}

static enum store_result put_sms(struct buf *b, enum kind_format kf, const struct store_sms *m)
{
    if (kf == KF_SMS_XML)
        export_xml_sms(b, m);
    else
        export_csv_sms(b, m);
    return STORE_OK;
}

static enum store_result put_mms(struct store *s, const char *uid, struct buf *b, const struct store_mms *m)
{
    struct store_mms_part *parts = NULL;
    size_t n = 0;
    enum store_result res = store_mms_parts(s, uid, m->n, &parts, &n);
    if (res == STORE_OK)
        export_xml_mms(b, m, parts, n);
    store_mms_parts_free(parts, n);
    return res;
}

/* The card written last: the rows of one card (one per number, one upload)
 * come one after the other, and a vCard export writes the card once. */
struct last_card {
    char *vcard;
    time_t uploaded_at;
};

static enum store_result put_contact(struct buf *b, enum kind_format kf, const struct store_contact *c,
                                     struct last_card *last)
{
    if (kf != KF_CONTACT_VCARD) {
        export_csv_contact(b, c);
        return STORE_OK;
    }
    if (last->vcard && last->uploaded_at == c->uploaded_at && strcmp(last->vcard, c->vcard) == 0)
        return STORE_OK;   /* another number of the card just written */
    export_vcard_contact(b, c);
    free(last->vcard);
    last->vcard = xstrdup(c->vcard);
    last->uploaded_at = c->uploaded_at;
    return STORE_OK;
}

/* Selected items one by one; missing numbers are skipped. */
static enum store_result export_some(struct store *s, const char *uid, enum kind_format kf, const long long *ns,
                                     size_t count, struct buf *b, long long *written)
{
    enum store_result res = STORE_OK;
    struct last_card last = { 0 };
    for (size_t i = 0; i < count && res == STORE_OK; i++) {
        if (kf == KF_SMS_XML || kf == KF_SMS_CSV) {
            struct store_sms m = { 0 };
            if ((res = store_sms_get(s, uid, ns[i], &m)) == STORE_OK)
                res = put_sms(b, kf, &m);
            store_sms_cleanup(&m);
        } else if (kf == KF_MMS_XML) {
            struct store_mms m = { 0 };
            if ((res = store_mms_get(s, uid, ns[i], &m)) == STORE_OK)
                res = put_mms(s, uid, b, &m);
            store_mms_cleanup(&m);
        } else {
            struct store_contact c = { 0 };
            if ((res = store_contact_get(s, uid, ns[i], &c)) == STORE_OK)
                res = put_contact(b, kf, &c, &last);
            store_contact_cleanup(&c);
        }
        if (res == STORE_OK)
            (*written)++;
        else if (res == STORE_NOT_FOUND)
            res = STORE_OK;
    }
    free(last.vcard);
    return res;
}

/* Everything, newest first, a page of 500 at a time. */
static enum store_result export_all(struct store *s, const char *uid, enum kind_format kf, struct buf *b,
                                    long long *written)
{
    struct store_page page = { .before_n = 0, .limit = 500 };
    enum store_result res = STORE_OK;
    struct last_card last = { 0 };
    bool more = true;
    while (more && res == STORE_OK && *written < LIMIT_EXPORT_MAX) {
        if (kf == KF_SMS_XML || kf == KF_SMS_CSV) {
            struct store_sms_list l = { 0 };
            if ((res = store_sms_list(s, uid, &page, &l)) == STORE_OK) {
                for (size_t i = 0; i < l.count; i++)
                    put_sms(b, kf, &l.items[i]);
                *written += (long long)l.count;
                more = l.more && l.count;
                if (l.count)
                    page.before_n = l.items[l.count - 1].n;
            }
            store_sms_list_cleanup(&l);
        } else if (kf == KF_MMS_XML) {
            struct store_mms_list l = { 0 };
            if ((res = store_mms_list(s, uid, &page, &l)) == STORE_OK) {
                for (size_t i = 0; i < l.count && res == STORE_OK; i++)
                    res = put_mms(s, uid, b, &l.items[i]);
                *written += (long long)l.count;
                more = l.more && l.count;
                if (l.count)
                    page.before_n = l.items[l.count - 1].n;
            }
            store_mms_list_cleanup(&l);
        } else {
            struct store_contact_list l = { 0 };
            if ((res = store_contact_list(s, uid, &page, &l)) == STORE_OK) {
                for (size_t i = 0; i < l.count; i++)
                    put_contact(b, kf, &l.items[i], &last);
                *written += (long long)l.count;
                more = l.more && l.count;
                if (l.count)
                    page.before_n = l.items[l.count - 1].n;
            }
            store_contact_list_cleanup(&l);
        }
    }
    free(last.vcard);
    return res;
}

void transfer_export(struct http_req *q, struct http_resp *r)
{
    char err[160];
    const char *kind, *format;
    long long *ns = NULL, written = 0;
    size_t count = 0;
    enum kind_format kf;
    enum store_kind sk;
    struct buf items, doc;
    buf_init(&items);
    buf_init(&doc);
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!json_field_str(in, "kind", true, 16, &kind, NULL, err, sizeof err) ||
        !json_field_str(in, "format", true, 16, &format, NULL, err, sizeof err)) {
        http_error(r, 400, "invalid", err);
        goto out;
    }
    if (!export_choice(kind, format, &kf, &sk)) {
        http_error(r, 400, "invalid", "Export SMS as xml or csv, MMS as xml, contacts as vcard or csv.");
        goto out;
    }
    bool all = json_object_get(in, "ns") == NULL || json_is_null(json_object_get(in, "ns"));
    if (!all && !json_field_ns(in, "ns", LIMIT_EXPORT_MAX, &ns, &count, err, sizeof err)) {
        http_error(r, 400, "invalid", err);
        goto out;
    }
    if (kf == KF_SMS_CSV)
        export_csv_sms_header(&items);
    else if (kf == KF_CONTACT_CSV)
        export_csv_contact_header(&items);
    enum store_result res = all ? export_all(q->store, q->user_id, kf, &items, &written)
                                : export_some(q->store, q->user_id, kf, ns, count, &items, &written);
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    const char *ext = "csv", *type = "text/csv; charset=utf-8";
    if (kf == KF_SMS_XML || kf == KF_MMS_XML) {
        export_xml_document(&doc, &items, written);
        ext = "xml";
        type = "application/xml; charset=utf-8";
    } else {
        buf_append(&doc, items.data, items.len);
        if (kf == KF_CONTACT_VCARD) {
            ext = "vcf";
            type = "text/vcard; charset=utf-8";
        }
    }
    char day[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(day, sizeof day, "%Y%m%d", &tm);
    char *disp = xasprintf("attachment; filename=\"smsvault-%s-%s.%s\"", kind, day, ext);
    http_header(r, "Content-Disposition", disp);
    free(disp);
    log_info("web: export user=%s kind=%s format=%s count=%lld", q->user_id, kind, format, written);
    size_t len;
    char *data = buf_steal(&doc, &len);
    http_bytes(r, 200, type, data, len);
    r->api = true;
out:
    buf_cleanup(&items);
    buf_cleanup(&doc);
    free(ns);
    json_decref(in);
}

/* ---- send to my phone ---- */

/* A delivery request per item and phone (store_outbox_request_item): the
 * item is rendered when it is sent, by vaultbox's one renderer, as GET's
 * items are. An item that does not exist is a 404 and nothing is queued. */
void transfer_send(struct http_req *q, struct http_resp *r)
{
    char err[160];
    const char *kind;
    long long *ns = NULL, queued = 0;
    size_t count = 0, nphones = 0;
    char **phones = NULL;
    bool in_tx = false;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!json_field_str(in, "kind", true, 16, &kind, NULL, err, sizeof err) ||
        !json_field_ns(in, "ns", LIMIT_SEND_MAX, &ns, &count, err, sizeof err)) {
        http_error(r, 400, "invalid", err);
        goto out;
    }
    enum store_kind k;
    if (strcmp(kind, "sms") == 0)
        k = STORE_SMS;
    else if (strcmp(kind, "mms") == 0)
        k = STORE_MMS;
    else if (strcmp(kind, "contacts") == 0)
        k = STORE_CONTACT;
    else {
        http_error(r, 400, "invalid", "kind is sms, mms or contacts.");
        goto out;
    }
    enum store_result res = store_phone_list(q->store, q->user_id, &phones, &nphones);
    if (res == STORE_OK && nphones == 0) {
        http_error(r, 409, "no_phone", "Link a phone to your account first (Account → Link a phone).");
        goto out;
    }
    if (res == STORE_OK && (res = store_tx_begin(q->store)) == STORE_OK)
        in_tx = true;
    for (size_t i = 0; i < count && res == STORE_OK; i++) {
        for (size_t p = 0; res == STORE_OK && p < nphones; p++) {
            long long id;
            if ((res = store_outbox_request_item(q->store, q->user_id, phones[p], k, ns[i], &id)) == STORE_OK)
                queued++;
        }
    }
    if (in_tx) {
        if (res == STORE_OK)
            res = store_tx_commit(q->store);
        else
            store_tx_rollback(q->store);
    }
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    log_info("web: send to phone user=%s kind=%s queued=%lld", q->user_id, kind, queued);
    json_t *ph = json_array();
    for (size_t p = 0; p < nphones; p++)
        json_array_append_new(ph, json_string(phones[p]));
    http_json(r, 200, json_pack("{s:I, s:o}", "queued", (json_int_t)queued, "phones", ph));
out:
    store_strings_free(phones, nphones);
    free(ns);
    json_decref(in);
}
