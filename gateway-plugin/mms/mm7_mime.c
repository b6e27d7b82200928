/*
 * mm7_mime — SOAP with attachments on GMime 3 (see mm7_mime.h).
 */
#include "mm7_mime.h"

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "limit.h"
#include "log.h"
#include "utf8.h"

/* Charsets tried, in order, for 8-bit header text that names none (a part's
 * file name): UTF-8, then what a Chinese handset writes, then Latin-1,
 * which accepts every byte. */
static const char *fallback_charsets[] = { "utf-8", "gb18030", "iso-8859-1", NULL };

void mm7_mime_init(void)
{
    g_mime_init();
}

struct mm7_mime {
    GMimeParserOptions *opts;
    GMimeObject *root;
    unsigned char *soap;
    size_t soap_len;
    char *soap_charset;
    GMimeObject **att;          /* the attachments (borrowed from root), in order */
    size_t natt;
};

/* What the GMime parser complained about while reading one body. */
struct parse_state {
    bool broken;                /* a truncation or an ambiguity another reader would see differently */
};

static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user)
{
    struct parse_state *st = user;
    switch (code) {
    case GMIME_WARN_TRUNCATED_MESSAGE:
    case GMIME_CRIT_INVALID_HEADER_NAME:
    case GMIME_CRIT_CONFLICTING_HEADER:
    case GMIME_CRIT_CONFLICTING_PARAMETER:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_CRIT_NESTING_OVERFLOW:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        st->broken = true;
        break;
    default:
        break;   /* duplicated headers, 8-bit header text, ...: read liberally */
    }
}

/* Lines that start with "--" bound the number of parts GMime would build
 * (each part begins at a boundary line). Counted before parsing, so that a
 * body made of thousands of tiny parts is refused without building them. */
static size_t boundary_lines(const unsigned char *p, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i + 1 < len; i++)
        if ((i == 0 || p[i - 1] == '\n') && p[i] == '-' && p[i + 1] == '-')
            n++;
    return n;
}

static size_t boundary_lines_max(const struct mm7_limits *lim)
{
    /* every part has one line, every multipart a closing one; the rest is
     * slack for text parts that hold such lines themselves */
    return 4 * (size_t)lim->parts_max + 16;
}

/* Parse one MIME entity whose header block is "Content-Type: ct". */
static GMimeObject *parse_entity(GMimeParserOptions *opts, struct parse_state *st, const char *ct,
                                 const void *body, size_t len)
{
    static const char pre[] = "Content-Type: ", post[] = "\r\n\r\n";
    size_t ctlen = strlen(ct);
    GByteArray *buf = g_byte_array_sized_new((guint)(sizeof pre - 1 + ctlen + sizeof post - 1 + len));
    g_byte_array_append(buf, (const guint8 *)pre, sizeof pre - 1);
    for (size_t i = 0; i < ctlen; i++) {   /* one header line, whatever the caller got */
        guint8 c = (ct[i] == '\r' || ct[i] == '\n') ? ' ' : (guint8)ct[i];
        g_byte_array_append(buf, &c, 1);
    }
    g_byte_array_append(buf, (const guint8 *)post, sizeof post - 1);
    if (len)
        g_byte_array_append(buf, body, (guint)len);
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(buf);   /* owns buf */
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_options_set_warning_callback(opts, on_warning, st);
    GMimeObject *obj = g_mime_parser_construct_part(parser, opts);
    g_object_unref(parser);
    g_object_unref(stream);
    return obj;
}

/* ---- text fields of a part ---- */

/* One line of UTF-8 without control characters, at most LIMIT_TEXT_FIELD_MAX
 * bytes (cut on a character boundary); NULL when nothing is left or the
 * text is not UTF-8. */
