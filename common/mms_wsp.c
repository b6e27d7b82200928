/*
 * mms_wsp — WSP value reading and writing for mms_pdu (see mms_wsp.h).
 * Reading never goes past r->end: each primitive checks what is left
 * before it takes an octet, and a length is compared with what is left
 * by subtraction, so that no sum can wrap.
 */
#include "mms_wsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "utf8.h"

/* ---- tables ---------------------------------------------------------------- */

/* WSP Table 40, well-known content types (code = index; lower case). */
static const char *const media_table[] = {
    "*/*", "text/*", "text/html", "text/plain", "text/x-hdml", "text/x-ttml",
    "text/x-vcalendar", "text/x-vcard", "text/vnd.wap.wml", "text/vnd.wap.wmlscript",
    "application/vnd.wap.catc", "multipart/*", "multipart/mixed", "multipart/form-data",
    "multipart/byteranges", "multipart/alternative", "application/*", "application/java-vm",
    "application/x-www-form-urlencoded", "application/x-hdmlc", "application/vnd.wap.wmlc",
    "application/vnd.wap.wmlscriptc", "application/vnd.wap.wsic", "application/vnd.wap.uaprof",
    "application/vnd.wap.wtls-ca-certificate", "application/vnd.wap.wtls-user-certificate",
    "application/x-x509-ca-cert", "application/x-x509-user-cert", "image/*", "image/gif",
    "image/jpeg", "image/tiff", "image/png", "image/vnd.wap.wbmp",
    "application/vnd.wap.multipart.*", "application/vnd.wap.multipart.mixed",
    "application/vnd.wap.multipart.form-data", "application/vnd.wap.multipart.byteranges",
    "application/vnd.wap.multipart.alternative", "application/xml", "text/xml",
    "application/vnd.wap.wbxml", "application/x-x968-cross-cert", "application/x-x968-ca-cert",
    "application/x-x968-user-cert", "text/vnd.wap.si", "application/vnd.wap.sic",
    "text/vnd.wap.sl", "application/vnd.wap.slc", "text/vnd.wap.co", "application/vnd.wap.coc",
    "application/vnd.wap.multipart.related", "application/vnd.wap.sia",
    "text/vnd.wap.connectivity-xml", "application/vnd.wap.connectivity-wbxml",
    "application/pkcs7-mime", "application/vnd.wap.hashed-certificate",
    "application/vnd.wap.signed-certificate", "application/vnd.wap.cert-response",
    "application/xhtml+xml", "application/wml+xml", "text/css",
    "application/vnd.wap.mms-message", "application/vnd.wap.rollover-certificate",
};
#define MEDIA_COUNT (sizeof media_table / sizeof media_table[0])

/* IANA MIBenum of the charsets a handset uses. */
static const struct {
    unsigned mib;
    const char *name;
} charsets[] = {
    { 106, "utf-8" },       { 3, "us-ascii" },     { 4, "iso-8859-1" },
    { 5, "iso-8859-2" },    { 6, "iso-8859-3" },   { 7, "iso-8859-4" },
    { 8, "iso-8859-5" },    { 9, "iso-8859-6" },   { 10, "iso-8859-7" },
    { 11, "iso-8859-8" },   { 12, "iso-8859-9" },  { 17, "shift_jis" },
    { 1000, "iso-10646-ucs-2" }, { 1013, "utf-16be" }, { 1014, "utf-16le" },
    { 1015, "utf-16" },     { 2025, "gb2312" },    { 113, "gbk" },
    { 114, "gb18030" },     { 2026, "big5" },
};

#define MIB_UTF8 106

/* Well-known parameters (WSP Table 38) this module reads. */
#define P_Q 0x00
#define P_CHARSET 0x01
#define P_TYPE_INT 0x03
#define P_NAME_11 0x05
#define P_FILENAME_11 0x06
#define P_TYPE_12 0x09
#define P_START_12 0x0A
#define P_NAME_14 0x17
#define P_FILENAME_14 0x18
#define P_START_14 0x19

/* Part header fields (WSP Table 39) this module reads. */
#define H_CONTENT_LOCATION 0x0E
#define H_CONTENT_DISPOSITION 0x2E
#define H_CONTENT_ID 0x40
#define H_CONTENT_DISPOSITION_14 0x45

