/*
 * transfer — the Upload (import a file), Download (export to the PC) and
 * "send to my phone" handlers (issue 5).
 *
 * Import and export are archive's (archive/archive.h: the same code as
 * vaultctl export and import); these handlers read the request, call it and
 * answer. A broken file stores nothing and the answer says where it broke;
 * a refusal for space stops the import, what was stored before it stays
 * and the answer counts it. Sending queues
 * a delivery request per item to every phone bound to the user, in one
 * transaction: what the phone receives is rendered when it is sent, by the
 * sender (core_render in vaultbox), not here. Downloads that may run at
 * once are bounded ([web] export_streams, export_streams_per_user).
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "archive.h"
#include "buf.h"
#include "export.h"
#include "http.h"
#include "import.h"
#include "items.h"
#include "json.h"
#include "limit.h"
#include "log.h"
#include "refusals.h"
#include "routes.h"
#include "web_metrics.h"

void transfer_import(struct http_req *q, struct http_resp *r)
{
    const char *fmt = http_query(q, "format");
    enum import_format f = fmt ? import_format_parse(fmt) : import_detect(q->body, q->body_len);
    struct archive_import_report rep;
    if (f == IMPORT_FORMAT_UNKNOWN) {
        http_error(r, 400, "invalid", "Unknown format: use xml, vcard or csv.");
        return;
    }
    if (q->body_len == 0) {
        http_error(r, 400, "invalid", "The file is empty.");
        return;
    }
    /* The file is the request body itself, rewritten once: no copy is made. */
    enum store_result res = archive_import(q->store, q->user_id, f, q->body, q->body_len, &rep);
    if (rep.malformed) {
        json_t *j = json_pack("{s:s, s:s}", "error", "malformed", "message", rep.message);
        http_json(r, 400, j);
        return;
    }
    if (!rep.begun) {
        http_store_error(r, res);
        return;
    }
    log_info("web: import user=%s format=%d added=%lld duplicates=%lld skipped=%lld stop=%s", q->user_id, (int)f,
             rep.added, rep.duplicates, rep.skipped, store_result_name(res));
    enum store_result ur;
    json_t *usage = items_usage_json(q->store, q->user_id, &ur);
    /* by_kind: what was added of each kind (the page says "120 SMS, 6 MMS") */
    json_t *j = json_pack("{s:I, s:{s:I, s:I, s:I}, s:I, s:I, s:o}", "imported", (json_int_t)rep.added, "by_kind",
                          "sms", (json_int_t)rep.added_kind[STORE_SMS], "mms", (json_int_t)rep.added_kind[STORE_MMS],
                          "contacts", (json_int_t)rep.added_kind[STORE_CONTACT], "duplicates",
                          (json_int_t)rep.duplicates, "skipped", (json_int_t)rep.skipped, "usage",
                          usage ? usage : json_null());
    if (res == STORE_OK)
        http_json(r, 200, j);
    else   /* what was stored before the refusal stays, and the answer counts it */
        http_store_error_say(r, res, NULL, j);
}

/* ---- export ---- */

/*
 * Downloads at once. A download holds its database connection and snapshot
 * for as long as the browser takes to read it (a slow one: minutes).
 * Unbounded, one account (32 connections from one address) could take
 * every connection the database has and stop the gateway with it; so at
 * most [web] export_streams run in all, export_streams_per_user of one
 * account, and the one more is refused with a wait: 429 for the account's
 * own (the page says its other downloads are still running), 503 when the
 * server's are all taken.
 */

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static char slot_user[WEB_EXPORT_STREAMS_MAX][STORE_ID_LEN];   /* the accounts of the running downloads */
static size_t slots_used;