static char *clean_line(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t len = strlen(s);
    if (!utf8_valid(s, len))
        return NULL;
    char *out = xmalloc(len + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != 0x7f)
            out[k++] = (char)c;
    }
    while (k > 0 && out[k - 1] == ' ')
        k--;
    size_t b = 0;
    while (b < k && out[b] == ' ')
        b++;
    k = b + utf8_truncate(out + b, k - b, LIMIT_TEXT_FIELD_MAX);
    out[k] = '\0';
    if (b)
        memmove(out, out + b, k - b + 1);
    if (out[0] == '\0') {
        free(out);
        return NULL;
    }
    return out;
}

/* A file name: the last path component of s, cleaned. */
static char *clean_name(const char *s)
{
    if (s == NULL)
        return NULL;
    const char *base = s;
    for (const char *p = s; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    return clean_line(base);
}

static char *part_content_id(GMimeObject *obj)
{
    char *cid = mm7_cid_normalise(g_mime_object_get_header(obj, "Content-ID"));
    char *clean = clean_line(cid);
    free(cid);
    return clean;
}

static char *part_location(GMimeObject *obj)
{
    return clean_line(g_mime_object_get_header(obj, "Content-Location"));
}

/* "type/subtype" in lowercase, and "; charset=x" when the part names one
 * made of token characters. */
static char *part_type(GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    char *mt = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
    const char *charset = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
    GString *s = g_string_new(mt ? mt : "application/octet-stream");
    g_free(mt);
    for (gsize i = 0; i < s->len; i++)
        s->str[i] = g_ascii_tolower(s->str[i]);
    if (charset && *charset && strlen(charset) <= 40 &&
        strspn(charset, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == strlen(charset)) {
        g_string_append(s, "; charset=");
        for (const char *c = charset; *c; c++)
            g_string_append_c(s, g_ascii_tolower(*c));
    }
    char *out = clean_line(s->str);
    g_string_free(s, TRUE);
    return out ? out : xstrdup("application/octet-stream");
}

static bool is_xml_type(GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    if (ct == NULL)
        return false;
    return g_mime_content_type_is_type(ct, "text", "xml") || g_mime_content_type_is_type(ct, "application", "xml") ||
           g_mime_content_type_is_type(ct, "application", "soap+xml");
}

/* ---- bytes of a part ---- */

/* Base64 as MIME writes it: the alphabet and line breaks, '=' padding only
 * at the end. A missing padding is forgiven, a stray byte is not (GMime's
 * decoder would skip it and hand over other bytes than were sent). */
static bool base64_sane(const unsigned char *p, size_t len)
{
    size_t sig = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/'))
            return false;
        sig++;
    }
    if (pad > 2)
        return false;
    if (pad)
        return (sig + pad) % 4 == 0;
    return sig % 4 != 1;
}

static GByteArray *stream_bytes(GMimeStream *mem)
{
    return g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
}

/* The decoded content of a leaf part into *data / *len. */
static enum mm7_result part_bytes(GMimePart *part, size_t max, unsigned char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    if (w == NULL)
        return MM7_OK;   /* a part without content: zero bytes */
    enum mm7_result rc = MM7_OK;
    GMimeStream *out = g_mime_stream_mem_new();
    if (g_mime_data_wrapper_get_encoding(w) == GMIME_CONTENT_ENCODING_BASE64) {
        GMimeStream *raw = g_mime_data_wrapper_get_stream(w);
        GMimeStream *copy = g_mime_stream_mem_new();
        g_mime_stream_reset(raw);
        g_mime_stream_write_to_stream(raw, copy);
        g_mime_stream_reset(raw);
        GByteArray *b = stream_bytes(copy);
        bool sane = base64_sane(b->data, b->len);
        g_object_unref(copy);
        if (!sane) {
            rc = MM7_E_CONTENT;
            goto out;
        }
    }
    if (g_mime_data_wrapper_write_to_stream(w, out) < 0) {
        rc = MM7_E_CONTENT;
        goto out;
    }
    GByteArray *b = stream_bytes(out);
    if (b->len > max) {
        rc = MM7_E_TOO_LARGE;
        goto out;
    }
    if (b->len) {
        *data = xmalloc(b->len);
        memcpy(*data, b->data, b->len);
        *len = b->len;
    }
out:
    g_object_unref(out);
    return rc;
}

/* ---- flattening the MM ---- */

struct flat {
    struct mm7_part *v;
    size_t n, cap;
    const struct mm7_limits *lim;
    GMimeParserOptions *opts;
};

void mm7_parts_free(struct mm7_part *parts, size_t count)
{
    for (size_t i = 0; parts && i < count; i++) {
        free(parts[i].content_type);
        free(parts[i].content_id);
        free(parts[i].location);
        free(parts[i].name);
        free(parts[i].data);
    }
    free(parts);
}

static struct mm7_part *flat_add(struct flat *f)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->v = xrealloc(f->v, f->cap * sizeof *f->v);
    }
    struct mm7_part *p = &f->v[f->n++];
    memset(p, 0, sizeof *p);
    return p;
}