static const char *charset_name(unsigned mib, char *buf, size_t cap)
{
    size_t i;
    for (i = 0; i < sizeof charsets / sizeof charsets[0]; i++)
        if (charsets[i].mib == mib)
            return charsets[i].name;
    snprintf(buf, cap, "x-mib-%u", mib);
    return buf;
}

/* The MIBenum of a charset name, or -1 for a name we have no number for. */
static int charset_mib(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof charsets / sizeof charsets[0]; i++)
        if (strcasecmp(charsets[i].name, name) == 0)
            return (int)charsets[i].mib;
    if (strcasecmp(name, "utf8") == 0)
        return MIB_UTF8;
    return -1;
}

/* The WSP well-known code of a media type (its index in media_table), or -1
 * for one without a code (sent as text). */
static int media_code(const char *media)
{
    size_t i;
    for (i = 0; i < MEDIA_COUNT; i++)
        if (strcasecmp(media_table[i], media) == 0)
            return (int)i;
    return -1;
}

bool mms_wsp_is_multipart(const char *media)
{
    return media && (strncasecmp(media, "application/vnd.wap.multipart.", 30) == 0 ||
                     strncasecmp(media, "multipart/", 10) == 0);
}

/* ---- text conversion --------------------------------------------------------- */

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_add(struct sbuf *s, const char *d, size_t n)
{
    if (s->len + n + 1 > s->cap)
        s->p = xgrow(s->p, &s->cap, s->len + n + 1);
    memcpy(s->p + s->len, d, n);
    s->len += n;
    s->p[s->len] = '\0';
}

static void sb_cp(struct sbuf *s, uint32_t cp)
{
    char u[4];
    size_t n = utf8_encode(cp, u);
    if (n == 0)
        n = utf8_encode(0xFFFD, u);
    sb_add(s, u, n);
}

/* UTF-8 with every malformed sequence (and NUL) replaced by U+FFFD. */
static void conv_utf8(struct sbuf *s, const unsigned char *d, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = utf8_decode((const char *)d + i, n - i, &cp);
        if (k == 0 || cp == 0) {
            sb_cp(s, 0xFFFD);
            i++;
        } else {
            sb_add(s, (const char *)d + i, k);
            i += k;
        }
    }
}

static void conv_utf16(struct sbuf *s, const unsigned char *d, size_t n, bool le)
{
    size_t i = 0;
    if (n >= 2 && d[0] == 0xFE && d[1] == 0xFF) {
        le = false;
        i = 2;
    } else if (n >= 2 && d[0] == 0xFF && d[1] == 0xFE) {
        le = true;
        i = 2;
    }
    while (i + 1 < n) {
        uint32_t u = le ? (uint32_t)d[i + 1] << 8 | d[i] : (uint32_t)d[i] << 8 | d[i + 1];
        i += 2;
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n) {
            uint32_t l = le ? (uint32_t)d[i + 1] << 8 | d[i] : (uint32_t)d[i] << 8 | d[i + 1];
            if (l >= 0xDC00 && l <= 0xDFFF) {
                i += 2;
                sb_cp(s, 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00));
                continue;
            }
        }
        if (u == 0)
            break; /* a terminating NUL code unit */
        sb_cp(s, (u >= 0xD800 && u <= 0xDFFF) ? 0xFFFD : u);
    }
    if (i < n && i + 1 == n && d[i] != 0)
        sb_cp(s, 0xFFFD); /* an odd octet left over */
}

/* d[0..n) in charset mib to malloc'd UTF-8. Charsets this module cannot
 * convert are read as UTF-8 (with replacement). */
static char *to_utf8(unsigned mib, const unsigned char *d, size_t n)
{
    struct sbuf s = { NULL, 0, 0 };
    size_t i;

    sb_add(&s, "", 0);
    if (mib == 4) {
        for (i = 0; i < n && d[i]; i++)
            sb_cp(&s, d[i]);
    } else if (mib == 1000 || mib == 1013 || mib == 1015) {
        conv_utf16(&s, d, n, false);
    } else if (mib == 1014) {
        conv_utf16(&s, d, n, true);
    } else {
        while (n > 0 && d[n - 1] == 0)
            n--;
        conv_utf8(&s, d, n);
    }
    return s.p;
}

/* ---- reading primitives ------------------------------------------------------- */

enum mms_pdu_result mms_wsp_peek(const struct mms_wsp_reader *r, unsigned *b)
{
    if (r->off >= r->end)
        return MMS_PDU_TRUNCATED;
    *b = r->p[r->off];
    return MMS_PDU_OK;
}

