/*
 * import_xml — SMS Backup & Restore XML import (see import_xml.h).
 *
 * Mapping: <sms> → an SMS, <mms> with its <part>s (the SMIL layout too, in
 * order) and <addr>s → an MMS, every attribute kept (store.h, migration
 * 009): the ones the archive interprets into their fields (address, body,
 * date and date_sent in milliseconds, type / msg_box, sub; a part's ct,
 * name, cid without its <>, cl, text or base64 data; an address's type), the
 * other published fields as written, and any other attribute as written in
 * file order — with the values of interpreted ones that do not read as they
 * should (a date that is no number). "null" is the app's word for absent in
 * the interpreted text fields; a body "null" is that word.
 */
#include "import_xml.h"

#include <ctype.h>
#include <errno.h>
#include <libxml/xmlreader.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "utf8.h"

#define MAX_DEPTH 8

static bool contains(const char *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (data[i] == needle[0] && memcmp(data + i, needle, n) == 0)
            return true;
    return false;
}

/* ---- surrogate pairs ---- */

/* Parse "&#NNN;" or "&#xHHH;" at p (len bytes left); returns bytes used, 0 if not one. */
static size_t char_ref(const char *p, size_t len, unsigned long *cp)
{
    if (len < 4 || p[0] != '&' || p[1] != '#')
        return 0;
    size_t i = 2;
    int base = 10;
    if (p[i] == 'x' || p[i] == 'X') {
        base = 16;
        i++;
    }
    unsigned long v = 0;
    size_t start = i;
    for (; i < len && i - start < 8; i++) {
        int c = (unsigned char)p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            break;
        v = v * (unsigned long)base + (unsigned long)d;
    }
    if (i == start || i >= len || p[i] != ';')
        return 0;
    *cp = v;
    return i + 1;
}

size_t import_xml_fix_surrogates(char *data, size_t len)
{
    size_t r = 0, w = 0;
    while (r < len) {
        unsigned long hi, lo;
        size_t n1 = data[r] == '&' ? char_ref(data + r, len - r, &hi) : 0;
        if (n1 && hi >= 0xD800 && hi <= 0xDFFF) {
            size_t n2 = 0;
            uint32_t cp = 0xFFFD;
            if (hi <= 0xDBFF) {
                n2 = char_ref(data + r + n1, len - r - n1, &lo);
                if (n2 && lo >= 0xDC00 && lo <= 0xDFFF)
                    cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                else
                    n2 = 0;   /* a lone high surrogate: the next reference stays as it is */
            }
            char out[4];
            size_t k = utf8_encode(cp, out);
            memcpy(data + w, out, k);   /* k ≤ n1 + n2: a reference is at least 8 bytes */
            w += k;
            r += n1 + n2;
            continue;
        }
        data[w++] = data[r++];
    }
    return w;
}

/* ---- the reader ---- */

/* The attributes of one element as they came: the known ones go to their
 * fields, every other one is kept (extra); bad: the element cannot be
 * stored as it is (a value too long, too many attributes). */
struct kept {
    char *name[LIMIT_ATTRS_MAX], *value[LIMIT_ATTRS_MAX];
    struct store_attr_new attr[LIMIT_ATTRS_MAX];
    size_t n;
};

static void kept_reset(struct kept *k)
{
    for (size_t i = 0; i < k->n; i++) {
        free(k->name[i]);
        free(k->value[i]);
    }
    k->n = 0;
}

static bool kept_add(struct kept *k, const char *name, const char *value)
{
    if (k->n >= LIMIT_ATTRS_MAX || strlen(name) > LIMIT_ATTR_NAME_MAX || strlen(value) > LIMIT_ATTR_VALUE_MAX)
        return false;
    k->name[k->n] = xstrdup(name);
    k->value[k->n] = xstrdup(value);
    k->attr[k->n] = (struct store_attr_new){ k->name[k->n], k->value[k->n] };
    k->n++;
    return true;
}

