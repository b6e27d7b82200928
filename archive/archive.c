/*
 * archive — a user's archive to and from files through the store (see
 * archive.h): the import's batches and the export's pages, moved here from
 * web/transfer.c so that vaultctl runs the very same code as the page.
 *
 * Import reads the file twice: first to check it is well formed (a broken
 * file stores nothing and says where it broke), then to store it in
 * transactions of IMPORT_BATCH items with skip_duplicate, so
 * importing the same file again adds nothing. Items go to the store a batch
 * of one kind at a time (store_sms_add_many, store_mms_add_many,
 * store_contact_add_many, store_contact_add_cards: one row lock, one
 * duplicate query, one insert per table; each item all or nothing), an item
 * of another kind storing the batch before it, so that numbers and space
 * follow the file's order. The file is not copied: both passes read the
 * caller's buffer (rewritten once, see import_xml.h). A refusal for space
 * stops the import; what was stored before it stays and the report says
 * so. Every field the file gave is handed over (issue 10: the archive is
 * lossless). A vCard is archived whole, the way a card sent from a phone is
 * (store_contact_add_cards stores each as store_contact_add_card does), and
 * counts as one contact imported however many numbers it has. Export pages
 * through the store with the keyset API, everything or all that match a
 * search; contacts go out as people (issue 10): one card per person with
 * every number, PREF on the current one, or a person's CSV lines in upload
 * order, so that a file read again keeps the same current numbers.
 */
#include "archive.h"

#include <limits.h>
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
    long long batch_kind[3];  /* ... of those, in the batch not yet committed */
    enum store_result stopped_by;   /* what stopped the import; STORE_OK while it goes on */
    struct pending p;
};

static void count_one(struct import_ctx *c, enum store_kind k, enum store_result r)
{
    switch (r) {
    case STORE_OK: c->added++; c->added_kind[k]++; c->batch_kind[k]++; break;
    case STORE_CONFLICT: c->duplicates++; break;
    case STORE_INVALID: c->refused_items++; break;
    default: c->stopped_by = r; return;
    }
    c->in_batch++;
}

static const char *dup_or_null(const char *v)
{
    return v ? xstrdup(v) : NULL;
}

/* A device's own attributes, copied (the parser's are gone by the time the
 * batch is stored). */
static const struct store_attr_new *attrs_keep(const struct store_attr_new *a, size_t n)
{
    struct store_attr_new *x = n ? xcalloc(n, sizeof *x) : NULL;
    for (size_t i = 0; i < n; i++)
        x[i] = (struct store_attr_new){ xstrdup(a[i].name), xstrdup(a[i].value) };
    return x;
}

static void attrs_drop(const struct store_attr_new *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)a[i].name);
        free((char *)a[i].value);
    }
    free((struct store_attr_new *)a);
}

static void fields_keep(const char **dst, const char *const *src, int n)
{
    for (int f = 0; f < n; f++)
        dst[f] = dup_or_null(src[f]);
}

static void fields_drop(const char *const *f, int n)
{
    for (int i = 0; i < n; i++)
        free((char *)f[i]);
}

static void free_sms(struct store_sms_new *m)
{
    free((char *)m->peer);
    free((char *)m->body);
    free((char *)m->phone);
    fields_drop(m->fields, STORE_SMS_NFIELDS);
    attrs_drop(m->extra, m->nextra);
}

