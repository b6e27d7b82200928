/*
 * archive — a user's archive to and from files through the store (see
 * archive.h): the import's batches and the export's pages, moved here from
 * web/transfer.c so that vaultctl runs the very same code as the page.
 *
 * Import reads the file twice: first to check it is well formed (a broken
 * file stores nothing and says where it broke), then to store it in
 * transactions of IMPORT_BATCH items with skip_duplicate, so
 * importing the same file again adds nothing. SMS go to the store a batch at
 * a time (store_sms_add_many: one row lock, one duplicate query, one
 * insert), MMS and contacts one by one after the SMS before them. The file
 * is not copied: both passes read the caller's buffer (rewritten once, see
 * import_xml.h). A refusal for space stops the import; what was stored
 * before it stays and the report says so. A vCard is archived whole, the
 * way a card sent from a phone is (store_contact_add_card). Export pages
 * through the store with the keyset API; a card of several numbers is
 * written once.
 */
#include "archive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "export.h"
#include "import_csv.h"
#include "import_vcard.h"
#include "import_xml.h"
#include "limit.h"
#include "log.h"
#include "vcard.h"

#define IMPORT_BATCH 500
#define IMPORT_ANALYZE_MIN 10000   /* an import adding this many refreshes the planner's statistics */

/* ---- import ---- */

