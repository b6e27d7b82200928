/*
 * items — the three lists (see items.h). Paging is the store's keyset
 * (before = the smallest n already shown), so page 1,000 costs what page 1
 * costs. Text goes out as JSON strings; the page renders it with
 * textContent, never as HTML.
 */
#include "items.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "export.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "msisdn.h"
#include "routes.h"
#include "utf8.h"
#include "vcard.h"

json_t *items_usage_json(struct store *s, const char *user_id, enum store_result *res)
{
    struct store_usage u;
    if ((*res = store_usage_get(s, user_id, &u)) != STORE_OK)
        return NULL;
    /* contacts: the numbers stored; people: the people they make (issue 10) */
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "allocated", (json_int_t)u.allocated_bytes, "used",
                     (json_int_t)u.used_bytes, "sms", (json_int_t)u.sms_count, "mms", (json_int_t)u.mms_count,
                     "contacts", (json_int_t)u.contact_count, "people", (json_int_t)u.person_count,
                     "last_grown_at", (json_int_t)u.last_grown_at);
}

/* A text kept as written, or null. */
static json_t *str_or_null(const char *v)
{
    return v ? json_string(v) : json_null();
}

/* type: 1 received … 6 queued (store.h), 0 not known; dates in seconds. */
json_t *items_sms_json(const struct store_sms *m)
{
    json_t *j = json_pack("{s:I, s:s, s:s%, s:I, s:I, s:I, s:s, s:i, s:I, s:s}", "n", (json_int_t)m->n, "peer",
                          m->peer, "body", m->body, m->body_len, "sent_at", (json_int_t)m->sent_at, "saved_at",
                          (json_int_t)m->saved_at, "size", (json_int_t)m->size_bytes, "source", m->source, "type",
                          m->type, "date_sent", (json_int_t)(m->date_sent_ms / 1000), "phone", m->phone);
    json_object_set_new(j, "contact_name", str_or_null(m->fields[STORE_SMS_CONTACT_NAME]));
    return j;
}

/* msg_box: 1 received, 2 sent, 3 draft, 4 outbox, 0 not known. */
json_t *items_mms_json(const struct store_mms *m)
{
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:i, s:i, s:I, s:s}", "n", (json_int_t)m->n, "peer",
                          m->peer, "subject", m->subject, "text", m->text, "sent_at", (json_int_t)m->sent_at,
                          "saved_at", (json_int_t)m->saved_at, "size", (json_int_t)m->size_bytes, "nparts",
                          m->nparts, "msg_box", m->msg_box, "date_sent", (json_int_t)(m->date_sent_ms / 1000),
                          "source", m->source);
    json_object_set_new(j, "contact_name", str_or_null(m->fields[STORE_MMS_CONTACT_NAME]));
    return j;
}

json_t *items_contact_json(const struct store_contact *c)
{
    /* types: the number's TEL types from its card ("CELL,PREF"), "" if none */
    return json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:b}", "n", (json_int_t)c->n, "name", c->name, "number",
                     c->number, "types", c->tel_types ? c->tel_types : "", "uploaded_at",
                     (json_int_t)c->uploaded_at, "size", (json_int_t)c->size_bytes, "current", c->current);
}

/* Issue 5: MMS parts are inline only for these types, else an attachment. */
const char *items_inline_type(const char *content_type)
{
    static const char *const allowed[] = {
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp",
    };
    char mt[64];
    size_t i = 0;
    for (; content_type[i] && content_type[i] != ';' && i + 1 < sizeof mt; i++)
        mt[i] = content_type[i];
    mt[i] = '\0';
    for (size_t k = 0; k < sizeof allowed / sizeof allowed[0]; k++)
        if (strcasecmp(mt, allowed[k]) == 0)
            return allowed[k];
    if (strcasecmp(mt, "image/jpg") == 0)
        return "image/jpeg";
    if (strcasecmp(mt, "text/plain") == 0)
        return "text/plain; charset=utf-8";
    return NULL;
}

/* ---- paging ---- */