static void free_mms(struct store_mms_new *m)
{
    for (size_t i = 0; i < m->nparts; i++) {
        const struct store_mms_part_new *p = &m->parts[i];
        free((char *)p->content_type);
        free((char *)p->name);
        free((unsigned char *)p->data);
        free((char *)p->content_id);
        free((char *)p->content_location);
        fields_drop(p->fields, STORE_PART_NFIELDS);
        attrs_drop(p->extra, p->nextra);
    }
    free((struct store_mms_part_new *)m->parts);
    for (size_t i = 0; i < m->naddrs; i++) {
        free((char *)m->addrs[i].address);
        free((char *)m->addrs[i].charset);
        attrs_drop(m->addrs[i].extra, m->addrs[i].nextra);
    }
    free((struct store_mms_addr_new *)m->addrs);
    free((char *)m->peer);
    free((char *)m->subject);
    fields_drop(m->fields, STORE_MMS_NFIELDS);
    attrs_drop(m->extra, m->nextra);
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
        case STORE_SMS: free_sms(&p->sms[i]); break;
        case STORE_MMS: free_mms(&p->mms[i]); break;
        case STORE_CONTACT:
            if (p->vcards) {
                free_card(&p->cards[i]);
            } else {
                free((char *)p->contacts[i].name);
                free((char *)p->contacts[i].number);
                free((char *)p->contacts[i].vcard);
                free((char *)p->contacts[i].tel_types);
                free((char *)p->contacts[i].uid);
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
            /* a card is one contact imported (one person's card, issue 10),
             * however many numbers — rows — it stored; the rows count
             * towards the batch */
            if (cards && results[i] == STORE_OK && added[i].count > 1)
                c->in_batch += (long long)added[i].count - 1;
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
    if (cr != STORE_OK) {
        c->stopped_by = cr;
    } else {
        c->in_batch = 0;
        memset(c->batch_kind, 0, sizeof c->batch_kind);
    }
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

static enum import_next sink_sms(void *arg, const struct store_sms_new *m)
{
    struct import_ctx *c = arg;
    if (!make_room(c, STORE_SMS, false))
        return IMPORT_STOP;
    struct store_sms_new *p = &c->p.sms[c->p.count];
    *p = *m;
    p->peer = dup_or_null(m->peer);
    p->body = xmemdup0(m->body, m->body_len);
    p->phone = dup_or_null(m->phone);
    fields_keep(p->fields, m->fields, STORE_SMS_NFIELDS);
    p->extra = attrs_keep(m->extra, m->nextra);
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
        parts[i] = (struct store_mms_part_new){ .content_type = dup_or_null(in->content_type),
                                                .name = dup_or_null(in->name),
                                                .data = in->len ? (unsigned char *)xmemdup0(in->data, in->len) : NULL,
                                                .len = in->len,
                                                .content_id = dup_or_null(in->content_id),
                                                .content_location = dup_or_null(in->content_location) };
        fields_keep(parts[i].fields, in->fields, STORE_PART_NFIELDS);
        parts[i].extra = attrs_keep(in->extra, in->nextra);
        parts[i].nextra = in->nextra;
        c->p.bytes += (long long)in->len;
    }
    p->parts = parts;
    struct store_mms_addr_new *addrs = m->naddrs ? xcalloc(m->naddrs, sizeof *addrs) : NULL;
    for (size_t i = 0; i < m->naddrs; i++) {
        const struct store_mms_addr_new *a = &m->addrs[i];
        addrs[i] = (struct store_mms_addr_new){ .address = dup_or_null(a->address), .type = a->type,
                                                .charset = dup_or_null(a->charset),
                                                .extra = attrs_keep(a->extra, a->nextra), .nextra = a->nextra };
    }
    p->addrs = addrs;
    fields_keep(p->fields, m->fields, STORE_MMS_NFIELDS);
    p->extra = attrs_keep(m->extra, m->nextra);
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
    p->tel_types = dup_or_null(in->tel_types);
    p->uid = dup_or_null(in->uid);
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
    struct store_mms_addr *addrs = NULL;
    size_t n = 0, na = 0;
    enum store_result res = store_mms_parts(s, uid, m->n, &parts, &n);
    if (res == STORE_OK)
        res = store_mms_addrs(s, uid, m->n, &addrs, &na);
    if (res == STORE_OK)
        export_xml_mms(b, m, parts, n, addrs, na);
    store_mms_parts_free(parts, n);
    store_mms_addrs_free(addrs, na);
    return res;
}

/* A person (issue 10): its card with every number, or its CSV lines. */
static void put_person(struct buf *b, enum archive_format kf, const struct store_person *p)
{
    if (kf == ARCHIVE_CONTACT_VCARD)
        export_vcard_person(b, p);
    else
        export_csv_person(b, p);
}

/* Whether person n is among the first count of done[] (a person named twice
 * by a selection is written once). */
static bool person_done(const long long *done, size_t count, long long n)
{
    for (size_t i = 0; i < count; i++)
        if (done[i] == n)
            return true;
    return false;
}

/* Selected items one by one; missing numbers are skipped. */
static enum store_result export_some(struct store *s, const char *uid, enum archive_format kf, const long long *ns,
                                     size_t count, struct buf *b, long long *written)
{
    enum store_result res = STORE_OK;
    long long *done = xcalloc(count ? count : 1, sizeof *done);
    size_t ndone = 0;
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
            /* a contact's number names its person: one card (or its lines) each */
            struct store_person p = { 0 };
            if ((res = store_contact_person(s, uid, ns[i], &p)) == STORE_OK) {
                if (person_done(done, ndone, p.n)) {
                    res = STORE_NOT_FOUND;   /* written already: not counted again */
                } else {
                    put_person(b, kf, &p);
                    done[ndone++] = p.n;
                }
            }
            store_person_cleanup(&p);
        }
        if (res == STORE_OK)
            (*written)++;
        else if (res == STORE_NOT_FOUND)
            res = STORE_OK;
    }
    free(done);
    return res;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* Not one of the numbers unticked (except sorted). */