struct part {
    char *ct, *name, *cid, *cl, *text, *b64;
    char *fields[STORE_PART_NFIELDS];
    struct kept kept;
    unsigned char *data;
    size_t len;
};

struct addr {
    char *address, *charset;
    int type;
    struct kept kept;
};

struct state {
    xmlTextReaderPtr reader;
    const struct import_sink *sink;
    struct import_report *rep;
    bool in_mms;
    int mms_depth;
    bool mms_bad;
    /* the <mms> being read */
    struct store_mms_new mms;
    char *mms_peer, *mms_subject;
    char *mms_fields[STORE_MMS_NFIELDS];
    struct kept mms_kept;
    struct part parts[LIMIT_MMS_PARTS_MAX];
    size_t nparts;
    struct addr addrs[LIMIT_MMS_ADDRS_MAX];
    size_t naddrs;
    char err[200];
    int err_line;
};

static void on_error(void *arg, const char *msg, xmlParserSeverities severity, xmlTextReaderLocatorPtr loc)
{
    struct state *st = arg;
    if (st->err[0] || (severity != XML_PARSER_SEVERITY_ERROR && severity != XML_PARSER_SEVERITY_VALIDITY_ERROR))
        return;
    snprintf(st->err, sizeof st->err, "%s", msg);
    size_t n = strlen(st->err);
    while (n && (st->err[n - 1] == '\n' || st->err[n - 1] == ' '))
        st->err[--n] = '\0';
    st->err_line = xmlTextReaderLocatorLineNumber(loc);
}

static bool is_null(const char *v)
{
    return strcmp(v, "null") == 0;
}

/* A whole number in [min, max] written as the app writes numbers — only in
 * the form it will be written back in ("05" or "+5" are not: they are kept
 * as written instead). */
static bool read_ll(const char *v, long long min, long long max, long long *out)
{
    char *end, again[24];
    if (!*v || isspace((unsigned char)*v))
        return false;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*end || errno || x < min || x > max)
        return false;
    snprintf(again, sizeof again, "%lld", x);
    if (strcmp(again, v) != 0)
        return false;
    *out = x;
    return true;
}

/* One attribute of an element: its name, its value, and what to do with it.
 * Returns false when the element cannot be kept as it is. */
typedef bool attr_fn(struct state *st, void *item, const char *name, const char *value);

/* Walk the current element's attributes (namespace declarations and
 * prefixed names, which the app never writes, are passed over). */
static bool each_attr(struct state *st, attr_fn *fn, void *item)
{
    bool ok = true;
    if (xmlTextReaderMoveToFirstAttribute(st->reader) != 1)
        return true;
    do {
        const char *name = (const char *)xmlTextReaderConstName(st->reader);
        const char *value = (const char *)xmlTextReaderConstValue(st->reader);
        if (name == NULL || value == NULL || strchr(name, ':') || strcmp(name, "xmlns") == 0)
            continue;
        if (!fn(st, item, name, value))
            ok = false;
    } while (xmlTextReaderMoveToNextAttribute(st->reader) == 1);
    xmlTextReaderMoveToElement(st->reader);
    return ok;
}

/* A field kept as written, if name is one of table's. */
static int field_of(const char *const *table, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(table[i], name) == 0)
            return i;
    return -1;
}

static bool set_field(char **slot, const char *value)
{
    if (strlen(value) > LIMIT_ATTR_VALUE_MAX)
        return false;
    free(*slot);
    *slot = xstrdup(value);
    return true;
}

/* A date in ms into seconds and ms; anything else (a 0 too: no date) is kept
 * as written. */
static bool date_attr(struct kept *k, const char *name, const char *value, time_t *sec, int *ms)
{
    long long v;
    if (!read_ll(value, 1, 1LL << 50, &v))
        return kept_add(k, name, value);
    *sec = (time_t)(v / 1000);
    *ms = (int)(v % 1000);
    return true;
}