enum mms_pdu_result mms_wsp_byte(struct mms_wsp_reader *r, unsigned *b)
{
    if (r->off >= r->end)
        return MMS_PDU_TRUNCATED;
    *b = r->p[r->off++];
    return MMS_PDU_OK;
}

enum mms_pdu_result mms_wsp_uintvar(struct mms_wsp_reader *r, uint32_t *v)
{
    uint32_t acc = 0;
    int i;

    for (i = 0; i < 5; i++) {
        unsigned b;
        enum mms_pdu_result rc = mms_wsp_byte(r, &b);
        if (rc != MMS_PDU_OK)
            return rc;
        if (i == 4 && (acc >> 25) != 0)
            return MMS_PDU_MALFORMED; /* over 32 bits */
        acc = acc << 7 | (b & 0x7F);
        if (!(b & 0x80)) {
            *v = acc;
            return MMS_PDU_OK;
        }
    }
    return MMS_PDU_MALFORMED; /* a sixth octet would be needed */
}

enum mms_pdu_result mms_wsp_value_length(struct mms_wsp_reader *r, size_t *len)
{
    unsigned b;
    uint32_t v;
    enum mms_pdu_result rc = mms_wsp_byte(r, &b);

    if (rc != MMS_PDU_OK)
        return rc;
    if (b <= 30) {
        v = b;
    } else if (b == 31) {
        if ((rc = mms_wsp_uintvar(r, &v)) != MMS_PDU_OK)
            return rc;
    } else {
        return MMS_PDU_MALFORMED;
    }
    if (v > r->end - r->off)
        return MMS_PDU_TRUNCATED;
    *len = v;
    return MMS_PDU_OK;
}

enum mms_pdu_result mms_wsp_long_integer(struct mms_wsp_reader *r, uint64_t *v)
{
    unsigned n, i, b = 0;   /* set by mms_wsp_byte: n bytes are there (checked above) */
    uint64_t acc = 0;
    enum mms_pdu_result rc = mms_wsp_byte(r, &n);

    if (rc != MMS_PDU_OK)
        return rc;
    if (n > 30)
        return MMS_PDU_MALFORMED;
    if (n > 8)
        return MMS_PDU_LIMIT;
    if (n > r->end - r->off)
        return MMS_PDU_TRUNCATED;
    for (i = 0; i < n; i++) {
        mms_wsp_byte(r, &b);
        acc = acc << 8 | b;
    }
    *v = acc;
    return MMS_PDU_OK;
}

enum mms_pdu_result mms_wsp_integer(struct mms_wsp_reader *r, uint64_t *v)
{
    unsigned b;
    enum mms_pdu_result rc = mms_wsp_peek(r, &b);

    if (rc != MMS_PDU_OK)
        return rc;
    if (b & 0x80) {
        r->off++;
        *v = b & 0x7F;
        return MMS_PDU_OK;
    }
    return mms_wsp_long_integer(r, v);
}

/* The raw octets of a NUL-terminated string at r (NUL consumed), without
 * a leading Quote (0x7F), or a leading '"' when quoted (a Quoted-string is
 * allowed there: Content-ID, parameter values). */
static enum mms_pdu_result raw_text(struct mms_wsp_reader *r, const unsigned char **s,
                                    size_t *n, bool quoted)
{
    const unsigned char *start = r->p + r->off;
    const unsigned char *nul = r->off < r->end ? memchr(start, 0, r->end - r->off) : NULL;

    if (!nul)
        return MMS_PDU_TRUNCATED;
    *s = start;
    *n = (size_t)(nul - start);
    r->off += *n + 1;
    if (*n > 0 && (**s == 0x7F || (quoted && **s == 0x22))) {
        (*s)++;
        (*n)--;
    }
    return MMS_PDU_OK;
}

static enum mms_pdu_result read_text(struct mms_wsp_reader *r, char **out, bool quoted)
{
    const unsigned char *s;
    size_t n;
    enum mms_pdu_result rc = raw_text(r, &s, &n, quoted);

    if (rc == MMS_PDU_OK)
        *out = to_utf8(MIB_UTF8, s, n);
    return rc;
}

enum mms_pdu_result mms_wsp_text(struct mms_wsp_reader *r, char **out)
{
    return read_text(r, out, false);
}