/* The page asked for by ?before, ?limit and ?q; false after answering 400. */
static bool read_page(struct http_req *q, struct http_resp *r, struct store_page *page)
{
    const char *before = http_query(q, "before"), *limit = http_query(q, "limit"), *search = http_query(q, "q");
    memset(page, 0, sizeof *page);
    page->limit = LIMIT_WEB_PAGE_DEFAULT;
    if (before) {
        char *end;
        long long b = strtoll(before, &end, 10);
        if (*end || b < 0) {
            http_error(r, 400, "invalid", "'before' must be an item number.");
            return false;
        }
        page->before_n = b;
    }
    if (limit) {
        char *end;
        long l = strtol(limit, &end, 10);
        if (*end || l < 1 || l > LIMIT_WEB_PAGE_MAX) {
            http_errorf(r, 400, "invalid", "'limit' must be between 1 and %d.", LIMIT_WEB_PAGE_MAX);
            return false;
        }
        page->limit = (int)l;
    }
    if (search) {
        if (strlen(search) > LIMIT_SEARCH_BYTES_MAX || !utf8_valid(search, strlen(search))) {
            http_errorf(r, 400, "invalid", "Search for at most %d bytes of UTF-8 text.", LIMIT_SEARCH_BYTES_MAX);
            return false;
        }
        page->search = search;
    }
    return true;
}

/* A page (its items numbered first_n down to last_n); the first one (no
 * ?before) says how many items the search matched in all, up to first_n —
 * the newest shown, where "all that match" stops — so that the page can
 * offer "all N". Counting costs what it reads (a common word of a large
 * archive matches hundreds of thousands), so the page counts up to
 * LIMIT_WEB_COUNT_QUICK only: beyond that "total_more" says the total is
 * more than "total" and the whole count is a request of its own
 * (reply_count), which the page makes after showing the page. */
static void reply_page(struct http_req *q, struct http_resp *r, enum store_kind kind, const struct store_page *page,
                       json_t *items, bool more, long long first_n, long long last_n)
{
    json_t *j = json_pack("{s:o, s:b}", "items", items, "more", more);
    if (more)
        json_object_set_new(j, "next_before", json_integer(last_n));
    if (page->before_n == 0) {
        struct store_match m = { .search = page->search, .upto = first_n };
        long long total = 0;
        enum store_result res = json_array_size(items) && more
                                    ? store_items_count_max(q->store, q->user_id, kind, &m, LIMIT_WEB_COUNT_QUICK,
                                                            &total)
                                    : STORE_OK;
        if (res != STORE_OK) {
            json_decref(j);
            http_store_error(r, res);
            return;
        }
        if (!more)
            total = (long long)json_array_size(items);   /* all of them are on this page */
        bool quick_capped = total > LIMIT_WEB_COUNT_QUICK;
        json_object_set_new(j, "total", json_integer(quick_capped ? LIMIT_WEB_COUNT_QUICK : total));
        json_object_set_new(j, "total_capped", json_boolean(false));
        json_object_set_new(j, "total_more", json_boolean(quick_capped));
    }
    http_json(r, 200, j);
}

/* ?count=1 (with ?q and ?upto, the first page's newest item): how many
 * match, counted up to LIMIT_DELETE_MAX + 1 (store_items_count),
 * "total_capped" when there are more. True when this was that request. */
static bool reply_count(struct http_req *q, struct http_resp *r, enum store_kind kind)
{
    const char *count = http_query(q, "count"), *upto = http_query(q, "upto"), *search = http_query(q, "q");
    if (count == NULL || strcmp(count, "1") != 0)
        return false;
    struct store_match m = { .search = search };
    if (upto) {
        char *end;
        m.upto = strtoll(upto, &end, 10);
        if (*end || m.upto < 0) {
            http_error(r, 400, "invalid", "'upto' must be an item number.");
            return true;
        }
    }
    if (search && (strlen(search) > LIMIT_SEARCH_BYTES_MAX || !utf8_valid(search, strlen(search)))) {
        http_errorf(r, 400, "invalid", "Search for at most %d bytes of UTF-8 text.", LIMIT_SEARCH_BYTES_MAX);
        return true;
    }
    long long total = 0;
    enum store_result res = store_items_count(q->store, q->user_id, kind, &m, &total);
    if (res != STORE_OK) {
        http_store_error(r, res);
        return true;
    }
    http_json(r, 200, json_pack("{s:I, s:b}", "total", (json_int_t)(total > LIMIT_DELETE_MAX ? LIMIT_DELETE_MAX : total),
                                "total_capped", total > LIMIT_DELETE_MAX));
    return true;
}

