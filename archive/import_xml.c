/*
 * import_xml — SMS Backup & Restore XML import (see import_xml.h).
 *
 * Mapping: <sms address date(ms) body> → an SMS; <mms address date sub>
 * with its <part ct name|cl text|data(base64)> → an MMS (SMIL parts are
 * layout, not content, and are dropped). "null" is the app's word for
 * absent. Dates are milliseconds since the epoch.
 */
#include "import_xml.h"

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

struct part {
    char *ct, *name;
    unsigned char *data;
    size_t len;
};

struct state {
    xmlTextReaderPtr reader;
    const struct import_sink *sink;
    struct import_report *rep;
    bool in_mms;
    int mms_depth;
    char *mms_peer, *mms_subject;
    long long mms_date;
    struct part parts[LIMIT_MMS_PARTS_MAX];
    size_t nparts;
    bool mms_bad;
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

/* Attribute value or NULL when absent or "null"; malloc'd (free()). */
static char *attr(struct state *st, const char *name)
{
    xmlChar *v = xmlTextReaderGetAttribute(st->reader, (const xmlChar *)name);
    if (v == NULL)
        return NULL;
    char *r = NULL;
    if (strcmp((char *)v, "null") != 0)
        r = xstrdup((char *)v);
    xmlFree(v);
    return r;
}

static long long attr_date(struct state *st, const char *name)
{
    char *v = attr(st, name);
    long long t = 0;
    if (v) {
        char *end;
        long long ms = strtoll(v, &end, 10);
        if (*end == '\0' && ms > 0)
            t = ms / 1000;
    }
    free(v);
    return t;
}

static enum import_next do_sms(struct state *st)
{
    char *peer = attr(st, "address"), *body = attr(st, "body");
    enum import_next rc = IMPORT_GO_ON;
    size_t blen = body ? strlen(body) : 0;
    if (blen == 0 || blen > LIMIT_SMS_BODY_MAX || (peer && strlen(peer) > LIMIT_PEER_MAX)) {
        st->rep->skipped++;
        goto out;
    }
    struct store_sms_new m = { .peer = peer ? peer : "", .body = body, .body_len = blen,
                               .sent_at = (time_t)attr_date(st, "date"), .source = "import",
                               .skip_duplicate = true };
    st->rep->items++;
    if (st->sink->sms)
        rc = st->sink->sms(st->sink->ctx, &m);
out:
    free(peer);
    free(body);
    return rc;
}

static void mms_reset(struct state *st)
{
    for (size_t i = 0; i < st->nparts; i++) {
        free(st->parts[i].ct);
        free(st->parts[i].name);
        free(st->parts[i].data);
    }
    free(st->mms_peer);
    free(st->mms_subject);
    st->mms_peer = st->mms_subject = NULL;
    st->nparts = 0;
    st->in_mms = false;
    st->mms_bad = false;
}

static void mms_begin(struct state *st)
{
    mms_reset(st);
    st->in_mms = true;
    st->mms_depth = xmlTextReaderDepth(st->reader);
    st->mms_peer = attr(st, "address");
    st->mms_subject = attr(st, "sub");
    st->mms_date = attr_date(st, "date");
}

static void mms_part(struct state *st)
{
    char *ct = attr(st, "ct"), *name = attr(st, "cl"), *text = NULL, *b64 = NULL;
    if (name == NULL)
        name = attr(st, "name");
    if (ct == NULL || strcasecmp(ct, "application/smil") == 0)
        goto out;
    if (st->nparts >= LIMIT_MMS_PARTS_MAX || strlen(ct) > LIMIT_TEXT_FIELD_MAX ||
        (name && strlen(name) > LIMIT_TEXT_FIELD_MAX)) {
        st->mms_bad = true;
        goto out;
    }
    struct part *p = &st->parts[st->nparts];
    if ((b64 = attr(st, "data")) != NULL) {
        size_t cap = strlen(b64) / 4 * 3 + 3, len = 0;
        p->data = xmalloc(cap);
        if (sodium_base642bin(p->data, cap, b64, strlen(b64), "\r\n \t", &len, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0) {
            free(p->data);
            p->data = NULL;
            st->mms_bad = true;
            goto out;
        }
        p->len = len;
    } else if ((text = attr(st, "text")) != NULL) {
        p->len = strlen(text);
        p->data = (unsigned char *)text;
        text = NULL;
    } else {
        goto out;   /* a part without content */
    }
    p->ct = ct;
    p->name = name;
    ct = name = NULL;
    st->nparts++;
out:
    free(ct);
    free(name);
    free(text);
    free(b64);
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
    for (size_t i = 0; i < st->nparts; i++)
        parts[i] = (struct store_mms_part_new){ .content_type = st->parts[i].ct, .name = st->parts[i].name,
                                                .data = st->parts[i].data, .len = st->parts[i].len };
    struct store_mms_new m = { .peer = st->mms_peer ? st->mms_peer : "", .subject = st->mms_subject,
                               .sent_at = (time_t)st->mms_date, .source = "import", .parts = parts,
                               .nparts = st->nparts, .skip_duplicate = true };
    st->rep->items++;
    if (st->sink->mms)
        rc = st->sink->mms(st->sink->ctx, &m);
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

enum import_result import_xml(char *data, size_t len, const struct import_sink *sink, struct import_report *rep)
{
    struct state st = { 0 };
    enum import_result res = IMPORT_MALFORMED;
    bool root_seen = false;
    memset(rep, 0, sizeof *rep);
    st.sink = sink;
    st.rep = rep;
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
    st.reader = xmlReaderForMemory(data, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                                  XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (st.reader == NULL) {
        snprintf(rep->message, sizeof rep->message, "cannot read the file as XML");
        return IMPORT_MALFORMED;
    }
    xmlTextReaderSetErrorHandler(st.reader, on_error, &st);
    int ret;
    while ((ret = xmlTextReaderRead(st.reader)) == 1) {
        int type = xmlTextReaderNodeType(st.reader);
        int depth = xmlTextReaderDepth(st.reader);
        const char *name = (const char *)xmlTextReaderConstLocalName(st.reader);
        if (type == XML_READER_TYPE_DOCUMENT_TYPE || type == XML_READER_TYPE_ENTITY_REFERENCE ||
            type == XML_READER_TYPE_ENTITY) {
            malformed(&st, "documents with a DTD or entities are not accepted");
            goto out;
        }
        if (depth > MAX_DEPTH) {
            malformed(&st, "line %d: elements nested too deeply", xmlTextReaderGetParserLineNumber(st.reader));
            goto out;
        }
        if (type == XML_READER_TYPE_ELEMENT) {
            if (depth == 0) {
                if (strcmp(name, "smses") != 0) {
                    malformed(&st, "this is not an SMS Backup & Restore file (root element <%.40s>)", name);
                    goto out;
                }
                root_seen = true;
                continue;
            }
            enum import_next rc = IMPORT_GO_ON;
            if (depth == 1 && strcmp(name, "sms") == 0) {
                rc = do_sms(&st);
            } else if (depth == 1 && strcmp(name, "mms") == 0) {
                mms_begin(&st);
                if (xmlTextReaderIsEmptyElement(st.reader))
                    rc = mms_end(&st);
            } else if (st.in_mms && strcmp(name, "part") == 0) {
                mms_part(&st);
            }
            if (rc == IMPORT_STOP) {
                res = IMPORT_STOPPED;
                goto out;
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT && st.in_mms && depth == st.mms_depth &&
                   strcmp(name, "mms") == 0) {
            if (mms_end(&st) == IMPORT_STOP) {
                res = IMPORT_STOPPED;
                goto out;
            }
        }
    }
    if (ret != 0) {
        if (st.err[0])
            malformed(&st, "line %d: %s", st.err_line, st.err);
        else
            malformed(&st, "line %d: the XML is not well formed", xmlTextReaderGetParserLineNumber(st.reader));
        goto out;
    }
    if (!root_seen) {
        malformed(&st, "the file holds no <smses> element");
        goto out;
    }
    res = IMPORT_OK;
out:
    mms_reset(&st);
    xmlFreeTextReader(st.reader);
    return res;
}
