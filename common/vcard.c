/*
 * vcard — vCard 2.1 / 3.0 reading and 3.0 writing (see vcard.h). Parsing is
 * two passes: every card is decoded first, and the callback runs only when
 * the whole input was valid, so a caller never archives half an import.
 * Each property's value is decoded in this order: quoted-printable, then
 * its charset to UTF-8 (iconv), then the vCard escapes — in that order
 * because a Big5 or GBK character may end in the byte of '\\' (0x5C).
 */
#include "vcard.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "utf8.h"

/* ---- writing ---- */

struct writer {
    struct buf text;
    size_t line;   /* octets on the current line */
};

static void put(struct writer *b, const char *s, size_t n)
{
    buf_append(&b->text, s, n);
}

/* Append one logical-line piece, folding before 75 octets at a character
 * boundary (RFC 2426 2.6: CRLF followed by one space). */
static void put_folded(struct writer *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t clen = 1;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xf0) clen = 4;
        else if (c >= 0xe0) clen = 3;
        else if (c >= 0xc0) clen = 2;
        if (clen > n - i)
            clen = n - i;
        if (b->line + clen > 75) {
            put(b, "\r\n ", 3);
            b->line = 1;
        }
        put(b, s + i, clen);
        b->line += clen;
        i += clen;
    }
}

static void put_escaped(struct writer *b, const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t clen = utf8_decode(s + i, len - i, &cp);   /* input already validated */
        if (clen == 0)
            clen = 1;
        if (s[i] == '\\' || s[i] == ',' || s[i] == ';') {
            char e[2] = { '\\', s[i] };
            put_folded(b, e, 1);
            put_folded(b, e + 1, 1);
        } else if (s[i] == '\n') {
            put_folded(b, "\\", 1);
            put_folded(b, "n", 1);
        } else if (s[i] != '\r') {
            put_folded(b, s + i, clen);   /* one whole character */
        }
        i += clen;
    }
}

static void end_line(struct writer *b)
{
    put(b, "\r\n", 2);
    b->line = 0;
}

char *vcard_format(const char *name, const char *number)
{
    if (name == NULL || number == NULL || !name[0] || !number[0] ||
        !utf8_valid(name, strlen(name)) || !utf8_valid(number, strlen(number)))
        return NULL;
    struct writer b = { 0 };
    put_folded(&b, "BEGIN:VCARD", 11);
    end_line(&b);
    put_folded(&b, "VERSION:3.0", 11);
    end_line(&b);
    put_folded(&b, "FN:", 3);
    put_escaped(&b, name);
    end_line(&b);
    put_folded(&b, "N:", 2);
    put_escaped(&b, name);
    put_folded(&b, ";;;;", 4);
    end_line(&b);
    put_folded(&b, "TEL;TYPE=CELL:", 14);
    put_escaped(&b, number);
    end_line(&b);
    put_folded(&b, "END:VCARD", 9);
    end_line(&b);
    return buf_steal(&b.text, NULL);
}

/* ---- reading ---- */

struct tel {
    char *number, *types;
    bool pref;
};

struct card {
    char *fn, *n, *org, *uid;
    struct tel tels[VCARD_MAX_TELS];
    size_t ntels;
    const char *raw;        /* the BEGIN line in the text read */
    size_t raw_len;
    struct buf conv;        /* the card written again, property by property, in UTF-8 */
    char *text;             /* what is handed over: raw, or conv's storage */
    size_t text_len;
};

static void card_free(struct card *c)
{
    free(c->fn);
    free(c->n);
    free(c->org);
    free(c->uid);
    for (size_t i = 0; i < c->ntels; i++) {
        free(c->tels[i].number);
        free(c->tels[i].types);
    }
    buf_cleanup(&c->conv);
    if (c->text != c->raw)
        free(c->text);
    memset(c, 0, sizeof *c);
}

/* Physical line [start, end) and where the next one begins. */
static const char *line_end(const char *p, const char *lim, const char **next)
{
    const char *e = p;
    while (e < lim && *e != '\r' && *e != '\n')
        e++;
    const char *nx = e;
    if (nx < lim && *nx == '\r')
        nx++;
    if (nx < lim && *nx == '\n')
        nx++;
    *next = nx;
    return e;
}