bool items_read_match(json_t *match, struct http_resp *r, struct store_match *m, long long **except)
{
    char err[160];
    long long upto = 0;
    size_t n = 0;
    memset(m, 0, sizeof *m);
    *except = NULL;
    if (!json_is_object(match)) {
        http_error(r, 400, "invalid", "'match' must be an object: {q, upto, except}.");
        return false;
    }
    if (!json_field_str(match, "q", false, LIMIT_SEARCH_BYTES_MAX, &m->search, NULL, err, sizeof err) ||
        !json_field_int(match, "upto", true, 1, 1LL << 60, 0, &upto, err, sizeof err) ||
        (json_object_get(match, "except") &&
         !json_field_ns(match, "except", LIMIT_DELETE_MAX, except, &n, err, sizeof err))) {
        http_error(r, 400, "invalid", err);
        return false;
    }
    m->upto = upto;
    m->except = *except;
    m->nexcept = n;
    return true;
}

void items_sms_list(struct http_req *q, struct http_resp *r)
{
    struct store_page page;
    struct store_sms_list l = { 0 };
    if (reply_count(q, r, STORE_SMS))
        return;
    if (!read_page(q, r, &page))
        return;
    enum store_result res = store_sms_list(q->store, q->user_id, &page, &l);
    if (res != STORE_OK) {
        http_store_error(r, res);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < l.count; i++)
        json_array_append_new(a, items_sms_json(&l.items[i]));
    reply_page(q, r, STORE_SMS, &page, a, l.more, l.count ? l.items[0].n : 0,
               l.count ? l.items[l.count - 1].n : 0);
    store_sms_list_cleanup(&l);
}

void items_mms_list(struct http_req *q, struct http_resp *r)
{
    struct store_page page;
    struct store_mms_list l = { 0 };
    if (reply_count(q, r, STORE_MMS))
        return;
    if (!read_page(q, r, &page))
        return;
    enum store_result res = store_mms_list(q->store, q->user_id, &page, &l);
    if (res != STORE_OK) {
        http_store_error(r, res);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < l.count; i++)
        json_array_append_new(a, items_mms_json(&l.items[i]));
    reply_page(q, r, STORE_MMS, &page, a, l.more, l.count ? l.items[0].n : 0,
               l.count ? l.items[l.count - 1].n : 0);
    store_mms_list_cleanup(&l);
}

/* A person (issue 10): its current number's fields, and every number newest
 * first (the current one first), each with its types and upload date. */
json_t *items_person_json(const struct store_person *p)
{
    const struct store_contact *cur = p->count ? &p->numbers[p->count - 1] : NULL;
    json_t *nums = json_array(), *rows = json_array();
    long long size = 0;
    for (size_t i = p->count; i-- > 0;)
        json_array_append_new(nums, items_contact_json(&p->numbers[i]));
    for (size_t i = 0; i < p->nrows; i++)
        json_array_append_new(rows, json_integer(p->rows[i]));
    for (size_t i = 0; i < p->count; i++)
        size += p->numbers[i].size_bytes;
    const char *types = cur && cur->tel_types ? cur->tel_types : "";
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:o, s:o}", "n", (json_int_t)p->n, "name", p->name,
                     "uid", p->uid, "number", cur ? cur->number : "", "types", types, "uploaded_at",
                     (json_int_t)(cur ? cur->uploaded_at : 0), "size", (json_int_t)size, "current", true, "numbers",
                     nums, "rows", rows);
}

/* Contacts are listed as people: n is a person's current number, and a page
 * goes below the last person's. */
void items_contact_list(struct http_req *q, struct http_resp *r)
{
    struct store_page page;
    struct store_person_list l = { 0 };
    if (reply_count(q, r, STORE_CONTACT))
        return;
    if (!read_page(q, r, &page))
        return;
    enum store_result res = store_person_list(q->store, q->user_id, &page, &l);
    if (res != STORE_OK) {
        http_store_error(r, res);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < l.count; i++)
        json_array_append_new(a, items_person_json(&l.items[i]));
    reply_page(q, r, STORE_CONTACT, &page, a, l.more, l.count ? l.items[0].n : 0,
               l.count ? l.items[l.count - 1].n : 0);
    store_person_list_cleanup(&l);
}