enum mms_pdu_result mms_wsp_text_value(struct mms_wsp_reader *r, char **out)
{
    return read_text(r, out, true);
}

/* Char-set: Any-charset 0x80, Integer-value, or Token-text (a name). */
static enum mms_pdu_result read_charset(struct mms_wsp_reader *r, unsigned *mib, char **name)
{
    unsigned b;
    uint64_t v;
    enum mms_pdu_result rc = mms_wsp_peek(r, &b);

    if (rc != MMS_PDU_OK)
        return rc;
    if (b >= 32 && b < 128) {
        char *t = NULL;
        int m;
        if ((rc = mms_wsp_text(r, &t)) != MMS_PDU_OK)
            return rc;
        m = charset_mib(t);
        *mib = m < 0 ? 0 : (unsigned)m;
        if (name)
            *name = t;
        else
            free(t);
        return MMS_PDU_OK;
    }
    if ((rc = mms_wsp_integer(r, &v)) != MMS_PDU_OK)
        return rc;
    *mib = v > 0xFFFF ? 0 : (unsigned)v;
    if (name) {
        char buf[24];
        *name = xstrdup(*mib == 0 ? "*" : charset_name(*mib, buf, sizeof buf));
    }
    return MMS_PDU_OK;
}

enum mms_pdu_result mms_wsp_encoded_string(struct mms_wsp_reader *r, char **out)
{
    unsigned b, mib = MIB_UTF8;
    size_t len, saved;
    enum mms_pdu_result rc = mms_wsp_peek(r, &b);

    if (rc != MMS_PDU_OK)
        return rc;
    if (b > 31)
        return mms_wsp_text(r, out);
    if (b == 0) {
        /* an empty Text-string; a Value-length of 0 could hold no charset */
        r->off++;
        *out = xstrdup("");
        return MMS_PDU_OK;
    }
    if ((rc = mms_wsp_value_length(r, &len)) != MMS_PDU_OK)
        return rc;
    saved = r->end;
    r->end = r->off + len;
    if ((rc = read_charset(r, &mib, NULL)) == MMS_PDU_OK) {
        /* the value length bounds the text: a UCS-2 text holds NUL octets */
        const unsigned char *s = r->p + r->off;
        size_t n = r->end - r->off;
        bool wide = mib == 1000 || (mib >= 1013 && mib <= 1015);
        if (!wide && n > 0 && *s == 0x7F)
            s++, n--;
        if (!wide) {
            const unsigned char *nul = memchr(s, 0, n);
            if (nul)
                n = (size_t)(nul - s);
        }
        *out = to_utf8(mib, s, n);
    }
    r->off = r->end;
    r->end = saved;
    return rc;
}

enum mms_pdu_result mms_wsp_skip_value(struct mms_wsp_reader *r)
{
    unsigned b;
    size_t len;
    const unsigned char *s;
    enum mms_pdu_result rc = mms_wsp_peek(r, &b);

    if (rc != MMS_PDU_OK)
        return rc;
    if (b >= 0x80) {
        r->off++;
        return MMS_PDU_OK;
    }
    if (b <= 31) {
        if ((rc = mms_wsp_value_length(r, &len)) == MMS_PDU_OK)
            r->off += len;
        return rc;
    }
    return raw_text(r, &s, &len, false);
}

/* ---- Content-Type -------------------------------------------------------------- */

void mms_wsp_ctype_cleanup(struct mms_wsp_ctype *ct)
{
    free(ct->media);
    free(ct->charset);
    free(ct->name);
    free(ct->type);
    free(ct->start);
    memset(ct, 0, sizeof *ct);
}

static void set_str(char **field, char *value)
{
    free(*field);
    *field = value;
}

/* Media type: a well-known code (Integer-value) or a text. */
static enum mms_pdu_result read_media(struct mms_wsp_reader *r, char **out)
{
    unsigned b;
    uint64_t code;
    enum mms_pdu_result rc = mms_wsp_peek(r, &b);

    if (rc != MMS_PDU_OK)
        return rc;
    if (b == 0 || (b >= 32 && b < 128)) /* Extension-media (may be empty) */
        return mms_wsp_text(r, out);
    if ((rc = mms_wsp_integer(r, &code)) != MMS_PDU_OK)
        return rc;
    if (code < MEDIA_COUNT)
        *out = xstrdup(media_table[code]);
    else
        *out = xasprintf("application/x-wsp-0x%llx", (unsigned long long)code);
    return MMS_PDU_OK;
}