/* The value of a hex digit; false for another character. */
static bool hexval(char c, int *v)
{
    if (c >= '0' && c <= '9') *v = c - '0';
    else if (c >= 'A' && c <= 'F') *v = c - 'A' + 10;
    else if (c >= 'a' && c <= 'f') *v = c - 'a' + 10;
    else return false;
    return true;
}

/* Quoted-printable decode in place; false on a bad escape. */
static bool qp_decode(char *s, size_t *len)
{
    size_t k = 0;
    for (size_t i = 0; i < *len; i++) {
        if (s[i] != '=') {
            s[k++] = s[i];
            continue;
        }
        if (i + 2 >= *len)
            return false;
        int h, l;
        if (!hexval(s[i + 1], &h) || !hexval(s[i + 2], &l))
            return false;
        s[k++] = (char)(h * 16 + l);
        i += 2;
    }
    *len = k;
    s[k] = '\0';
    return true;
}

/* Quoted-printable encode s[0..len) onto b, with soft line breaks so that
 * no line passes 76 octets; col is the column the value starts in. */
static void qp_encode(struct buf *b, const char *s, size_t len, size_t col)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = (c > 32 && c < 127 && c != '=') || (c == ' ' && i + 1 < len);
        size_t w = plain ? 1 : 3;
        if (col + w > 75) {
            buf_puts(b, "=\r\n");
            col = 0;
        }
        if (plain) {
            buf_putc(b, (char)c);
        } else {
            char e[3] = { '=', hex[c >> 4], hex[c & 15] };
            buf_append(b, e, 3);
        }
        col += w;
    }
}

/* RFC 2426 text unescape of s[0..len) into a new string. */
static char *unescape(const char *s, size_t len)
{
    char *out = xmalloc(len + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\' && i + 1 < len) {
            char c = s[++i];
            out[k++] = (c == 'n' || c == 'N') ? '\n' : c;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return out;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    memmove(s, s + i, n - i + 1);
}

/* N: family;given;additional;prefix;suffix → "prefix given additional family suffix";
 * other structured values (ORG) keep their order. */
static char *name_from_n(const char *v, size_t len, bool as_n)
{
    char *parts[5] = { 0 };
    size_t np = 0, start = 0;
    for (size_t i = 0; i <= len && np < 5; i++) {
        if (i == len || (v[i] == ';' && (i == 0 || v[i - 1] != '\\'))) {
            parts[np++] = unescape(v + start, i - start);
            start = i + 1;
        }
    }
    static const int n_order[] = { 3, 1, 2, 0, 4 }, in_order[] = { 0, 1, 2, 3, 4 };
    const int *order = as_n ? n_order : in_order;
    size_t total = 1;
    for (size_t i = 0; i < np; i++)
        total += strlen(parts[i]) + 1;
    char *out = xcalloc(1, total);
    for (size_t i = 0; i < 5; i++) {
        if ((size_t)order[i] >= np)
            continue;
        char *p = parts[order[i]];
        trim(p);
        if (*p) {
            if (*out)
                strcat(out, " ");
            strcat(out, p);
        }
    }
    for (size_t i = 0; i < np; i++)
        free(parts[i]);
    return out;
}

static bool has_param(const char *params, size_t plen, const char *what)
{
    size_t wl = strlen(what);
    for (size_t i = 0; i + wl <= plen; i++)
        if (strncasecmp(params + i, what, wl) == 0)
            return true;
    return false;
}

/* True when the property part (before the first ':') asks for quoted-printable. */
static bool is_qp(const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    return colon && has_param(line, (size_t)(colon - line), "QUOTED-PRINTABLE");
}

/* The parameters of a property, one by one: params[0..plen) split at ';'. */
struct param_iter {
    const char *p, *lim;
};

static bool next_param(struct param_iter *it, const char **start, size_t *len)
{
    if (it->p >= it->lim)
        return false;
    const char *e = memchr(it->p, ';', (size_t)(it->lim - it->p));
    if (e == NULL)
        e = it->lim;
    *start = it->p;
    *len = (size_t)(e - it->p);
    it->p = e + 1;
    return true;
}

/* A parameter key=value whose key is `key` (case-insensitive): its value,
 * without surrounding double quotes. */
static bool param_value(const char *p, size_t len, const char *key, const char **v, size_t *vlen)
{
    size_t kl = strlen(key);
    if (len <= kl || p[kl] != '=' || strncasecmp(p, key, kl) != 0)
        return false;
    *v = p + kl + 1;
    *vlen = len - kl - 1;
    if (*vlen >= 2 && (*v)[0] == '"' && (*v)[*vlen - 1] == '"') {
        (*v)++;
        *vlen -= 2;
    }
    return true;
}

/* What a charset name may look like before it goes to iconv_open: letters,
 * digits and - _ . : + only (no '/', so no //TRANSLIT or //IGNORE). */
#define CHARSET_NAME_MAX 40

static bool charset_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > CHARSET_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':' || c == '+'))
            return false;
    }
    return true;
}