/* ---- preview ---- */

void items_sms_get(struct http_req *q, struct http_resp *r)
{
    struct store_sms m = { 0 };
    enum store_result res = store_sms_get(q->store, q->user_id, q->path_n[0], &m);
    if (res != STORE_OK) {
        http_store_error(r, res);
        return;
    }
    http_json(r, 200, items_sms_json(&m));
    store_sms_cleanup(&m);
}

void items_mms_get(struct http_req *q, struct http_resp *r)
{
    struct store_mms m = { 0 };
    struct store_mms_part *parts = NULL;
    struct store_mms_addr *addrs = NULL;
    size_t n = 0, na = 0;
    enum store_result res = store_mms_get(q->store, q->user_id, q->path_n[0], &m);
    if (res == STORE_OK)
        res = store_mms_parts(q->store, q->user_id, q->path_n[0], &parts, &n);
    if (res == STORE_OK)
        res = store_mms_addrs(q->store, q->user_id, q->path_n[0], &addrs, &na);
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    json_t *j = items_mms_json(&m);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *it = items_inline_type(parts[i].content_type);
        json_t *p = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:b}", "seq", parts[i].seq, "content_type",
                              parts[i].content_type, "name", parts[i].name, "content_id", parts[i].content_id,
                              "content_location", parts[i].content_location, "size", (json_int_t)parts[i].len,
                              "inline", it != NULL);
        /* Text parts travel in the JSON too, so the preview shows them as text. */
        if (strncasecmp(parts[i].content_type, "text/plain", 10) == 0 &&
            utf8_valid((const char *)parts[i].data, parts[i].len))
            json_object_set_new(p, "text", json_stringn((const char *)parts[i].data, parts[i].len));
        json_array_append_new(a, p);
    }
    json_object_set_new(j, "parts", a);
    /* from (137), to (151), cc (130), bcc (129) */
    json_t *ad = json_array();
    for (size_t i = 0; i < na; i++)
        json_array_append_new(ad, json_pack("{s:s, s:i}", "address", addrs[i].address, "type", addrs[i].type));
    json_object_set_new(j, "addrs", ad);
    /* where "send to my phone" (or GET M<n>) got with it: the newest request */
    struct store_outbox_delivery d = { 0 };
    res = store_outbox_item_delivery(q->store, q->user_id, STORE_MMS, q->path_n[0], &d);
    if (res == STORE_OK)
        json_object_set_new(j, "delivery", json_pack("{s:s, s:s, s:s, s:I, s:I}", "state",
                                                     store_outbox_state_name(d.state), "phone", d.msisdn,
                                                     "reason", d.reason, "requested_at", (json_int_t)d.requested_at,
                                                     "updated_at", (json_int_t)d.updated_at));
    else
        json_object_set_new(j, "delivery", json_null());
    store_outbox_delivery_cleanup(&d);
    http_json(r, 200, j);
out:
    store_mms_parts_free(parts, n);
    store_mms_addrs_free(addrs, na);
    store_mms_cleanup(&m);
}

/* Part seq is 0-based; the route's '#' is > 0, so the URL carries seq + 1. */
void items_mms_part(struct http_req *q, struct http_resp *r)
{
    struct store_mms_part p = { 0 };
    enum store_result res = q->path_n[1] > LIMIT_MMS_PARTS_MAX
                                ? STORE_NOT_FOUND
                                : store_mms_part_get(q->store, q->user_id, q->path_n[0], (int)(q->path_n[1] - 1), &p);
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    const char *it = items_inline_type(p.content_type);
    char *disp = xasprintf("%s; filename=\"part-%lld-%d\"", it ? "inline" : "attachment", q->path_n[0], p.seq);
    http_header(r, "Content-Disposition", disp);
    free(disp);
    http_bytes(r, 200, it ? it : "application/octet-stream", (char *)p.data, p.len);
    p.data = NULL;
    r->api = true;
out:
    store_mms_part_cleanup(&p);
}