/* One parameter (typed or untyped) into ct. */
static enum mms_pdu_result read_param(struct mms_wsp_reader *r, struct mms_wsp_ctype *ct)
{
    unsigned b, mib;
    uint64_t token, v;
    char *t = NULL, *name = NULL;
    enum mms_pdu_result rc = mms_wsp_peek(r, &b);

    if (rc != MMS_PDU_OK)
        return rc;
    if (b >= 32 && b < 128) {
        /* Untyped-parameter: Token-text Untyped-value (Integer-value | Text-value) */
        if ((rc = mms_wsp_text(r, &name)) != MMS_PDU_OK)
            return rc;
        if ((rc = mms_wsp_peek(r, &b)) != MMS_PDU_OK)
            goto out;
        if (b >= 32 && b < 128) {
            if ((rc = mms_wsp_text_value(r, &t)) != MMS_PDU_OK)
                goto out;
        } else if (b == 0) {
            r->off++;
            t = xstrdup("");
        } else if ((rc = mms_wsp_integer(r, &v)) != MMS_PDU_OK) {
            goto out;
        } else if (strcasecmp(name, "charset") == 0) {
            char buf[24];
            t = xstrdup(charset_name((unsigned)(v > 0xFFFF ? 0 : v), buf, sizeof buf));
        }
        if (t) {
            if (strcasecmp(name, "charset") == 0) {
                for (char *c = t; *c; c++)
                    *c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
                set_str(&ct->charset, t);
            } else if (strcasecmp(name, "name") == 0 || strcasecmp(name, "filename") == 0) {
                if (!ct->name || strcasecmp(name, "name") == 0)
                    set_str(&ct->name, t);
                else
                    free(t);
            } else if (strcasecmp(name, "type") == 0) {
                set_str(&ct->type, t);
            } else if (strcasecmp(name, "start") == 0) {
                set_str(&ct->start, t);
            } else {
                free(t);
            }
            t = NULL;
        }
        goto out;
    }
    if ((rc = mms_wsp_integer(r, &token)) != MMS_PDU_OK)
        return rc;
    switch (token) {
    case P_Q: {
        uint32_t q;
        rc = mms_wsp_uintvar(r, &q);
        break;
    }
    case P_CHARSET:
        if ((rc = read_charset(r, &mib, &t)) == MMS_PDU_OK) {
            set_str(&ct->charset, t);
            t = NULL;
        }
        break;
    case P_NAME_11:
    case P_NAME_14:
        if ((rc = mms_wsp_text_value(r, &t)) == MMS_PDU_OK) {
            set_str(&ct->name, t);
            t = NULL;
        }
        break;
    case P_FILENAME_11:
    case P_FILENAME_14:
        if ((rc = mms_wsp_text_value(r, &t)) == MMS_PDU_OK) {
            if (!ct->name) {
                ct->name = t;
                t = NULL;
            }
        }
        break;
    case P_TYPE_12: /* Constrained-encoding: a well-known code or a text */
        if ((rc = read_media(r, &t)) == MMS_PDU_OK) {
            set_str(&ct->type, t);
            t = NULL;
        }
        break;
    case P_START_12:
    case P_START_14:
        if ((rc = mms_wsp_text_value(r, &t)) == MMS_PDU_OK) {
            set_str(&ct->start, t);
            t = NULL;
        }
        break;
    case P_TYPE_INT:
        rc = mms_wsp_integer(r, &v);
        break;
    default: /* Typed-value of another parameter: Integer-value or Text-value */
        if ((rc = mms_wsp_peek(r, &b)) == MMS_PDU_OK) {
            if ((b >= 32 && b < 128) || b == 0)
                rc = mms_wsp_text_value(r, &t);
            else
                rc = mms_wsp_integer(r, &v);
        }
        break;
    }
out:
    free(t);
    free(name);
    return rc;
}

enum mms_pdu_result mms_wsp_content_type(struct mms_wsp_reader *r, struct mms_wsp_ctype *ct)
{
    unsigned b;
    size_t len, saved;
    enum mms_pdu_result rc = mms_wsp_peek(r, &b);