static bool is_utf8_name(const char *s)
{
    return strcasecmp(s, "UTF-8") == 0 || strcasecmp(s, "UTF8") == 0;
}

/* in[0..len) from charset to UTF-8 with iconv: a new string in *out (NUL
 * terminated, *outlen bytes), or false when the charset is unknown or in is
 * not valid in it (or holds U+0000). */
static bool to_utf8(const char *charset, const char *in, size_t len, char **out, size_t *outlen)
{
    iconv_t cd = iconv_open("UTF-8", charset);
    if (cd == (iconv_t)-1)
        return false;
    size_t cap = len * 4 + 16, used = 0;
    char *buf = xmalloc(cap + 1);
    char *src = (char *)in;
    size_t left = len;
    bool ok = true;
    for (;;) {
        char *dst = buf + used;
        size_t room = cap - used;
        size_t r = iconv(cd, left ? &src : NULL, left ? &left : NULL, &dst, &room);
        used = (size_t)(dst - buf);
        if (r != (size_t)-1) {
            if (left == 0)
                break;
            continue;
        }
        if (errno != E2BIG) {
            ok = false;   /* EILSEQ, or EINVAL: a sequence cut short at the end */
            break;
        }
        cap *= 2;
        buf = xrealloc(buf, cap + 1);
    }
    iconv_close(cd);
    buf[used] = '\0';
    if (!ok || !utf8_valid(buf, used)) {
        free(buf);
        return false;
    }
    *out = buf;
    *outlen = used;
    return true;
}

/* Add one type (upper-cased, once) to types; PREF sets *pref. */
static void add_type(struct buf *types, const char *t, size_t len, bool *pref)
{
    while (len && (*t == ' ' || *t == '"'))
        t++, len--;
    while (len && (t[len - 1] == ' ' || t[len - 1] == '"'))
        len--;
#define TYPE_MAX 32   /* longer is no type name */
    if (len == 0 || len > TYPE_MAX)
        return;
    char up[TYPE_MAX + 3] = ",";   /* ",TYPE," and its NUL */
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
            return;   /* not a type name */
        up[1 + i] = c;
    }
    up[1 + len] = ',';
    up[2 + len] = '\0';
    if (strcmp(up, ",PREF,") == 0)
        *pref = true;
    /* types holds ",A,B," while it is built: look the type up whole */
    if (types->len && strstr(buf_cstr(types), up))
        return;
    if (types->len == 0)
        buf_putc(types, ',');
    buf_append(types, up + 1, len + 1);
}

/* The types of a TEL from its parameters: 2.1 bare names (CELL;PREF), 3.0
 * TYPE=cell,pref (possibly several TYPE=), 4.0 PREF=1. Encodings and
 * charsets are not types. A new string without the surrounding commas. */
