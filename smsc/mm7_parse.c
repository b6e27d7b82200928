/*
 * mm7_parse — MM7 SOAP reader (see mm7_parse.h): GMime for MIME, libxml2
 * for the envelope.
 */
#include "mm7_parse.h"

#include <gmime/gmime.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

#define MAX_RECIPIENTS 64

void mm7_parse_init(void)
{
    g_mime_init();
    xmlInitParser();
}

void mm7_msg_cleanup(struct mm7_msg *m)
{
    size_t i;
    for (i = 0; i < m->nrecipients; i++)
        free(m->recipients[i]);
    free(m->recipients);
    free(m->subject);
    mms_pdu_cleanup(&m->content);
    memset(m, 0, sizeof *m);
}

/* ---- XML ----------------------------------------------------------------------- */

static bool named(const xmlNode *n, const char *local)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0;
}

static xmlNode *child(xmlNode *n, const char *local)
{
    xmlNode *c;
    for (c = n ? n->children : NULL; c; c = c->next)
        if (named(c, local))
            return c;
    return NULL;
}

static xmlNode *first_element(xmlNode *n)
{
    xmlNode *c;
    for (c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

/* The trimmed text of n into out (cap). */
static void text_of(xmlNode *n, char *out, size_t cap)
{
    xmlChar *t = xmlNodeGetContent(n);
    const char *s = t ? (const char *)t : "";
    size_t len;

    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
                       s[len - 1] == '\n'))
        len--;
    snprintf(out, cap, "%.*s", (int)len, s);
    xmlFree(t);
}

/* An address element: <Number>, <ShortCode>, <RFC2822Address> inside, or
 * (MM7 5.1.0) its own text. */
static void address_of(xmlNode *n, char *out, size_t cap)
{
    xmlNode *c;
    for (c = n->children; c; c = c->next)
        if (named(c, "Number") || named(c, "ShortCode") || named(c, "RFC2822Address")) {
            text_of(c, out, cap);
            return;
        }
    text_of(n, out, cap);
}

static void add_recipients(struct mm7_msg *m, xmlNode *n)
{
    xmlNode *c;
    for (c = n->children; c; c = c->next) {
        char v[160];
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (named(c, "Number") || named(c, "ShortCode") || named(c, "RFC2822Address")) {
            if (m->nrecipients >= MAX_RECIPIENTS)
                return;
            text_of(c, v, sizeof v);
            m->recipients = xrealloc(m->recipients, (m->nrecipients + 1) * sizeof *m->recipients);
            m->recipients[m->nrecipients++] = xstrdup(v);
        } else {
            add_recipients(m, c); /* To, Cc, Bcc */
        }
    }
}

/* Every field this module reads, by local name, anywhere under n. */
static void walk(struct mm7_msg *m, xmlNode *n, int depth)
{
    xmlNode *c;
    char v[256];

    if (depth > 16)
        return;
    for (c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (named(c, "MM7Version")) {
            text_of(c, m->version, sizeof m->version);
        } else if (named(c, "StatusCode")) {
            text_of(c, v, sizeof v);
            m->status = atoi(v);
        } else if (named(c, "StatusText")) {
            text_of(c, m->status_text, sizeof m->status_text);
        } else if (named(c, "MessageID")) {
            text_of(c, m->message_id, sizeof m->message_id);
        } else if (named(c, "Subject")) {
            xmlChar *t = xmlNodeGetContent(c);
            free(m->subject);
            m->subject = xstrdup(t ? (const char *)t : "");
            xmlFree(t);
        } else if (named(c, "DeliveryReport")) {
            text_of(c, v, sizeof v);
            m->delivery_report = strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0;
        } else if (named(c, "Content")) {
            xmlChar *href = xmlGetProp(c, (const xmlChar *)"href");
            snprintf(m->content_href, sizeof m->content_href, "%s", href ? (char *)href : "");
            xmlFree(href);
        } else if (named(c, "Recipients") || named(c, "Recipient")) {
            add_recipients(m, c);
        } else if (named(c, "SenderAddress") || named(c, "Sender")) {
            address_of(c, m->sender, sizeof m->sender);
        } else {
            walk(m, c, depth + 1); /* SenderIdentification, Status, ... */
        }
    }
}