    memset(ct, 0, sizeof *ct);
    if (rc != MMS_PDU_OK)
        return rc;
    if (b > 31) /* Constrained-media: a short code or Extension-media text */
        return read_media(r, &ct->media);
    if ((rc = mms_wsp_value_length(r, &len)) != MMS_PDU_OK)
        return rc;
    saved = r->end;
    r->end = r->off + len;
    if (len == 0) /* 0x00: an empty Extension-media, not a general form */
        ct->media = xstrdup("");
    else
        rc = read_media(r, &ct->media);
    while (rc == MMS_PDU_OK && r->off < r->end)
        rc = read_param(r, ct);
    r->off = r->end;
    r->end = saved;
    if (rc != MMS_PDU_OK)
        mms_wsp_ctype_cleanup(ct);
    return rc;
}

/* ---- multipart ------------------------------------------------------------------ */

/* Content-Disposition: Value-length Disposition *(Parameter); only its
 * filename/name parameter is kept (into name when it is still NULL). */
static enum mms_pdu_result read_disposition(struct mms_wsp_reader *r, char **name)
{
    struct mms_wsp_ctype ct;
    unsigned b;
    size_t len, saved;
    enum mms_pdu_result rc = mms_wsp_peek(r, &b);

    if (rc != MMS_PDU_OK)
        return rc;
    if (b > 31)
        return mms_wsp_skip_value(r);
    if ((rc = mms_wsp_value_length(r, &len)) != MMS_PDU_OK)
        return rc;
    memset(&ct, 0, sizeof ct);
    saved = r->end;
    r->end = r->off + len;
    rc = mms_wsp_skip_value(r); /* the disposition token or text */
    while (rc == MMS_PDU_OK && r->off < r->end)
        rc = read_param(r, &ct);
    if (rc == MMS_PDU_OK && ct.name && !*name) {
        *name = ct.name;
        ct.name = NULL;
    }
    mms_wsp_ctype_cleanup(&ct);
    r->off = r->end;
    r->end = saved;
    return rc;
}

/* The part headers after the Content-Type, up to r->end. */
static enum mms_pdu_result read_part_headers(struct mms_wsp_reader *r, struct mms_part *part)
{
    enum mms_pdu_result rc = MMS_PDU_OK;

    while (rc == MMS_PDU_OK && r->off < r->end) {
        unsigned b;
        char *t = NULL, *v = NULL;
        mms_wsp_peek(r, &b);
        if (b >= 0x80) {
            r->off++;
            switch (b & 0x7F) {
            case H_CONTENT_ID:
                if ((rc = mms_wsp_text_value(r, &t)) == MMS_PDU_OK)
                    set_str(&part->content_id, t);
                break;
            case H_CONTENT_LOCATION:
                if ((rc = mms_wsp_text(r, &t)) == MMS_PDU_OK)
                    set_str(&part->content_location, t);
                break;
            case H_CONTENT_DISPOSITION:
            case H_CONTENT_DISPOSITION_14:
                rc = read_disposition(r, &part->name);
                break;
            default:
                rc = mms_wsp_skip_value(r);
                break;
            }
        } else if (b == 0x7F) {
            r->off += r->end - r->off >= 2 ? 2 : r->end - r->off; /* Shift-delimiter page */
        } else if (b >= 0x01 && b <= 0x1F) {
            r->off++;                                           /* Short-cut-shift-delimiter */
        } else if (b >= 32) {
            /* Application-header: Token-text Application-specific-value */
            if ((rc = mms_wsp_text(r, &t)) == MMS_PDU_OK &&
                (rc = mms_wsp_text(r, &v)) == MMS_PDU_OK) {
                if (strcasecmp(t, "Content-ID") == 0) {
                    set_str(&part->content_id, v);
                    v = NULL;
                } else if (strcasecmp(t, "Content-Location") == 0) {
                    set_str(&part->content_location, v);
                    v = NULL;
                }
            }
            free(t);
            free(v);
        } else {
            rc = MMS_PDU_MALFORMED;
        }
    }
    return rc;
}

enum mms_pdu_result mms_wsp_multipart(struct mms_wsp_reader *r, struct mms_pdu *pdu, int depth)
{
    uint32_t n, i;
    enum mms_pdu_result rc;