struct import_ctx {
    struct store *store;
    const char *user_id;
    long long added, duplicates, refused_items;
    long long in_batch;
    long long added_kind[3];  /* by enum store_kind: which tables grew */
    enum store_result stopped_by;   /* what stopped the import; STORE_OK while it goes on */
    /* SMS waiting to be stored together (store_sms_add_many); peer and body owned */
    struct store_sms_new sms[IMPORT_BATCH];
    size_t nsms;
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

static void drop_pending(struct import_ctx *c)
{
    for (size_t i = 0; i < c->nsms; i++) {
        free((char *)c->sms[i].peer);
        free((char *)c->sms[i].body);
    }
    c->nsms = 0;
}

/* The import's next step: on while nothing stopped it (c->stopped_by). */
static enum import_next next_step(const struct import_ctx *c)
{
    return c->stopped_by == STORE_OK ? IMPORT_GO_ON : IMPORT_STOP;
}

/* Store the waiting SMS in one call. */
static enum import_next flush_sms(struct import_ctx *c)
{
    if (c->nsms == 0)
        return next_step(c);
    enum store_result results[IMPORT_BATCH];
    enum store_result r = store_sms_add_many(c->store, c->user_id, c->sms, c->nsms, results, NULL);
    if (r == STORE_OK || r == STORE_NO_SPACE) {
        /* in order, up to the first refusal: it stops the import */
        for (size_t i = 0; i < c->nsms && c->stopped_by == STORE_OK; i++)
            count_one(c, STORE_SMS, results[i]);
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

/* One item stored on its own (MMS, contacts) is counted, and the batch
 * committed when it is full. The sinks store the SMS before it first, so
 * that numbers and space follow the file's order. */
static enum import_next count_and_maybe_commit(struct import_ctx *c, enum store_kind k, enum store_result r)
{
    count_one(c, k, r);
    return maybe_commit(c);
}

static enum import_next sink_sms(void *arg, const struct store_sms_new *m)
{
    struct import_ctx *c = arg;
    struct store_sms_new *p = &c->sms[c->nsms++];
    *p = *m;
    p->peer = m->peer ? xstrdup(m->peer) : NULL;
    p->body = xmemdup0(m->body, m->body_len);
    /* a full batch, or one that reaches the commit point, goes now */
    if (c->nsms < IMPORT_BATCH && c->in_batch + (long long)c->nsms < IMPORT_BATCH)
        return IMPORT_GO_ON;
    if (flush_sms(c) == IMPORT_STOP)
        return IMPORT_STOP;
    return maybe_commit(c);
}

static enum import_next sink_mms(void *arg, const struct store_mms_new *m)
{
    struct import_ctx *c = arg;
    long long n;
    if (flush_sms(c) == IMPORT_STOP)
        return IMPORT_STOP;
    return count_and_maybe_commit(c, STORE_MMS, store_mms_add(c->store, c->user_id, m, &n));
}

static enum import_next sink_contact(void *arg, const struct store_contact_new *in)
{
    struct import_ctx *c = arg;
    long long n;
    if (flush_sms(c) == IMPORT_STOP)
        return IMPORT_STOP;
    return count_and_maybe_commit(c, STORE_CONTACT, store_contact_add(c->store, c->user_id, in, &n));
}

/* A card: its rows count as items (one per number). */
static enum import_next sink_card(void *arg, const struct vcard_card *card)
{
    struct import_ctx *c = arg;
    struct store_card_added a;
    if (flush_sms(c) == IMPORT_STOP)
        return IMPORT_STOP;
    enum store_result r = store_contact_add_card(c->store, c->user_id, card, "import", true, &a);
    count_one(c, STORE_CONTACT, r);
    if (r == STORE_OK && a.count > 1) {   /* the other rows of the card */
        c->added += (long long)a.count - 1;
        c->added_kind[STORE_CONTACT] += (long long)a.count - 1;
        c->in_batch += (long long)a.count - 1;
    }
    return maybe_commit(c);
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

/* ---- export ---- */

/* The export a kind and a format name; false for a pair there is none of. */
bool archive_export_choice(const char *kind, const char *format, enum archive_format *out, enum store_kind *sk)
{
    static const struct {
        const char *kind, *format;
        enum archive_format kf;
        enum store_kind sk;
    } table[] = {
        { "sms", "xml", ARCHIVE_SMS_XML, STORE_SMS },
        { "sms", "csv", ARCHIVE_SMS_CSV, STORE_SMS },
        { "mms", "xml", ARCHIVE_MMS_XML, STORE_MMS },
        { "contacts", "vcard", ARCHIVE_CONTACT_VCARD, STORE_CONTACT },
        { "contacts", "csv", ARCHIVE_CONTACT_CSV, STORE_CONTACT },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(kind, table[i].kind) == 0 && strcmp(format, table[i].format) == 0) {
            *out = table[i].kf;
            *sk = table[i].sk;
            return true;
        }
    return false;
}

static enum store_result put_sms(struct buf *b, enum archive_format kf, const struct store_sms *m)
{
    if (kf == ARCHIVE_SMS_XML)
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

static enum store_result put_contact(struct buf *b, enum archive_format kf, const struct store_contact *c,
                                     struct last_card *last)
{
    if (kf != ARCHIVE_CONTACT_VCARD) {
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
static enum store_result export_some(struct store *s, const char *uid, enum archive_format kf, const long long *ns,
                                     size_t count, struct buf *b, long long *written)
{
    enum store_result res = STORE_OK;
    struct last_card last = { 0 };
    for (size_t i = 0; i < count && res == STORE_OK; i++) {
        if (kf == ARCHIVE_SMS_XML || kf == ARCHIVE_SMS_CSV) {
            struct store_sms m = { 0 };
            if ((res = store_sms_get(s, uid, ns[i], &m)) == STORE_OK)
                res = put_sms(b, kf, &m);
            store_sms_cleanup(&m);
        } else if (kf == ARCHIVE_MMS_XML) {
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

/* Everything, newest first, a page of 500 at a time, up to max items. */
static enum store_result export_all(struct store *s, const char *uid, enum archive_format kf, long long max,
                                    struct buf *b, long long *written)
{
    struct store_page page = { .before_n = 0, .limit = 500 };
    enum store_result res = STORE_OK;
    struct last_card last = { 0 };
    bool more = true;
    while (more && res == STORE_OK && *written < max) {
        if (kf == ARCHIVE_SMS_XML || kf == ARCHIVE_SMS_CSV) {
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
        } else if (kf == ARCHIVE_MMS_XML) {
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


enum store_result archive_import(struct store *s, const char *user_id, enum import_format f, char *data, size_t len,
                                 struct archive_import_report *report)
{
    struct import_report rep;
    struct import_sink check = { 0 };
    memset(report, 0, sizeof *report);
    if (f == IMPORT_FORMAT_XML)
        len = import_xml_fix_surrogates(data, len);
    if (run_import(f, data, len, &check, &rep) != IMPORT_OK) {
        report->malformed = true;
        snprintf(report->message, sizeof report->message, "%s", rep.message);
        return STORE_INVALID;
    }
    long long skipped = rep.skipped;
    enum store_result res = store_tx_begin(s);
    if (res != STORE_OK)
        return res;
    report->begun = true;
    struct import_ctx *c = xcalloc(1, sizeof *c);   /* holds a batch of SMS: not on the stack */
    c->store = s;
    c->user_id = user_id;
    c->stopped_by = STORE_OK;
    struct import_sink store_sink = { sink_sms, sink_mms, sink_contact, sink_card, c };
    enum import_result ir = run_import(f, data, len, &store_sink, &rep);
    if (ir == IMPORT_OK)
        (void)flush_sms(c);   /* the last SMS of the file */
    drop_pending(c);
    if (c->stopped_by == STORE_OK || c->stopped_by == STORE_NO_SPACE) {
        res = store_tx_commit(s);
        if (res != STORE_OK)
            c->stopped_by = res;
    } else {
        store_tx_rollback(s);
        c->added -= c->in_batch;   /* the open batch is undone */
    }
    /* a fresh bulk load is planned with stale statistics until autovacuum
     * comes by: a search of the archive just imported would read all of it */
    for (int k = STORE_SMS; k <= STORE_CONTACT; k++)
        if (c->added_kind[k] >= IMPORT_ANALYZE_MIN && store_items_analyze(s, (enum store_kind)k) != STORE_OK)
            log_warn("archive: import-analyze failed kind=%d", k);
    report->added = c->added;
    memcpy(report->added_kind, c->added_kind, sizeof report->added_kind);
    report->duplicates = c->duplicates;
    report->skipped = skipped + c->refused_items;
    res = ir == IMPORT_OK && c->stopped_by == STORE_OK ? STORE_OK
          : c->stopped_by == STORE_OK                  ? STORE_ERR   /* the parser stopped without a reason */
                                                       : c->stopped_by;
    free(c);
    return res;
}

enum store_result archive_export_items(struct store *s, const char *user_id, enum archive_format f,
                                       const long long *ns, size_t count, long long max, struct buf *b,
                                       long long *written)
{
    return ns ? export_some(s, user_id, f, ns, count, b, written) : export_all(s, user_id, f, max, b, written);
}