static bool type_attr(struct kept *k, const char *name, const char *value, int *type)
{
    long long v;
    if (!read_ll(value, 1, STORE_TYPE_MAX, &v))
        return kept_add(k, name, value);
    *type = (int)v;
    return true;
}

static bool ms_attr(struct kept *k, const char *name, const char *value, long long *ms)
{
    if (!read_ll(value, 0, 1LL << 50, ms))
        return kept_add(k, name, value);
    return true;
}

/* What <sms> and <mms> read alike: the date, the direction (dir: "type" or
 * "msg_box"), date_sent, the published fields kept as written, and every
 * other attribute kept. */
struct dated {
    const char *dir;
    time_t *sent_at;
    int *sent_ms, *type;
    long long *date_sent_ms;
    char **fields;
    const char *const *names;
    int nfields;
    struct kept *kept;
};

static bool dated_attr(const struct dated *d, const char *name, const char *value)
{
    int f;
    if (strcmp(name, "date") == 0)
        return date_attr(d->kept, name, value, d->sent_at, d->sent_ms);
    if (strcmp(name, d->dir) == 0)
        return type_attr(d->kept, name, value, d->type);
    if (strcmp(name, "date_sent") == 0)
        return ms_attr(d->kept, name, value, d->date_sent_ms);
    if ((f = field_of(d->names, d->nfields, name)) >= 0)
        return set_field(&d->fields[f], value);
    return kept_add(d->kept, name, value);
}

/* ---- <sms> ---- */

struct sms_item {
    struct store_sms_new m;
    char *peer, *body;
    char *fields[STORE_SMS_NFIELDS];
    struct kept kept;
};

static bool sms_attr(struct state *st, void *item, const char *name, const char *value)
{
    struct sms_item *it = item;
    (void)st;
    if (strcmp(name, "address") == 0)
        return set_field(&it->peer, is_null(value) ? "" : value);
    if (strcmp(name, "body") == 0) {   /* the text as written: a body "null" is the word */
        free(it->body);
        it->body = xstrdup(value);
        return true;
    }
    const struct dated d = { "type", &it->m.sent_at, &it->m.sent_ms, &it->m.type, &it->m.date_sent_ms, it->fields,
                             store_sms_fields, STORE_SMS_NFIELDS, &it->kept };
    return dated_attr(&d, name, value);
}

static enum import_next do_sms(struct state *st)
{
    struct sms_item it = { 0 };
    enum import_next rc = IMPORT_GO_ON;
    bool ok = each_attr(st, sms_attr, &it);
    size_t blen = it.body ? strlen(it.body) : 0;
    if (!ok || blen == 0 || blen > LIMIT_SMS_BODY_MAX || (it.peer && strlen(it.peer) > LIMIT_PEER_MAX)) {
        st->rep->skipped++;
        goto out;
    }
    it.m.peer = it.peer ? it.peer : "";
    it.m.body = it.body;
    it.m.body_len = blen;
    for (int f = 0; f < STORE_SMS_NFIELDS; f++)
        it.m.fields[f] = it.fields[f];
    it.m.extra = it.kept.attr;
    it.m.nextra = it.kept.n;
    it.m.source = "import";
    it.m.skip_duplicate = true;
    st->rep->items++;
    st->rep->sms++;
    if (st->sink->sms)
        rc = st->sink->sms(st->sink->ctx, &it.m);
out:
    free(it.peer);
    free(it.body);
    for (int f = 0; f < STORE_SMS_NFIELDS; f++)
        free(it.fields[f]);
    kept_reset(&it.kept);
    return rc;
}

/* ---- <mms> with its <part>s and <addr>s ---- */

static void part_reset(struct part *p)
{
    free(p->ct);
    free(p->name);
    free(p->cid);
    free(p->cl);
    free(p->text);
    free(p->b64);
    free(p->data);
    for (int f = 0; f < STORE_PART_NFIELDS; f++)
        free(p->fields[f]);
    kept_reset(&p->kept);
    memset(p, 0, sizeof *p);
}