static enum mm7_result flatten(struct flat *f, GMimeObject *obj, int depth);

/* A multipart sent with Content-Transfer-Encoding base64 (or
 * quoted-printable), which MIME does not allow but an MMSC may write: GMime
 * finds no boundary in the encoded text and keeps it all as the prologue.
 * Decode that and read it as the multipart it is, one level deeper. */
static enum mm7_result flatten_encoded_multipart(struct flat *f, GMimeObject *obj, int depth)
{
    const char *cte = g_mime_object_get_header(obj, "Content-Transfer-Encoding");
    GMimeContentEncoding enc = cte ? g_mime_content_encoding_from_string(cte) : GMIME_CONTENT_ENCODING_DEFAULT;
    const char *pro = g_mime_multipart_get_prologue(GMIME_MULTIPART(obj));
    if ((enc != GMIME_CONTENT_ENCODING_BASE64 && enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) || pro == NULL)
        return MM7_E_CONTENT;
    size_t plen = strlen(pro);
    if (enc == GMIME_CONTENT_ENCODING_BASE64 && !base64_sane((const unsigned char *)pro, plen))
        return MM7_E_CONTENT;
    guint8 *dec = xmalloc(plen + 4);
    int state = 0;
    guint32 save = 0;
    size_t dlen = enc == GMIME_CONTENT_ENCODING_BASE64
                      ? g_mime_encoding_base64_decode_step((const guint8 *)pro, plen, dec, &state, &save)
                      : g_mime_encoding_quoted_decode_step((const guint8 *)pro, plen, dec, &state, &save);
    enum mm7_result rc = MM7_E_CONTENT;
    if (boundary_lines(dec, dlen) > boundary_lines_max(f->lim)) {
        rc = MM7_E_PARTS;
    } else {
        char *ct = g_mime_content_type_encode(g_mime_object_get_content_type(obj), NULL);
        struct parse_state st = { false };
        GMimeObject *inner = parse_entity(f->opts, &st, ct, dec, dlen);
        g_free(ct);
        if (inner && !st.broken && GMIME_IS_MULTIPART(inner) && g_mime_multipart_get_count(GMIME_MULTIPART(inner)) > 0)
            rc = flatten(f, inner, depth + 1);
        if (inner)
            g_object_unref(inner);
    }
    free(dec);
    return rc;
}