/* A slot for user_id's download, or the refusal (REFUSAL_COUNT: taken). */
static enum refusal slot_take(const struct web_config *cfg, const char *user_id)
{
    size_t all = (size_t)cfg->export_streams, mine = 0;
    if (all > WEB_EXPORT_STREAMS_MAX)
        all = WEB_EXPORT_STREAMS_MAX;
    pthread_mutex_lock(&slots_lock);
    for (size_t i = 0; i < slots_used; i++)
        mine += strcmp(slot_user[i], user_id) == 0;
    enum refusal why = mine >= (size_t)cfg->export_streams_per_user ? REFUSAL_EXPORT_PER_USER
                       : slots_used >= all                            ? REFUSAL_EXPORT_BUSY
                                                                      : REFUSAL_COUNT;
    if (why == REFUSAL_COUNT)
        snprintf(slot_user[slots_used++], STORE_ID_LEN, "%s", user_id);
    pthread_mutex_unlock(&slots_lock);
    return why;
}

static void slot_give(const char *user_id)
{
    pthread_mutex_lock(&slots_lock);
    for (size_t i = 0; i < slots_used; i++)
        if (strcmp(slot_user[i], user_id) == 0) {
            memcpy(slot_user[i], slot_user[--slots_used], STORE_ID_LEN);
            break;
        }
    pthread_mutex_unlock(&slots_lock);
}

/* The refusal of a download beyond the slots: Retry-After, the status
 * table's code (429 throttled, 503 retry), and "refused" naming the limit
 * so that the page can say it in its language. */
static void slot_refuse(struct http_resp *r, enum refusal why)
{
    refusals_count(why);
    int wait = why == REFUSAL_EXPORT_PER_USER ? 5 : 10;
    char ra[16];
    snprintf(ra, sizeof ra, "%d", wait);
    http_header(r, "Retry-After", ra);
    http_store_error_say(r, why == REFUSAL_EXPORT_PER_USER ? STORE_THROTTLED : STORE_RETRY,
                         why == REFUSAL_EXPORT_PER_USER ? "Your other downloads are still running; wait until one "
                                                          "has finished."
                                                        : "Too many downloads are running; please try again shortly.",
                         json_pack("{s:i, s:s}", "retry_after", wait, "refused", refusals_name(why)));
}

/*
 * A download is streamed (http_stream): a page of the archive at a time is
 * formatted and sent, so a file of any size takes the memory of one page.
 * It reads on a connection of its own, in one snapshot
 * (store_tx_begin_snapshot): the count the XML document starts with and the
 * items after it are the same rows while others write, and the worker
 * thread's own connection stays free for the requests it serves between
 * two pages.
 */
struct export_stream {
    bool slot;              /* holds a download slot (slot_take) */
    struct store *s;
    struct archive_export *e;
    enum archive_format kf;
    struct buf pending;     /* made, not yet sent */
    size_t off;
    bool items_done, tail_done, failed;
    char user_id[STORE_ID_LEN];
    const char *kind, *format;   /* static strings (archive_export_choice's table) */
};

static long export_read(void *cls, char *out, size_t max)
{
    struct export_stream *x = cls;
    while (x->off == x->pending.len) {
        buf_clear(&x->pending);
        x->off = 0;
        if (!x->items_done) {
            enum store_result res = archive_export_next(x->e, &x->pending, &x->items_done);
            if (res != STORE_OK) {
                log_warn("web: export-failed user=%s result=%s written=%lld", x->user_id, store_result_name(res),
                         archive_export_written(x->e));
                x->failed = true;
                return -1;
            }
        } else if (!x->tail_done) {
            if (x->kf == ARCHIVE_SMS_XML || x->kf == ARCHIVE_MMS_XML)
                export_xml_tail(&x->pending);
            x->tail_done = true;
        } else {
            return 0;
        }
    }
    size_t n = x->pending.len - x->off < max ? x->pending.len - x->off : max;
    memcpy(out, x->pending.data + x->off, n);
    x->off += n;
    return (long)n;
}

static void export_done(void *cls)
{
    struct export_stream *x = cls;
    if (x->e && !x->failed && x->tail_done)
        log_info("web: export user=%s kind=%s format=%s count=%lld", x->user_id, x->kind, x->format,
                 archive_export_written(x->e));
    archive_export_free(x->e);
    if (x->s) {
        store_tx_rollback(x->s);   /* read only: nothing to keep */
        store_free(x->s);
    }
    if (x->slot)
        slot_give(x->user_id);
    buf_cleanup(&x->pending);
    free(x);
}