static char *tel_types(const char *params, size_t plen, bool *pref)
{
    static const char *const not_types[] = { "QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B", NULL };
    struct buf types = { 0 };
    struct param_iter it = { params, params + plen };
    const char *p, *v;
    size_t len, vlen;
    *pref = false;
    while (next_param(&it, &p, &len)) {
        if (param_value(p, len, "TYPE", &v, &vlen)) {
            size_t s = 0;
            for (size_t i = 0; i <= vlen; i++) {
                if (i == vlen || v[i] == ',') {
                    add_type(&types, v + s, i - s, pref);
                    s = i + 1;
                }
            }
        } else if (param_value(p, len, "PREF", &v, &vlen)) {
            add_type(&types, "PREF", 4, pref);
        } else if (memchr(p, '=', len) == NULL) {
            bool skip = false;
            for (size_t k = 0; not_types[k] && !skip; k++)
                skip = strlen(not_types[k]) == len && strncasecmp(p, not_types[k], len) == 0;
            if (!skip)
                add_type(&types, p, len, pref);
        }
    }
    char *out = types.len >= 2 ? xstrndup(types.data + 1, types.len - 2) : xstrdup("");
    buf_cleanup(&types);
    return out;
}

#define UID_MAX 256

/* The property line again, for a card whose bytes are not UTF-8: its name
 * and parameters but CHARSET, then CHARSET=UTF-8 and the value in UTF-8,
 * quoted-printable again when it was. */
static void rewrite_line(struct buf *b, const char *name, size_t nlen, const char *params, size_t plen,
                         const char *value, size_t vlen, bool qp)
{
    struct param_iter it = { params, params + plen };
    const char *p, *v;
    size_t len, vl;
    size_t start = b->len;
    buf_append(b, name, nlen);
    while (next_param(&it, &p, &len)) {
        if (param_value(p, len, "CHARSET", &v, &vl))
            continue;
        buf_putc(b, ';');
        buf_append(b, p, len);
    }
    buf_puts(b, ";CHARSET=UTF-8:");
    if (qp)
        qp_encode(b, value, vlen, b->len - start);
    else
        buf_append(b, value, vlen);
    buf_puts(b, "\r\n");
}

/* One logical line (unfolded, soft breaks joined) of a card; phys[0..plen)
 * is the line as it was in the text (its line breaks included). */