static enum mm7_result flatten(struct flat *f, GMimeObject *obj, int depth)
{
    if (GMIME_IS_MULTIPART(obj)) {
        if (depth + 1 > f->lim->depth_max)
            return MM7_E_PARTS;
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int n = g_mime_multipart_get_count(mp);
        if (n == 0)
            return flatten_encoded_multipart(f, obj, depth);
        for (int i = 0; i < n; i++) {
            enum mm7_result rc = flatten(f, g_mime_multipart_get_part(mp, i), depth + 1);
            if (rc != MM7_OK)
                return rc;
        }
        return MM7_OK;
    }
    if ((int)f->n >= f->lim->parts_max)
        return MM7_E_PARTS;
    struct mm7_part *p = flat_add(f);
    p->content_type = part_type(obj);
    p->content_id = part_content_id(obj);
    p->location = part_location(obj);
    if (GMIME_IS_PART(obj)) {
        GMimePart *part = GMIME_PART(obj);
        p->name = clean_name(g_mime_part_get_filename(part));
        if (p->name == NULL)
            p->name = clean_name(p->location);
        return part_bytes(part, f->lim->part_max, &p->data, &p->len);
    }
    /* message/rfc822 and the like: their bytes as they came */
    GMimeStream *out = g_mime_stream_mem_new();
    g_mime_object_write_content_to_stream(obj, NULL, out);
    GByteArray *b = stream_bytes(out);
    enum mm7_result rc = b->len > f->lim->part_max ? MM7_E_TOO_LARGE : MM7_OK;
    if (rc == MM7_OK && b->len) {
        p->data = xmalloc(b->len);
        memcpy(p->data, b->data, b->len);
        p->len = b->len;
    }
    g_object_unref(out);
    return rc;
}

/* ---- the request ---- */

void mm7_mime_free(struct mm7_mime *m)
{
    if (m == NULL)
        return;
    if (m->root)
        g_object_unref(m->root);
    if (m->opts)
        g_mime_parser_options_free(m->opts);
    free(m->soap);
    free(m->soap_charset);
    free(m->att);
    free(m);
}

static bool cid_equal(GMimeObject *obj, const char *want)
{
    char *cid = mm7_cid_normalise(g_mime_object_get_header(obj, "Content-ID"));
    bool eq = cid && want && strcmp(cid, want) == 0;
    free(cid);
    return eq;
}

/* The root part of a multipart/related request: the one `start` names, else
 * the first XML part, else the first part. */
static int soap_index(GMimeMultipart *mp)
{
    int n = g_mime_multipart_get_count(mp);
    char *start = mm7_cid_normalise(g_mime_object_get_content_type_parameter(GMIME_OBJECT(mp), "start"));
    int found = -1;
    for (int i = 0; start && i < n && found < 0; i++)
        if (cid_equal(g_mime_multipart_get_part(mp, i), start))
            found = i;
    free(start);
    for (int i = 0; i < n && found < 0; i++)
        if (is_xml_type(g_mime_multipart_get_part(mp, i)))
            found = i;
    if (found < 0 && n > 0)
        found = 0;
    return found;
}

enum mm7_result mm7_mime_parse(const char *content_type, const void *body, size_t len,
                               const struct mm7_limits *lim, struct mm7_mime **out)
{
    if (boundary_lines(body, len) > boundary_lines_max(lim) + 2)   /* + the envelope's part and end */
        return MM7_E_PARTS;
    struct mm7_mime *m = xcalloc(1, sizeof *m);
    m->opts = g_mime_parser_options_new();
    g_mime_parser_options_set_fallback_charsets(m->opts, fallback_charsets);
    struct parse_state st = { false };
    enum mm7_result rc = MM7_E_MIME;
    m->root = parse_entity(m->opts, &st, content_type && *content_type ? content_type : "text/xml", body, len);
    if (m->root == NULL || st.broken)
        goto out;
    GMimeObject *soap = NULL;
    if (GMIME_IS_MULTIPART(m->root)) {
        GMimeMultipart *mp = GMIME_MULTIPART(m->root);
        int n = g_mime_multipart_get_count(mp), si = soap_index(mp);
        if (si < 0)
            goto out;
        soap = g_mime_multipart_get_part(mp, si);
        m->att = xcalloc((size_t)n, sizeof *m->att);
        for (int i = 0; i < n; i++)
            if (i != si)
                m->att[m->natt++] = g_mime_multipart_get_part(mp, i);
    } else {
        soap = m->root;
    }
    if (!GMIME_IS_PART(soap))
        goto out;
    struct mm7_limits one = *lim;
    one.part_max = lim->soap_max;
    rc = part_bytes(GMIME_PART(soap), one.part_max, &m->soap, &m->soap_len);
    if (rc == MM7_E_CONTENT)
        rc = MM7_E_MIME;
    if (rc != MM7_OK)
        goto out;
    if (m->soap_len == 0) {
        rc = MM7_E_MIME;
        goto out;
    }
    const char *cs = g_mime_object_get_content_type_parameter(soap, "charset");
    m->soap_charset = cs && *cs ? xstrdup(cs) : NULL;
out:
    if (rc != MM7_OK) {
        mm7_mime_free(m);
        return rc;
    }
    *out = m;
    return MM7_OK;
}