    if (depth > MMS_PDU_MAX_DEPTH)
        return MMS_PDU_LIMIT;
    if ((rc = mms_wsp_uintvar(r, &n)) != MMS_PDU_OK)
        return rc;
    if (n > MMS_PDU_MAX_PARTS)
        return MMS_PDU_LIMIT;
    for (i = 0; i < n; i++) {
        uint32_t hlen, dlen;
        struct mms_wsp_ctype ct;
        struct mms_wsp_reader h, d;
        if ((rc = mms_wsp_uintvar(r, &hlen)) != MMS_PDU_OK ||
            (rc = mms_wsp_uintvar(r, &dlen)) != MMS_PDU_OK)
            return rc;
        if (hlen > r->end - r->off || dlen > r->end - r->off - hlen)
            return MMS_PDU_TRUNCATED;
        h.p = d.p = r->p;
        h.off = r->off;
        h.end = d.off = r->off + hlen;
        d.end = d.off + dlen;
        r->off = d.end;
        if ((rc = mms_wsp_content_type(&h, &ct)) != MMS_PDU_OK)
            return rc;
        if (mms_wsp_is_multipart(ct.media)) {
            /* nested multipart (e.g. alternative): its parts join the list */
            mms_wsp_ctype_cleanup(&ct);
            if ((rc = mms_wsp_multipart(&d, pdu, depth + 1)) != MMS_PDU_OK)
                return rc;
            continue;
        }
        if (pdu->nparts >= MMS_PDU_MAX_PARTS) {
            mms_wsp_ctype_cleanup(&ct);
            return MMS_PDU_LIMIT;
        }
        struct mms_part *part = mms_pdu_add_part(pdu, NULL, NULL, NULL, NULL, NULL,
                                                 d.p + d.off, dlen);
        part->content_type = ct.media;
        part->charset = ct.charset;
        part->name = ct.name;
        free(ct.type);
        free(ct.start);
        if ((rc = read_part_headers(&h, part)) != MMS_PDU_OK)
            return rc;
    }
    return MMS_PDU_OK;
}

/* ---- writing ----------------------------------------------------------------- */

void mms_wsp_put_bytes(struct mms_wsp_writer *w, const void *data, size_t n)
{
    if (n == 0)
        return;
    if (w->len + n > w->cap)
        w->p = xgrow(w->p, &w->cap, w->len + n);
    memcpy(w->p + w->len, data, n);
    w->len += n;
}

void mms_wsp_put_byte(struct mms_wsp_writer *w, unsigned b)
{
    unsigned char c = (unsigned char)b;
    mms_wsp_put_bytes(w, &c, 1);
}

void mms_wsp_put_uintvar(struct mms_wsp_writer *w, uint32_t v)
{
    unsigned char tmp[5];
    int n = 0, i;

    do {
        tmp[n++] = (unsigned char)(v & 0x7F);
        v >>= 7;
    } while (v);
    for (i = n - 1; i >= 0; i--)
        mms_wsp_put_byte(w, tmp[i] | (i ? 0x80 : 0));
}

void mms_wsp_put_value_length(struct mms_wsp_writer *w, size_t n)
{
    if (n <= 30) {
        mms_wsp_put_byte(w, (unsigned)n);
    } else {
        mms_wsp_put_byte(w, 31);
        if (n > UINT32_MAX)
            w->bad = true;
        mms_wsp_put_uintvar(w, (uint32_t)n);
    }
}

void mms_wsp_put_long_integer(struct mms_wsp_writer *w, uint64_t v)
{
    unsigned char tmp[8];
    int n = 0;

    do {
        tmp[7 - n++] = (unsigned char)(v & 0xFF);
        v >>= 8;
    } while (v);
    mms_wsp_put_byte(w, (unsigned)n);
    mms_wsp_put_bytes(w, tmp + 8 - n, (size_t)n);
}

void mms_wsp_put_integer(struct mms_wsp_writer *w, uint64_t v)
{
    if (v < 0x80)
        mms_wsp_put_byte(w, (unsigned)v | 0x80);
    else
        mms_wsp_put_long_integer(w, v);
}

void mms_wsp_put_text(struct mms_wsp_writer *w, const char *s)
{
    unsigned char c = (unsigned char)s[0];
    if (c != 0 && c < 32)
        w->bad = true; /* would read as a length: a Text-string cannot start so */
    if (c >= 0x7F)
        mms_wsp_put_byte(w, 0x7F); /* Quote: the text must not read as a short integer */
    mms_wsp_put_bytes(w, s, strlen(s) + 1);
}

void mms_wsp_put_text_value(struct mms_wsp_writer *w, const char *s)
{
    if (s[0] == '"')
        mms_wsp_put_quoted(w, s); /* else its '"' would read as a Quoted-string's */
    else
        mms_wsp_put_text(w, s);
}