static bool wanted(const long long *except, size_t nexcept, long long n)
{
    return nexcept == 0 || bsearch(&n, except, nexcept, sizeof n, cmp_ll) == NULL;
}

/* An export in progress (archive.h): everything that matches m, newest
 * first, a page of EXPORT_PAGE at a time, or a selection written whole at
 * open (bounded by the request's numbers). */
#define EXPORT_PAGE 500

struct archive_export {
    struct store *s;
    char *uid;
    enum archive_format kf;
    struct store_page page;
    char *search;
    long long *ex;        /* the exceptions, sorted */
    size_t nex;
    long long max, written, count;
    bool more;            /* pages still to read */
    struct buf whole;     /* a selection: all of it, handed over by the first call */
};

static bool is_xml(enum archive_format kf) { return kf == ARCHIVE_SMS_XML || kf == ARCHIVE_MMS_XML; }

/* Whether item n goes in (not an exception, not past max), counted if so. */
static bool take(struct archive_export *e, long long n)
{
    if (!wanted(e->ex, e->nex, n) || e->written >= e->max)
        return false;
    e->written++;
    return true;
}

/* The next page of everything that matches into b. */
static enum store_result export_page(struct archive_export *e, struct buf *b)
{
    enum store_result res = STORE_OK;
    size_t got = 0;
    long long last = 0;
    bool more = false;
    if (e->kf == ARCHIVE_SMS_XML || e->kf == ARCHIVE_SMS_CSV) {
        struct store_sms_list l = { 0 };
        if ((res = store_sms_list(e->s, e->uid, &e->page, &l)) == STORE_OK) {
            for (size_t i = 0; i < l.count; i++)
                if (take(e, l.items[i].n))
                    put_sms(b, e->kf, &l.items[i]);
            got = l.count;
            more = l.more;
            last = l.count ? l.items[l.count - 1].n : 0;
        }
        store_sms_list_cleanup(&l);
    } else if (e->kf == ARCHIVE_MMS_XML) {
        struct store_mms_list l = { 0 };
        if ((res = store_mms_list(e->s, e->uid, &e->page, &l)) == STORE_OK) {
            for (size_t i = 0; i < l.count && res == STORE_OK; i++)
                if (take(e, l.items[i].n))
                    res = put_mms(e->s, e->uid, b, &l.items[i]);
            got = l.count;
            more = l.more;
            last = l.count ? l.items[l.count - 1].n : 0;
        }
        store_mms_list_cleanup(&l);
    } else {
        /* people, newest first; upto and except[] name them by their current number */
        struct store_person_list l = { 0 };
        if ((res = store_person_list(e->s, e->uid, &e->page, &l)) == STORE_OK) {
            for (size_t i = 0; i < l.count; i++)
                if (take(e, l.items[i].n))
                    put_person(b, e->kf, &l.items[i]);
            got = l.count;
            more = l.more;
            last = l.count ? l.items[l.count - 1].n : 0;
        }
        store_person_list_cleanup(&l);
    }
    e->more = res == STORE_OK && more && got && e->written < e->max;
    if (got)
        e->page.before_n = last;
    return res;
}