static enum vcard_result card_line(struct card *c, char *line, size_t len, const char *phys, size_t physlen)
{
    if (memchr(line, '\0', len))
        return VCARD_MALFORMED;
    /* a line folded onto an empty one begins with blanks: the name is what
     * follows them (written again with them, the line would fold into the
     * one before it; found by fuzz_vcard) */
    while (len > 0 && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    char *colon = memchr(line, ':', len);
    if (colon == NULL)
        return VCARD_MALFORMED;
    size_t nlen = (size_t)(colon - line);
    char *semi = memchr(line, ';', nlen);
    size_t full_namelen = semi ? (size_t)(semi - line) : nlen, namelen = full_namelen;
    const char *params = semi ? semi + 1 : colon;
    size_t plen = semi ? (size_t)(colon - semi - 1) : 0;
    const char *name = line;
    const char *dot = memchr(line, '.', namelen);   /* group prefix: item1.TEL */
    if (dot) {
        namelen -= (size_t)(dot + 1 - line);
        name = dot + 1;
    }
    char *value = colon + 1;
    size_t vlen = len - nlen - 1;
    bool qp = has_param(params, plen, "QUOTED-PRINTABLE");
    if (qp && !qp_decode(value, &vlen))
        return VCARD_MALFORMED;

    /* the value in UTF-8: from the charset it names, else UTF-8 if it is, else GB18030 */
    char cs[CHARSET_NAME_MAX + 1] = "";
    struct param_iter it = { params, params + plen };
    const char *p, *v;
    size_t pl, vl;
    while (next_param(&it, &p, &pl))
        if (param_value(p, pl, "CHARSET", &v, &vl)) {
            if (!charset_name_ok(v, vl))
                return VCARD_CHARSET;
            memcpy(cs, v, vl);
            cs[vl] = '\0';
        }
    char *utf = NULL;
    size_t ulen = 0;
    bool named_utf8 = cs[0] && is_utf8_name(cs);
    if ((cs[0] == '\0' || named_utf8) && utf8_valid(value, vlen)) {
        utf = xmemdup0(value, vlen);
        ulen = vlen;
    } else if (named_utf8 || !to_utf8(cs[0] ? cs : "GB18030", value, vlen, &utf, &ulen)) {
        return VCARD_CHARSET;
    }

    if (utf8_valid(phys, physlen))
        buf_append(&c->conv, phys, physlen);
    else
        rewrite_line(&c->conv, line, full_namelen, params, plen, utf, ulen, qp);

    if (namelen == 2 && strncasecmp(name, "FN", 2) == 0 && !c->fn) {
        c->fn = unescape(utf, ulen);
        trim(c->fn);
    } else if (namelen == 1 && strncasecmp(name, "N", 1) == 0 && !c->n) {
        c->n = name_from_n(utf, ulen, true);
    } else if (namelen == 3 && strncasecmp(name, "ORG", 3) == 0 && !c->org) {
        c->org = name_from_n(utf, ulen, false);   /* ORG is structured too: org;unit */
    } else if (namelen == 3 && strncasecmp(name, "UID", 3) == 0 && !c->uid) {
        c->uid = unescape(utf, ulen);
        trim(c->uid);
        if (strlen(c->uid) > UID_MAX)
            c->uid[0] = '\0';   /* cut, two UIDs could become one */
    } else if (namelen == 3 && strncasecmp(name, "TEL", 3) == 0) {
        char *t = unescape(utf, ulen);
        trim(t);
        if (*t && c->ntels < VCARD_MAX_TELS) {
            struct tel *tel = &c->tels[c->ntels++];
            tel->number = t;
            tel->types = tel_types(params, plen, &tel->pref);
        } else {
            free(t);
        }
    }
    free(utf);
    return VCARD_OK;
}

/* The card ends at p (after its END line): what it hands over is its bytes
 * when they are UTF-8, else the card written again. */
static enum vcard_result card_end(struct card *c, const char *p)
{
    c->raw_len = (size_t)(p - c->raw);
    if (utf8_valid(c->raw, c->raw_len)) {
        c->text = (char *)c->raw;
        c->text_len = c->raw_len;
        buf_cleanup(&c->conv);
        return VCARD_OK;
    }
    if (!utf8_valid(c->conv.data ? c->conv.data : "", c->conv.len))
        return VCARD_CHARSET;   /* a name or parameter in another charset */
    c->text = buf_steal(&c->conv, &c->text_len);
    return VCARD_OK;
}

/* The logical line that starts at p, into *line (NUL-terminated):
 * folding (a next line that starts with a blank continues it, without
 * that blank) and quoted-printable soft breaks (a line of a QP property
 * that ends with '=' goes on with the next, verbatim). Returns where the
 * next one starts. The reader and vcard_with_tels both see lines this
 * way, so that what one takes for a card's END or a TEL the other does. */
static const char *logical_line(const char *p, const char *lim, struct buf *line)
{
    const char *next;
    const char *e = line_end(p, lim, &next);
    buf_clear(line);
    for (;;) {
        buf_append(line, p, (size_t)(e - p));
        const char *l = buf_cstr(line);
        if (is_qp(l, line->len) && line->len && l[line->len - 1] == '=' && next < lim) {
            line->len--;   /* soft line break: the next line continues verbatim */
            p = next;
            e = line_end(p, lim, &next);
            continue;
        }
        if (next < lim && (*next == ' ' || *next == '\t')) {
            p = next + 1;
            e = line_end(p, lim, &next);
            continue;
        }
        break;
    }
    buf_cstr(line);
    return next;
}

/* Parse the cards into *out (*count of them); anything but VCARD_OK leaves
 * nothing to free. */
static enum vcard_result parse_all(const char *text, size_t len, struct card **out, size_t *count)
{
    struct card *v = NULL;
    size_t nv = 0, cap = 0;
    const char *p = text, *lim = text + len;
    struct card *cur = NULL;
    struct buf line = { 0 };   /* the logical line being assembled, reused */
    enum vcard_result rc = VCARD_MALFORMED;