static void mms_reset(struct state *st)
{
    for (size_t i = 0; i < st->nparts; i++)
        part_reset(&st->parts[i]);
    for (size_t i = 0; i < st->naddrs; i++) {
        free(st->addrs[i].address);
        free(st->addrs[i].charset);
        kept_reset(&st->addrs[i].kept);
        memset(&st->addrs[i], 0, sizeof st->addrs[i]);
    }
    free(st->mms_peer);
    free(st->mms_subject);
    for (int f = 0; f < STORE_MMS_NFIELDS; f++) {
        free(st->mms_fields[f]);
        st->mms_fields[f] = NULL;
    }
    kept_reset(&st->mms_kept);
    st->mms_peer = st->mms_subject = NULL;
    memset(&st->mms, 0, sizeof st->mms);
    st->nparts = 0;
    st->naddrs = 0;
    st->in_mms = false;
    st->mms_bad = false;
}

static bool mms_attr(struct state *st, void *item, const char *name, const char *value)
{
    (void)item;
    if (strcmp(name, "address") == 0)
        return set_field(&st->mms_peer, is_null(value) ? "" : value);
    if (strcmp(name, "sub") == 0)
        return set_field(&st->mms_subject, is_null(value) ? "" : value);
    const struct dated d = { "msg_box", &st->mms.sent_at, &st->mms.sent_ms, &st->mms.msg_box, &st->mms.date_sent_ms,
                             st->mms_fields, store_mms_fields, STORE_MMS_NFIELDS, &st->mms_kept };
    return dated_attr(&d, name, value);
}

static void mms_begin(struct state *st)
{
    mms_reset(st);
    st->in_mms = true;
    st->mms_depth = xmlTextReaderDepth(st->reader);
    if (!each_attr(st, mms_attr, NULL))
        st->mms_bad = true;
}

static bool part_attr(struct state *st, void *item, const char *name, const char *value)
{
    struct part *p = item;
    int f;
    (void)st;
    if (strcmp(name, "ct") == 0 && !is_null(value) && *value)
        return set_field(&p->ct, value);
    if (strcmp(name, "name") == 0)
        return set_field(&p->name, is_null(value) ? "" : value);
    if (strcmp(name, "cl") == 0)
        return set_field(&p->cl, is_null(value) ? "" : value);
    if (strcmp(name, "cid") == 0) {
        /* a Content-ID is written <id>; the store keeps the id (what cid: URLs name) */
        size_t n = strlen(value);
        if (is_null(value))
            return set_field(&p->cid, "");
        if (n >= 2 && value[0] == '<' && value[n - 1] == '>') {
            free(p->cid);
            p->cid = xmemdup0(value + 1, n - 2);
            return true;
        }
        return kept_add(&p->kept, name, value);   /* as written, brackets or not */
    }
    if (strcmp(name, "text") == 0) {
        if (is_null(value))
            return true;
        free(p->text);
        p->text = xstrdup(value);
        return true;
    }
    if (strcmp(name, "data") == 0) {
        free(p->b64);
        p->b64 = xstrdup(value);
        return true;
    }
    if ((f = field_of(store_part_fields, STORE_PART_NFIELDS, name)) >= 0)
        return set_field(&p->fields[f], value);
    return kept_add(&p->kept, name, value);   /* a ct "null" too: written back as it came */
}