void archive_export_free(struct archive_export *e)
{
    if (e == NULL)
        return;
    free(e->uid);
    free(e->search);
    free(e->ex);
    buf_cleanup(&e->whole);
    free(e);
}

enum store_result archive_export_open(struct store *s, const char *user_id, enum archive_format f,
                                      const long long *ns, size_t count, const struct store_match *m, long long max,
                                      struct archive_export **out)
{
    struct archive_export *e = xcalloc(1, sizeof *e);
    e->s = s;
    e->uid = xstrdup(user_id);
    e->kf = f;
    e->max = max;
    e->count = -1;
    buf_init(&e->whole);
    enum store_result res = STORE_OK;
    if (ns) {
        res = export_some(s, user_id, f, ns, count, &e->whole, &e->written);
        e->count = e->written;
        goto out;
    }
    e->search = m && m->search ? xstrdup(m->search) : NULL;
    e->page = (struct store_page){ .before_n = m && m->upto ? m->upto + 1 : 0, .limit = EXPORT_PAGE,
                                   .search = e->search };
    e->nex = m && m->except ? m->nexcept : 0;
    e->ex = xcalloc(e->nex ? e->nex : 1, sizeof *e->ex);
    if (e->nex) {
        memcpy(e->ex, m->except, e->nex * sizeof *e->ex);
        qsort(e->ex, e->nex, sizeof *e->ex, cmp_ll);
    }
    e->more = max > 0;
    if (is_xml(f)) {
        /* the document says how many it holds before it holds them: what the
         * pages will write, counted first (the same conditions; in the
         * caller's snapshot the same rows) */
        struct store_match all = { 0 };
        res = store_items_count_max(s, user_id, f == ARCHIVE_SMS_XML ? STORE_SMS : STORE_MMS, m ? m : &all,
                                    max < LLONG_MAX ? max : LLONG_MAX - 1, &e->count);
        if (res == STORE_OK && e->count > max)
            e->count = max;
    }
out:
    if (res != STORE_OK) {
        archive_export_free(e);
        return res;
    }
    *out = e;
    return STORE_OK;
}

long long archive_export_count(const struct archive_export *e) { return e->count; }
long long archive_export_written(const struct archive_export *e) { return e->written; }

enum store_result archive_export_next(struct archive_export *e, struct buf *b, bool *done)
{
    enum store_result res = STORE_OK;
    if (e->whole.len) {
        buf_append(b, e->whole.data, e->whole.len);
        buf_cleanup(&e->whole);
        buf_init(&e->whole);
    } else if (e->more) {
        res = export_page(e, b);
    }
    *done = res == STORE_OK && !e->more && e->whole.len == 0;
    return res;
}

void archive_init(void)
{
    import_xml_init();
}

void archive_cleanup(void)
{
    import_xml_cleanup();
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
    struct import_ctx *c = xcalloc(1, sizeof *c);   /* holds a batch of items: not on the stack */
    c->store = s;
    c->user_id = user_id;
    c->stopped_by = STORE_OK;
    struct import_sink store_sink = { sink_sms, sink_mms, sink_contact, sink_card, c };
    enum import_result ir = run_import(f, data, len, &store_sink, &rep);
    if (ir == IMPORT_OK)
        (void)flush_pending(c);   /* the last items of the file */
    drop_pending(c);
    if (c->stopped_by == STORE_OK || c->stopped_by == STORE_NO_SPACE) {
        res = store_tx_commit(s);
        if (res != STORE_OK)
            c->stopped_by = res;
    } else {
        store_tx_rollback(s);
        for (int k = STORE_SMS; k <= STORE_CONTACT; k++) {   /* the open batch is undone */
            c->added -= c->batch_kind[k];
            c->added_kind[k] -= c->batch_kind[k];
        }
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