    while (p < lim) {
        const char *line_start = p;
        p = logical_line(p, lim, &line);
        char *logical = line.data;   /* card_line decodes quoted-printable in place */
        size_t llen = line.len;
        if (llen == 0) {
            /* kept in a card written again: without it, "\r" + "\n" of the
             * lines around it become one line end (found by fuzz_vcard) */
            if (cur)
                buf_append(&cur->conv, line_start, (size_t)(p - line_start));
            continue;
        }
        bool nul = memchr(logical, '\0', llen) != NULL;
        enum vcard_result lr;
        if (strcasecmp(logical, "BEGIN:VCARD") == 0) {
            if (cur || nul)
                goto out;   /* nested */
            v = xgrow(v, &cap, (nv + 1) * sizeof *v);   /* cap in bytes */
            cur = &v[nv++];
            memset(cur, 0, sizeof *cur);
            cur->raw = line_start;
            buf_append(&cur->conv, line_start, (size_t)(p - line_start));
        } else if (strcasecmp(logical, "END:VCARD") == 0) {
            if (!cur || nul)
                goto out;
            buf_append(&cur->conv, line_start, (size_t)(p - line_start));
            if ((lr = card_end(cur, p)) != VCARD_OK) {
                rc = lr;
                goto out;
            }
            cur = NULL;
        } else if (cur && (lr = card_line(cur, logical, llen, line_start, (size_t)(p - line_start))) != VCARD_OK) {
            rc = lr;
            goto out;
        }
    }
    if (cur)
        goto out;   /* unterminated */
    rc = VCARD_OK;
out:
    buf_cleanup(&line);
    if (rc != VCARD_OK) {
        for (size_t i = 0; i < nv; i++)
            card_free(&v[i]);
        free(v);
        v = NULL;
        nv = 0;
    }
    *out = v;
    *count = nv;
    return rc;
}

/* A text that is UTF-16 as a whole: a byte order mark, or "BE" of BEGIN
 * with NULs between. The iconv name to read it with, or NULL. */
static const char *whole_utf16(const char *d, size_t len)
{
    const unsigned char *u = (const unsigned char *)d;
    if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
        return "UTF-16";
    if (len >= 4 && u[0] == 'B' && u[1] == 0 && u[2] == 'E' && u[3] == 0)
        return "UTF-16LE";
    if (len >= 4 && u[0] == 0 && u[1] == 'B' && u[2] == 0 && u[3] == 'E')
        return "UTF-16BE";
    return NULL;
}

enum vcard_result vcard_read(const char *data, size_t len, vcard_card_fn *cb, void *ctx, size_t *count)
{
    if (data == NULL)
        return VCARD_MALFORMED;
    char *whole = NULL;
    bool converted = false;
    const char *utf16 = whole_utf16(data, len);
    if (utf16) {
        size_t wl;
        if (!to_utf8(utf16, data, len, &whole, &wl))
            return VCARD_CHARSET;
        data = whole;
        len = wl;
        converted = true;
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {   /* UTF-8 byte order mark */
        data += 3;
        len -= 3;
    }
    struct card *v = NULL;
    size_t n = 0;
    enum vcard_result rc = parse_all(data, len, &v, &n);
    if (rc != VCARD_OK) {
        free(whole);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        struct card *c = &v[i];
        struct vcard_tel tels[VCARD_MAX_TELS];
        for (size_t k = 0; k < c->ntels; k++)
            tels[k] = (struct vcard_tel){ c->tels[k].number, c->tels[k].types, c->tels[k].pref };
        struct vcard_card card = {
            .name = c->fn && *c->fn ? c->fn
                  : c->n && *c->n ? c->n
                  : c->org && *c->org ? c->org
                  : c->ntels ? c->tels[0].number : "",
            .uid = c->uid ? c->uid : "",
            .tels = tels,
            .ntels = c->ntels,
            .text = c->text,
            .text_len = c->text_len,
            .converted = converted || c->text != c->raw,
        };
        if (cb)
            cb(&card, ctx);
        card_free(c);
    }
    free(v);
    free(whole);
    if (count)
        *count = n;
    return VCARD_OK;
}

struct parse_shim {
    vcard_fn *cb;
    void *ctx;
};

static void parse_shim_card(const struct vcard_card *c, void *p)
{
    struct parse_shim *sh = p;
    const char *numbers[VCARD_MAX_TELS];
    for (size_t i = 0; i < c->ntels; i++)
        numbers[i] = c->tels[i].number;
    if (sh->cb)
        sh->cb(c->name, numbers, c->ntels, c->text, c->text_len, sh->ctx);
}

enum vcard_result vcard_parse(const char *text, size_t len, vcard_fn *cb, void *ctx, size_t *count)
{
    struct parse_shim sh = { cb, ctx };
    return vcard_read(text, len, parse_shim_card, &sh, count);
}

/* The property name of a logical line without its group ("item1.TEL" → TEL). */
static bool prop_is(const char *l, size_t len, const char *name)
{
    size_t end = 0;
    while (end < len && l[end] != ';' && l[end] != ':')
        end++;
    size_t start = end;
    while (start > 0 && l[start - 1] != '.')
        start--;
    return end - start == strlen(name) && strncasecmp(l + start, name, end - start) == 0;
}

/* One TEL in the syntax of the card's version. */
static void put_tel(struct buf *b, const struct vcard_tel *t, char version, const char *eol)
{
    buf_puts(b, "TEL");
    const char *ty = t->types ? t->types : "";
    if (version == '2') {   /* 2.1: TEL;CELL;PREF */
        for (const char *p = ty; *p;) {
            size_t n = strcspn(p, ",");
            if (n)
                buf_printf(b, ";%.*s", (int)n, p);
            p += n + (p[n] == ',');
        }
    } else if (version == '4') {   /* 4.0: TYPE=cell;PREF=1 (PREF is no TYPE there) */
        struct buf rest = { 0 };
        for (const char *p = ty; *p;) {
            size_t n = strcspn(p, ",");
            if (n && !(n == 4 && strncasecmp(p, "PREF", 4) == 0))
                buf_printf(&rest, "%s%.*s", rest.len ? "," : "", (int)n, p);
            p += n + (p[n] == ',');
        }
        if (rest.len)
            buf_printf(b, ";TYPE=%s", buf_cstr(&rest));
        if (t->pref)
            buf_puts(b, ";PREF=1");
        buf_cleanup(&rest);
    } else if (*ty) {   /* 3.0: TYPE=CELL,PREF */
        buf_printf(b, ";TYPE=%s", ty);
    }
    buf_putc(b, ':');
    for (const char *p = t->number; *p; p++) {   /* a phone number; escaped as 3.0 text all the same */
        if (version != '2' && (*p == ',' || *p == ';' || *p == '\\'))
            buf_putc(b, '\\');
        buf_putc(b, *p);
    }
    buf_puts(b, eol);
}

char *vcard_with_tels(const char *card, size_t len, const struct vcard_tel *tels, size_t ntels, size_t *out_len)
{
    struct buf b = { 0 };
    const char *p = card, *lim = card + len, *eol = "\r\n";
    char version = '3';
    bool begun = false, ended = false;
    struct buf line = { 0 };
    while (p < lim && !ended) {
        const char *start = p, *next;
        const char *e = line_end(p, lim, &next);
        if (start == card && e < lim && *e == '\n')
            eol = "\n";   /* the card's own line ends */
        /* what the reader makes of it: its logical line (found by fuzz_card:
         * "END:V0" was taken for the card's end, and the rest cut off) */
        next = logical_line(p, lim, &line);
        const char *l = line.data;
        if (!begun && strcasecmp(l, "BEGIN:VCARD") == 0) {
            begun = true;
        } else if (begun && strcasecmp(l, "END:VCARD") == 0) {
            for (size_t i = 0; i < ntels; i++)
                put_tel(&b, &tels[i], version, eol);
            ended = true;
        } else if (prop_is(l, line.len, "VERSION")) {
            const char *colon = memchr(l, ':', line.len);
            if (colon && colon[1])
                version = colon[1];
        } else if (prop_is(l, line.len, "TEL")) {
            p = next;
            continue;   /* the card's TELs give way to tels[] */
        }
        buf_append(&b, start, (size_t)(next - start));
        if (next == lim && (next == start || (next[-1] != '\n')))
            buf_puts(&b, eol);   /* END:VCARD without a line end */
        p = next;
    }
    buf_cleanup(&line);
    if (!ended) {
        buf_cleanup(&b);
        return NULL;
    }
    return buf_steal(&b, out_len);
}