const unsigned char *mm7_mime_soap(const struct mm7_mime *m, size_t *len, const char **charset)
{
    *len = m->soap_len;
    if (charset)
        *charset = m->soap_charset;
    return m->soap;
}

/* The attachment href names, or -1. */
static int find_attachment(const struct mm7_mime *m, const char *href)
{
    char *want = mm7_cid_normalise(href);
    int found = -1;
    for (size_t i = 0; want && i < m->natt && found < 0; i++)
        if (cid_equal(m->att[i], want))
            found = (int)i;
    for (size_t i = 0; want && i < m->natt && found < 0; i++) {
        const char *loc = g_mime_object_get_header(m->att[i], "Content-Location");
        if (loc && (strcmp(loc, want) == 0 || strcmp(loc, href) == 0))
            found = (int)i;
    }
    /* the same Content-ID in other letter case */
    for (size_t i = 0; want && i < m->natt && found < 0; i++) {
        char *cid = mm7_cid_normalise(g_mime_object_get_header(m->att[i], "Content-ID"));
        if (cid && strcasecmp(cid, want) == 0)
            found = (int)i;
        free(cid);
    }
    free(want);
    return found;
}

enum mm7_result mm7_mime_content(const struct mm7_mime *m, const char *href, const struct mm7_limits *lim,
                                 struct mm7_part **parts, size_t *count)
{
    if (m->natt == 0)
        return MM7_E_CONTENT;
    struct flat f = { NULL, 0, 0, lim, m->opts };
    enum mm7_result rc = MM7_OK;
    int i = href ? find_attachment(m, href) : -1;
    if (i >= 0) {
        rc = flatten(&f, m->att[i], 0);
    } else {
        if (href)
            log_info("mm7: the Content href names no attachment; taking every attachment");
        for (size_t k = 0; k < m->natt && rc == MM7_OK; k++)
            rc = flatten(&f, m->att[k], 0);
    }
    if (rc == MM7_OK && f.n == 0)
        rc = MM7_E_CONTENT;
    if (rc != MM7_OK) {
        mm7_parts_free(f.v, f.n);
        return rc;
    }
    *parts = f.v;
    *count = f.n;
    return MM7_OK;
}

/* ---- building a SubmitReq body ---- */

void mm7_body_cleanup(struct mm7_body *b)
{
    if (b == NULL)
        return;
    free(b->content_type);
    free(b->data);
    memset(b, 0, sizeof *b);
}

static void set_bytes(GMimePart *part, const void *data, size_t len, GMimeContentEncoding enc)
{
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(data ? data : "", len);
    GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(part, w);
    g_mime_part_set_content_encoding(part, enc);
    g_object_unref(w);
    g_object_unref(s);
}