static void mms_part(struct state *st)
{
    if (st->nparts >= LIMIT_MMS_PARTS_MAX) {
        st->mms_bad = true;
        return;
    }
    struct part *p = &st->parts[st->nparts++];
    if (!each_attr(st, part_attr, p)) {
        st->mms_bad = true;
        return;
    }
    if ((p->ct && strlen(p->ct) > LIMIT_TEXT_FIELD_MAX) || (p->name && strlen(p->name) > LIMIT_TEXT_FIELD_MAX) ||
        (p->cid && strlen(p->cid) > LIMIT_TEXT_FIELD_MAX) || (p->cl && strlen(p->cl) > LIMIT_TEXT_FIELD_MAX)) {
        st->mms_bad = true;
        return;
    }
    if (p->b64) {
        size_t cap = strlen(p->b64) / 4 * 3 + 3, len = 0;
        p->data = xmalloc(cap);
        if (sodium_base642bin(p->data, cap, p->b64, strlen(p->b64), "\r\n \t", &len, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0) {
            st->mms_bad = true;
            return;
        }
        p->len = len;
    } else if (p->text) {
        p->len = strlen(p->text);
        p->data = (unsigned char *)p->text;
        p->text = NULL;
    }   /* else a part without content: kept, with no bytes */
}

static bool addr_attr(struct state *st, void *item, const char *name, const char *value)
{
    struct addr *a = item;
    (void)st;
    if (strcmp(name, "address") == 0)
        return set_field(&a->address, is_null(value) ? "" : value);
    if (strcmp(name, "type") == 0)
        return type_attr(&a->kept, name, value, &a->type);
    if (strcmp(name, "charset") == 0)
        return set_field(&a->charset, value);
    return kept_add(&a->kept, name, value);
}

static void mms_addr(struct state *st)
{
    if (st->naddrs >= LIMIT_MMS_ADDRS_MAX) {
        st->mms_bad = true;
        return;
    }
    struct addr *a = &st->addrs[st->naddrs++];
    if (!each_attr(st, addr_attr, a) || (a->address && strlen(a->address) > LIMIT_PEER_MAX))
        st->mms_bad = true;
}

static enum import_next mms_end(struct state *st)
{
    enum import_next rc = IMPORT_GO_ON;
    size_t total = 0;
    for (size_t i = 0; i < st->nparts; i++)
        total += st->parts[i].len;
    if (st->mms_bad || st->nparts == 0 || total > LIMIT_MMS_MAX ||
        (st->mms_peer && strlen(st->mms_peer) > LIMIT_PEER_MAX) ||
        (st->mms_subject && strlen(st->mms_subject) > LIMIT_TEXT_FIELD_MAX)) {
        st->rep->skipped++;
        goto out;
    }
    struct store_mms_part_new parts[LIMIT_MMS_PARTS_MAX];
    struct store_mms_addr_new *addrs = xcalloc(st->naddrs ? st->naddrs : 1, sizeof *addrs);
    for (size_t i = 0; i < st->nparts; i++) {
        struct part *p = &st->parts[i];
        parts[i] = (struct store_mms_part_new){ .content_type = p->ct ? p->ct : "application/octet-stream",
                                                .name = p->name, .data = p->data, .len = p->len,
                                                .content_id = p->cid, .content_location = p->cl,
                                                .extra = p->kept.attr, .nextra = p->kept.n };
        for (int f = 0; f < STORE_PART_NFIELDS; f++)
            parts[i].fields[f] = p->fields[f];
    }
    for (size_t i = 0; i < st->naddrs; i++)
        addrs[i] = (struct store_mms_addr_new){ .address = st->addrs[i].address, .type = st->addrs[i].type,
                                                .charset = st->addrs[i].charset, .extra = st->addrs[i].kept.attr,
                                                .nextra = st->addrs[i].kept.n };
    struct store_mms_new *m = &st->mms;
    m->peer = st->mms_peer ? st->mms_peer : "";
    m->subject = st->mms_subject;
    m->source = "import";
    m->parts = parts;
    m->nparts = st->nparts;
    m->addrs = addrs;
    m->naddrs = st->naddrs;
    for (int f = 0; f < STORE_MMS_NFIELDS; f++)
        m->fields[f] = st->mms_fields[f];
    m->extra = st->mms_kept.attr;
    m->nextra = st->mms_kept.n;
    m->skip_duplicate = true;
    st->rep->items++;
    st->rep->mms++;
    if (st->sink->mms)
        rc = st->sink->mms(st->sink->ctx, m);
    free(addrs);
out:
    mms_reset(st);
    return rc;
}

static void malformed(struct state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void malformed(struct state *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->rep->message, sizeof st->rep->message, fmt, ap);
    va_end(ap);
}

void import_xml_init(void)
{
    xmlInitParser();
}

void import_xml_cleanup(void)
{
    xmlCleanupParser();
}

enum import_result import_xml(char *data, size_t len, const struct import_sink *sink, struct import_report *rep)
{
    struct state *st = NULL;
    enum import_result res = IMPORT_MALFORMED;
    bool root_seen = false;
    memset(rep, 0, sizeof *rep);
    if (len > INT32_MAX) {
        snprintf(rep->message, sizeof rep->message, "the file is too large");
        return IMPORT_MALFORMED;
    }
    /* Refuse DTDs before libxml2 sees them: no entity can be declared, so none expands. */
    if (contains(data, len, "<!DOCTYPE") || contains(data, len, "<!ENTITY")) {
        snprintf(rep->message, sizeof rep->message, "documents with a DTD or entities are not accepted");
        return IMPORT_MALFORMED;
    }
    len = import_xml_fix_surrogates(data, len);
    st = xcalloc(1, sizeof *st);   /* a whole MMS's parts and addresses: not on the stack */
    st->sink = sink;
    st->rep = rep;
    st->reader = xmlReaderForMemory(data, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                                  XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (st->reader == NULL) {
        snprintf(rep->message, sizeof rep->message, "cannot read the file as XML");
        free(st);
        return IMPORT_MALFORMED;
    }
    xmlTextReaderSetErrorHandler(st->reader, on_error, st);
    int ret;
    while ((ret = xmlTextReaderRead(st->reader)) == 1) {
        int type = xmlTextReaderNodeType(st->reader);
        int depth = xmlTextReaderDepth(st->reader);
        const char *name = (const char *)xmlTextReaderConstLocalName(st->reader);
        if (type == XML_READER_TYPE_DOCUMENT_TYPE || type == XML_READER_TYPE_ENTITY_REFERENCE ||
            type == XML_READER_TYPE_ENTITY) {
            malformed(st, "documents with a DTD or entities are not accepted");
            goto out;
        }
        if (depth > MAX_DEPTH) {
            malformed(st, "line %d: elements nested too deeply", xmlTextReaderGetParserLineNumber(st->reader));
            goto out;
        }
        if (type == XML_READER_TYPE_ELEMENT) {
            if (depth == 0) {
                if (strcmp(name, "smses") != 0) {
                    malformed(st, "this is not an SMS Backup & Restore file (root element <%.40s>)", name);
                    goto out;
                }
                root_seen = true;
                continue;
            }
            enum import_next rc = IMPORT_GO_ON;
            if (depth == 1 && strcmp(name, "sms") == 0) {
                rc = do_sms(st);
            } else if (depth == 1 && strcmp(name, "mms") == 0) {
                mms_begin(st);
                if (xmlTextReaderIsEmptyElement(st->reader))
                    rc = mms_end(st);
            } else if (st->in_mms && strcmp(name, "part") == 0) {
                mms_part(st);
            } else if (st->in_mms && strcmp(name, "addr") == 0) {
                mms_addr(st);
            }
            if (rc == IMPORT_STOP) {
                res = IMPORT_STOPPED;
                goto out;
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT && st->in_mms && depth == st->mms_depth &&
                   strcmp(name, "mms") == 0) {
            if (mms_end(st) == IMPORT_STOP) {
                res = IMPORT_STOPPED;
                goto out;
            }
        }
    }
    if (ret != 0) {
        if (st->err[0])
            malformed(st, "line %d: %s", st->err_line, st->err);
        else
            malformed(st, "line %d: the XML is not well formed", xmlTextReaderGetParserLineNumber(st->reader));
        goto out;
    }
    if (!root_seen) {
        malformed(st, "the file holds no <smses> element");
        goto out;
    }
    res = IMPORT_OK;
out:
    mms_reset(st);
    xmlFreeTextReader(st->reader);
    free(st);
    return res;
}