/* The person a number belongs to, with the card an export writes for it. */
void items_contact_get(struct http_req *q, struct http_resp *r)
{
    struct store_person p = { 0 };
    struct buf card;
    buf_init(&card);
    enum store_result res = store_contact_person(q->store, q->user_id, q->path_n[0], &p);
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    json_t *j = items_person_json(&p);
    export_vcard_person(&card, &p);
    json_object_set_new(j, "vcard", json_stringn(card.data ? card.data : "", card.len));
    http_json(r, 200, j);
out:
    buf_cleanup(&card);
    store_person_cleanup(&p);
}

/* ---- add ---- */

static void reply_added(struct http_req *q, struct http_resp *r, long long n)
{
    enum store_result res;
    json_t *usage = items_usage_json(q->store, q->user_id, &res);
    if (usage == NULL)
        usage = json_null();
    http_json(r, 201, json_pack("{s:I, s:o}", "n", (json_int_t)n, "usage", usage));
}

void items_sms_add(struct http_req *q, struct http_resp *r)
{
    char err[160];
    const char *peer, *body;
    size_t body_len;
    long long sent_at, type, n;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!json_field_str(in, "peer", false, LIMIT_PEER_MAX, &peer, NULL, err, sizeof err) ||
        !json_field_str(in, "body", true, LIMIT_SMS_BODY_MAX, &body, &body_len, err, sizeof err) ||
        !json_field_int(in, "sent_at", false, 0, 1LL << 40, 0, &sent_at, err, sizeof err) ||
        !json_field_int(in, "type", false, STORE_SMS_RECEIVED, STORE_SMS_QUEUED, STORE_SMS_RECEIVED, &type, err,
                        sizeof err)) {
        http_error(r, 400, "invalid", err);
        goto out;
    }
    if (body_len == 0) {
        http_error(r, 400, "invalid", "The message is empty.");
        goto out;
    }
    struct store_sms_new m = { .peer = peer, .body = body, .body_len = body_len, .sent_at = (time_t)sent_at,
                               .type = (int)type, .source = "web" };
    enum store_result res = store_sms_add(q->store, q->user_id, &m, &n);
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    reply_added(q, r, n);
out:
    json_decref(in);
}

void items_contact_add(struct http_req *q, struct http_resp *r)
{
    char err[160];
    const char *name, *number;
    char *card = NULL;
    long long n;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!json_field_str(in, "name", true, LIMIT_TEXT_FIELD_MAX, &name, NULL, err, sizeof err) ||
        !json_field_str(in, "number", true, LIMIT_PEER_MAX, &number, NULL, err, sizeof err)) {
        http_error(r, 400, "invalid", err);
        goto out;
    }
    if (!*name || !msisdn_is_contact(number)) {
        http_errorf(r, 400, "invalid",
                    "A contact needs a name and a phone number of at least %d digits ('+', spaces, '-', '.' "
                    "and brackets may go between them).", LIMIT_CONTACT_DIGITS_MIN);
        goto out;
    }
    card = vcard_format(name, number);
    struct store_contact_new c = { .name = name, .number = number, .vcard = card, .vcard_len = strlen(card),
                                   .source = "web", .tel_types = "CELL" };   /* vcard_format's TEL */
    enum store_result res = store_contact_add(q->store, q->user_id, &c, &n);
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    reply_added(q, r, n);
out:
    free(card);
    json_decref(in);
}