static GMimeObject *build_part(const struct mm7_part *p)
{
    GMimeContentType *ct = g_mime_content_type_parse(NULL, p->content_type ? p->content_type
                                                                            : "application/octet-stream");
    GMimePart *part = g_mime_part_new();
    g_mime_object_set_content_type(GMIME_OBJECT(part), ct);
    g_object_unref(ct);
    if (p->content_id)
        g_mime_object_set_content_id(GMIME_OBJECT(part), p->content_id);
    if (p->location)
        g_mime_part_set_content_location(part, p->location);
    else if (p->name)
        g_mime_part_set_content_location(part, p->name);
    if (p->name)
        g_mime_part_set_filename(part, p->name);
    set_bytes(part, p->data, p->len, GMIME_CONTENT_ENCODING_BASE64);
    return GMIME_OBJECT(part);
}

void mm7_mime_build(const char *soap, size_t soap_len, const char *soap_cid, const char *content_cid,
                    const struct mm7_part *parts, size_t count, struct mm7_body *out)
{
    GMimeMultipart *outer = g_mime_multipart_new_with_subtype("related");
    char *start = g_strdup_printf("<%s>", soap_cid);
    g_mime_object_set_content_type_parameter(GMIME_OBJECT(outer), "type", "text/xml");
    g_mime_object_set_content_type_parameter(GMIME_OBJECT(outer), "start", start);
    g_free(start);

    GMimePart *env = g_mime_part_new_with_type("text", "xml");
    g_mime_object_set_content_type_parameter(GMIME_OBJECT(env), "charset", "utf-8");
    g_mime_object_set_content_id(GMIME_OBJECT(env), soap_cid);
    set_bytes(env, soap, soap_len, GMIME_CONTENT_ENCODING_8BIT);
    g_mime_multipart_add(outer, GMIME_OBJECT(env));
    g_object_unref(env);

    GMimeObject *content;
    if (count == 1) {
        content = build_part(&parts[0]);
    } else {
        const struct mm7_part *smil = NULL;
        for (size_t i = 0; i < count && smil == NULL; i++)
            if (parts[i].content_type && strncasecmp(parts[i].content_type, "application/smil", 16) == 0 &&
                parts[i].content_id)
                smil = &parts[i];
        GMimeMultipart *mm = g_mime_multipart_new_with_subtype(smil ? "related" : "mixed");
        if (smil) {
            char *s = g_strdup_printf("<%s>", smil->content_id);
            g_mime_object_set_content_type_parameter(GMIME_OBJECT(mm), "type", "application/smil");
            g_mime_object_set_content_type_parameter(GMIME_OBJECT(mm), "start", s);
            g_free(s);
        }
        for (size_t i = 0; i < count; i++) {
            GMimeObject *p = build_part(&parts[i]);
            g_mime_multipart_add(mm, p);
            g_object_unref(p);
        }
        content = GMIME_OBJECT(mm);
    }
    g_mime_object_set_content_id(content, content_cid);
    g_mime_multipart_add(outer, content);
    g_object_unref(content);

    GMimeFormatOptions *fo = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    g_mime_multipart_set_boundary(outer, NULL);
    GMimeStream *s = g_mime_stream_mem_new();
    g_mime_object_write_content_to_stream(GMIME_OBJECT(outer), fo, s);
    GByteArray *b = stream_bytes(s);
    out->data = xmalloc(b->len ? b->len : 1);
    memcpy(out->data, b->data, b->len);
    out->len = b->len;
    /* the header value on one line: HTTP is no place for folding */
    char *ct = g_mime_content_type_encode(g_mime_object_get_content_type(GMIME_OBJECT(outer)), fo);
    GString *line = g_string_new(NULL);
    for (const char *c = ct; c && *c; c++) {
        if (*c == '\r' || *c == '\n')
            continue;
        g_string_append_c(line, *c == '\t' ? ' ' : *c);
    }
    out->content_type = xstrdup(line->str);
    g_string_free(line, TRUE);
    g_free(ct);
    g_object_unref(s);
    g_mime_format_options_free(fo);
    g_object_unref(outer);
}