static int read_envelope(struct mm7_msg *m, const char *xml, size_t len, const char *charset,
                         char *err, size_t errlen)
{
    xmlDoc *doc = xmlReadMemory(xml, (int)len, "mm7.xml", charset ? charset : "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNode *root, *body, *el, *hdr, *tid;
    int rc = 2007;

    if (!doc) {
        snprintf(err, errlen, "SOAP envelope is not well-formed XML");
        goto out;
    }
    if (doc->intSubset || doc->extSubset) {
        snprintf(err, errlen, "DOCTYPE in a SOAP message");
        goto out;
    }
    root = xmlDocGetRootElement(doc);
    if (!root || !named(root, "Envelope") || !(body = child(root, "Body")) ||
        !(el = first_element(body))) {
        snprintf(err, errlen, "no SOAP Envelope/Body element");
        goto out;
    }
    if ((hdr = child(root, "Header")) && (tid = child(hdr, "TransactionID")))
        text_of(tid, m->transaction_id, sizeof m->transaction_id);
    snprintf(m->kind, sizeof m->kind, "%s", (const char *)el->name);
    if (named(el, "Fault")) {
        xmlNode *fs = child(el, "faultstring"), *detail = child(el, "detail"), *e;
        if (fs)
            text_of(fs, m->status_text, sizeof m->status_text);
        if (detail && (e = first_element(detail)) != NULL) {
            if (e->ns && e->ns->href)
                snprintf(m->ns, sizeof m->ns, "%s", (const char *)e->ns->href);
            walk(m, e, 0);
        }
        if (m->status == 0 && fs) /* Mbuni reads a bare number here too */
            m->status = atoi(m->status_text);
    } else {
        if (el->ns && el->ns->href)
            snprintf(m->ns, sizeof m->ns, "%s", (const char *)el->ns->href);
        walk(m, el, 0);
    }
    rc = 0;
out:
    xmlFreeDoc(doc);
    return rc;
}

/* ---- MIME ---------------------------------------------------------------------- */

static GByteArray *decoded(GMimePart *part)
{
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    GMimeStream *mem = g_mime_stream_mem_new();
    GByteArray *out = g_byte_array_new();

    if (w)
        g_mime_data_wrapper_write_to_stream(w, mem);
    g_byte_array_append(out, g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem))->data,
                        g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem))->len);
    g_object_unref(mem);
    return out;
}