/* The kind and format names as static strings (the log line outlives the request). */
static const char *static_name(const char *name)
{
    static const char *const names[] = { "sms", "mms", "contacts", "xml", "csv", "vcard" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return names[i];
    return "?";
}

void transfer_export(struct http_req *q, struct http_resp *r)
{
    char err[160];
    const char *kind, *format;
    long long *ns = NULL, *except = NULL;
    size_t count = 0;
    enum archive_format kf;
    enum store_kind sk;
    struct export_stream *x = NULL;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!json_field_str(in, "kind", true, 16, &kind, NULL, err, sizeof err) ||
        !json_field_str(in, "format", true, 16, &format, NULL, err, sizeof err)) {
        http_error(r, 400, "invalid", err);
        goto out;
    }
    if (!archive_export_choice(kind, format, &kf, &sk)) {
        http_error(r, 400, "invalid", "Export SMS as xml or csv, MMS as xml, contacts as vcard or csv.");
        goto out;
    }
    /* ns: those items; match: all that a search found (items.h); neither: everything */
    bool all = json_object_get(in, "ns") == NULL || json_is_null(json_object_get(in, "ns"));
    json_t *match = json_object_get(in, "match");
    struct store_match m = { 0 };
    if (!all && !json_field_ns(in, "ns", LIMIT_EXPORT_MAX, &ns, &count, err, sizeof err)) {
        http_error(r, 400, "invalid", err);
        goto out;
    }
    if (all && match && !items_read_match(match, r, &m, &except))
        goto out;
    x = xcalloc(1, sizeof *x);
    buf_init(&x->pending);
    x->kf = kf;
    x->kind = static_name(kind);
    x->format = static_name(format);
    snprintf(x->user_id, sizeof x->user_id, "%s", q->user_id);
    enum refusal why = slot_take(q->cfg, q->user_id);
    if (why != REFUSAL_COUNT) {
        log_info("web: download refused user=%s limit=%s", q->user_id, refusals_name(why));
        slot_refuse(r, why);
        goto out;
    }
    x->slot = true;
    enum store_result res = store_open(q->store_cfg, &x->s);
    if (res == STORE_OK && (res = store_tx_begin_snapshot(x->s)) == STORE_OK)
        /* ns: those; else all that match m (everything when no match was given) */
        res = archive_export_open(x->s, q->user_id, kf, all ? NULL : ns, count, all ? &m : NULL, LLONG_MAX, &x->e);
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    const char *ext = "csv", *type = "text/csv; charset=utf-8";
    if (kf == ARCHIVE_SMS_XML || kf == ARCHIVE_MMS_XML) {
        export_xml_head(&x->pending, archive_export_count(x->e));
        ext = "xml";
        type = "application/xml; charset=utf-8";
    } else if (kf == ARCHIVE_SMS_CSV) {
        export_csv_sms_header(&x->pending);
    } else if (kf == ARCHIVE_CONTACT_CSV) {
        export_csv_contact_header(&x->pending);
    } else {
        ext = "vcf";
        type = "text/vcard; charset=utf-8";
    }
    char day[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(day, sizeof day, "%Y%m%d", &tm);
    char *disp = xasprintf("attachment; filename=\"smsvault-%s-%s.%s\"", kind, day, ext);
    http_header(r, "Content-Disposition", disp);
    free(disp);
    http_stream(r, 200, type, export_read, export_done, x);
    x = NULL;   /* the response's now */
    r->api = true;
out:
    if (x)
        export_done(x);
    free(ns);
    free(except);
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
    web_count_mt(STORE_MT_ITEM, queued);
    json_t *ph = json_array();
    for (size_t p = 0; p < nphones; p++)
        json_array_append_new(ph, json_string(phones[p]));
    http_json(r, 200, json_pack("{s:I, s:o}", "queued", (json_int_t)queued, "phones", ph));
out:
    store_strings_free(phones, nphones);
    free(ns);
    json_decref(in);
}