void mms_wsp_put_quoted(struct mms_wsp_writer *w, const char *s)
{
    mms_wsp_put_byte(w, 0x22);
    mms_wsp_put_bytes(w, s, strlen(s) + 1);
}

static bool is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

void mms_wsp_put_encoded_string(struct mms_wsp_writer *w, const char *s)
{
    size_t n = strlen(s);

    unsigned char c = (unsigned char)s[0];
    /* The value length bounds the text, so no Quote is needed before an
     * octet >= 0x80 (tshark shows one verbatim; Android's parser skips it
     * when present). Only a DEL first is quoted, as the decoder drops one. */
    bool quote = c == 0x7F;

    if (is_ascii(s) && (c == 0 || c >= 32) && c != 0x7F) {
        mms_wsp_put_text(w, s);
        return;
    }
    if (!utf8_valid(s, n))
        w->bad = true;
    /* Value-length, charset utf-8 (Short-integer 106), Text-string */
    mms_wsp_put_value_length(w, 1 + quote + n + 1);
    mms_wsp_put_byte(w, 0x80 | MIB_UTF8);
    if (quote)
        mms_wsp_put_byte(w, 0x7F);
    mms_wsp_put_bytes(w, s, n + 1);
}

void mms_wsp_put_content_type(struct mms_wsp_writer *w, const char *media, const char *charset,
                              const char *name, const char *type, const char *start)
{
    struct mms_wsp_writer in = { NULL, 0, 0, false };
    int code = media_code(media);

    if (!charset && !name && !type && !start && media[0] != '\0') {
        if (code >= 0)
            mms_wsp_put_byte(w, 0x80 | (unsigned)code);
        else
            mms_wsp_put_text(w, media);
        return;
    }
    if (code >= 0)
        mms_wsp_put_byte(&in, 0x80 | (unsigned)code);
    else
        mms_wsp_put_text(&in, media);
    if (type) {
        int tc = media_code(type);
        mms_wsp_put_byte(&in, 0x80 | P_TYPE_12);
        if (tc >= 0)
            mms_wsp_put_byte(&in, 0x80 | (unsigned)tc);
        else
            mms_wsp_put_text(&in, type);
    }
    if (start) {
        mms_wsp_put_byte(&in, 0x80 | P_START_12);
        mms_wsp_put_text_value(&in, start);
    }
    if (charset) {
        int mib = charset_mib(charset);
        mms_wsp_put_byte(&in, 0x80 | P_CHARSET);
        if (mib >= 0)
            mms_wsp_put_integer(&in, (uint64_t)mib);
        else
            mms_wsp_put_text(&in, charset);
    }
    if (name) {
        mms_wsp_put_byte(&in, 0x80 | P_NAME_11);
        mms_wsp_put_text_value(&in, name);
    }
    mms_wsp_put_value_length(w, in.len);
    mms_wsp_put_bytes(w, in.p, in.len);
    w->bad |= in.bad;
    free(in.p);
}

void mms_wsp_put_multipart(struct mms_wsp_writer *w, const struct mms_pdu *pdu)
{
    size_t i;

    mms_wsp_put_uintvar(w, (uint32_t)pdu->nparts);
    for (i = 0; i < pdu->nparts; i++) {
        const struct mms_part *part = &pdu->parts[i];
        struct mms_wsp_writer h = { NULL, 0, 0, false };
        mms_wsp_put_content_type(&h, part->content_type ? part->content_type
                                                        : "application/octet-stream",
                                 part->charset, part->name, NULL, NULL);
        if (part->content_id) {
            mms_wsp_put_byte(&h, 0x80 | H_CONTENT_ID);
            mms_wsp_put_quoted(&h, part->content_id);
        }
        if (part->content_location) {
            mms_wsp_put_byte(&h, 0x80 | H_CONTENT_LOCATION);
            mms_wsp_put_text(&h, part->content_location);
        }
        if (h.len > UINT32_MAX || part->len > UINT32_MAX)
            w->bad = true;
        mms_wsp_put_uintvar(w, (uint32_t)h.len);
        mms_wsp_put_uintvar(w, (uint32_t)part->len);
        mms_wsp_put_bytes(w, h.p, h.len);
        mms_wsp_put_bytes(w, part->data, part->len);
        w->bad |= h.bad;
        free(h.p);
    }
}