/* The MM's leaves into m->content.parts. */
static int add_mm(struct mm7_msg *m, GMimeObject *obj, int depth, char *err, size_t errlen)
{
    if (GMIME_IS_MULTIPART(obj)) {
        int i, n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
        if (depth >= MMS_PDU_MAX_DEPTH) {
            snprintf(err, errlen, "multipart nested deeper than %d", MMS_PDU_MAX_DEPTH);
            return 2007;
        }
        for (i = 0; i < n; i++) {
            int rc = add_mm(m, g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), depth + 1, err,
                            errlen);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (!GMIME_IS_PART(obj))
        return 0; /* message/rfc822 and the like: not a part of an MM */
    if (m->content.nparts >= MMS_PDU_MAX_PARTS) {
        snprintf(err, errlen, "more than %d parts", MMS_PDU_MAX_PARTS);
        return 2007;
    }
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    char *type = g_mime_content_type_get_mime_type(ct);
    const char *cs = g_mime_content_type_get_parameter(ct, "charset");
    const char *cid = g_mime_object_get_content_id(obj);
    const char *loc = g_mime_part_get_content_location(GMIME_PART(obj));
    const char *name = g_mime_part_get_filename(GMIME_PART(obj));
    char idbuf[300], *lower = g_ascii_strdown(type, -1), *lcs = cs ? g_ascii_strdown(cs, -1) : NULL;
    GByteArray *data = decoded(GMIME_PART(obj));

    if (cid)
        snprintf(idbuf, sizeof idbuf, "<%s>", cid);
    mms_pdu_add_part(&m->content, lower, lcs, name, cid ? idbuf : NULL, loc, data->data, data->len);
    g_byte_array_unref(data);
    g_free(type);
    g_free(lower);
    g_free(lcs);
    return 0;
}

/* The part a href names: by Content-ID (href with or without "cid:", ids
 * with or without <>), else by Content-Location. */
static GMimeObject *by_href(GMimeMultipart *mp, const char *href, GMimeObject *root)
{
    char want[256];
    size_t n;
    int i, count = g_mime_multipart_get_count(mp);

    if (strncasecmp(href, "cid:", 4) == 0)
        href += 4;
    snprintf(want, sizeof want, "%s", href[0] == '<' ? href + 1 : href);
    n = strlen(want);
    if (n > 0 && want[n - 1] == '>')
        want[n - 1] = '\0';
    if (!want[0])
        return NULL;
    for (i = 0; i < count; i++) {
        GMimeObject *p = g_mime_multipart_get_part(mp, i);
        const char *id = g_mime_object_get_content_id(p);
        const char *loc = g_mime_object_get_header(p, "Content-Location");
        if (p != root && ((id && strcmp(id, want) == 0) || (loc && strcmp(loc, want) == 0)))
            return p;
    }
    return NULL;
}

int mm7_parse(const char *content_type, const unsigned char *body, size_t len,
              struct mm7_msg *m, char *err, size_t errlen)
{
    GMimeStream *stream = NULL;
    GMimeParser *parser = NULL;
    GMimeObject *top = NULL, *root = NULL, *mm = NULL;
    GByteArray *xml = NULL;
    const char *charset;
    char *head = NULL;
    int rc = 2007;

    memset(m, 0, sizeof *m);
    err[0] = '\0';
    if (!content_type || strpbrk(content_type, "\r\n")) {
        snprintf(err, errlen, "no usable Content-Type");
        goto out;
    }
    /* GMime reads an entity: the HTTP Content-Type becomes its header */
    head = xasprintf("Content-Type: %s\r\n\r\n", content_type);
    stream = g_mime_stream_mem_new();
    g_mime_stream_write(stream, head, strlen(head));
    g_mime_stream_write(stream, (const char *)body, len);
    g_mime_stream_seek(stream, 0, GMIME_STREAM_SEEK_SET);
    parser = g_mime_parser_new_with_stream(stream);
    top = g_mime_parser_construct_part(parser, NULL);
    if (!top) {
        snprintf(err, errlen, "not a MIME entity");
        goto out;
    }
    if (GMIME_IS_MULTIPART(top)) {
        GMimeMultipart *mp = GMIME_MULTIPART(top);
        const char *start = g_mime_object_get_content_type_parameter(top, "start");
        int i, count = g_mime_multipart_get_count(mp);
        if (count > MMS_PDU_MAX_PARTS) {
            snprintf(err, errlen, "more than %d parts", MMS_PDU_MAX_PARTS);
            goto out;
        }
        /* the root: start, else the first text/xml part, else the first part */
        if (start)
            root = by_href(mp, start, NULL);
        for (i = 0; !root && i < count; i++) {
            GMimeObject *p = g_mime_multipart_get_part(mp, i);
            if (g_mime_content_type_is_type(g_mime_object_get_content_type(p), "text", "xml"))
                root = p;
        }
        if (!root && count > 0)
            root = g_mime_multipart_get_part(mp, 0);
        if (!root || !GMIME_IS_PART(root)) {
            snprintf(err, errlen, "no SOAP part");
            goto out;
        }
        xml = decoded(GMIME_PART(root));
        charset = g_mime_object_get_content_type_parameter(root, "charset");
        if ((rc = read_envelope(m, (const char *)xml->data, xml->len, charset, err, errlen)) != 0)
            goto out;
        rc = 2007;
        mm = m->content_href[0] ? by_href(mp, m->content_href, root) : NULL;
        for (i = 0; !mm && i < count; i++) /* a missing or dangling href: the first other part */
            if (g_mime_multipart_get_part(mp, i) != root)
                mm = g_mime_multipart_get_part(mp, i);
        if (mm) {
            mms_pdu_init(&m->content, MMS_M_RETRIEVE_CONF);
            m->has_content = true;
            if ((rc = add_mm(m, mm, 0, err, errlen)) != 0)
                goto out;
        }
        rc = 0;
    } else if (GMIME_IS_PART(top)) {
        xml = decoded(GMIME_PART(top));
        charset = g_mime_object_get_content_type_parameter(top, "charset");
        rc = read_envelope(m, (const char *)xml->data, xml->len, charset, err, errlen);
    } else {
        snprintf(err, errlen, "not a SOAP message");
    }
out:
    if (xml)
        g_byte_array_unref(xml);
    if (top)
        g_object_unref(top);
    if (parser)
        g_object_unref(parser);
    if (stream)
        g_object_unref(stream);
    free(head);
    return rc;
}