/* An MMS made on the page from picked files: {peer, subject, parts:[{content_type, name, data(base64)}]}. */
void items_mms_add(struct http_req *q, struct http_resp *r)
{
    char err[160];
    const char *peer, *subject;
    long long box;
    struct store_mms_part_new parts[LIMIT_MMS_PARTS_MAX];
    unsigned char *data[LIMIT_MMS_PARTS_MAX] = { 0 };
    size_t np = 0;
    long long n;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!json_field_str(in, "peer", false, LIMIT_PEER_MAX, &peer, NULL, err, sizeof err) ||
        !json_field_str(in, "subject", false, LIMIT_TEXT_FIELD_MAX, &subject, NULL, err, sizeof err) ||
        !json_field_int(in, "msg_box", false, STORE_MMS_INBOX, STORE_MMS_SENT, STORE_MMS_INBOX, &box, err,
                        sizeof err)) {
        http_error(r, 400, "invalid", err);
        goto out;
    }
    json_t *a = json_object_get(in, "parts");
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > LIMIT_MMS_PARTS_MAX) {
        http_errorf(r, 400, "invalid", "An MMS needs 1 to %d parts.", LIMIT_MMS_PARTS_MAX);
        goto out;
    }
    for (; np < json_array_size(a); np++) {
        json_t *p = json_array_get(a, np);
        const char *ct, *name, *b64;
        size_t b64len, len = 0;
        if (!json_is_object(p) ||
            !json_field_str(p, "content_type", true, LIMIT_TEXT_FIELD_MAX, &ct, NULL, err, sizeof err) ||
            !json_field_str(p, "name", false, LIMIT_TEXT_FIELD_MAX, &name, NULL, err, sizeof err) ||
            !json_field_str(p, "data", true, (LIMIT_MMS_MAX / 3 + 1) * 4, &b64, &b64len, err, sizeof err)) {
            http_error(r, 400, "invalid", json_is_object(p) ? err : "Each part must be an object.");
            goto out;
        }
        data[np] = xmalloc(b64len / 4 * 3 + 3);
        if (sodium_base642bin(data[np], b64len / 4 * 3 + 3, b64, b64len, "\r\n ", &len, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0) {
            http_error(r, 400, "invalid", "A part's data is not valid base64.");
            np++;
            goto out;
        }
        /* a picked file's name is where a phone would say the part came from */
        parts[np] = (struct store_mms_part_new){ .content_type = ct, .name = name, .data = data[np], .len = len,
                                                 .content_location = name };
    }
    struct store_mms_new m = { .peer = peer, .subject = subject, .msg_box = (int)box, .source = "web",
                               .parts = parts, .nparts = np };
    enum store_result res = store_mms_add(q->store, q->user_id, &m, &n);
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    reply_added(q, r, n);
out:
    for (size_t i = 0; i < LIMIT_MMS_PARTS_MAX; i++)
        free(data[i]);
    json_decref(in);
}

/* ---- batch delete ---- */

/* {ns: [...]} deletes those; {match: {q, upto, except}} every item that
 * matches, in one transaction (store_items_delete_matching), at most
 * LIMIT_DELETE_MAX either way. Contacts are people (issue 10): ns[] and
 * except[] name them by a number of theirs, and every row of each goes;
 * "deleted" counts rows (numbers). */
static void delete_kind(struct http_req *q, struct http_resp *r, enum store_kind kind)
{
    char err[160];
    long long *ns = NULL, *except = NULL, deleted = 0, freed = 0;
    size_t count = 0;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    json_t *match = json_object_get(in, "match");
    struct store_match m;
    enum store_result res;
    if (match) {
        if (!items_read_match(match, r, &m, &except))
            goto out;
        res = store_items_delete_matching(q->store, q->user_id, kind, &m, &deleted, &freed);
        if (res == STORE_INVALID) {
            http_errorf(r, 400, "too_many",
                        "At most %d items are deleted at once, found by at most %d words: narrow the search, "
                        "then delete again.", LIMIT_DELETE_MAX, LIMIT_SEARCH_WORDS_MAX);
            goto out;
        }
    } else {
        if (!json_field_ns(in, "ns", LIMIT_DELETE_MAX, &ns, &count, err, sizeof err)) {
            http_error(r, 400, "invalid", err);
            goto out;
        }
        /* a contact's number names its person: the page deletes people */
        res = kind == STORE_CONTACT ? store_persons_delete(q->store, q->user_id, ns, count, &deleted, &freed)
                                    : store_items_delete(q->store, q->user_id, kind, ns, count, &deleted, &freed);
    }
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    log_info("web: deleted user=%s kind=%d count=%lld freed=%lld matching=%d", q->user_id, (int)kind, deleted, freed,
             match != NULL);
    json_t *usage = items_usage_json(q->store, q->user_id, &res);
    http_json(r, 200, json_pack("{s:I, s:I, s:o}", "deleted", (json_int_t)deleted, "freed_bytes",
                                (json_int_t)freed, "usage", usage ? usage : json_null()));
out:
    free(ns);
    free(except);
    json_decref(in);
}

void items_sms_delete(struct http_req *q, struct http_resp *r) { delete_kind(q, r, STORE_SMS); }
void items_mms_delete(struct http_req *q, struct http_resp *r) { delete_kind(q, r, STORE_MMS); }
void items_contact_delete(struct http_req *q, struct http_resp *r) { delete_kind(q, r, STORE_CONTACT); }
