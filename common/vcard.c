/*
 * vcard — vCard 2.1 / 3.0 reading and 3.0 writing (see vcard.h). Parsing is
 * two passes: every card is decoded first, and the callback runs only when
 * the whole input was valid, so a caller never archives half an import.
 */
#include "vcard.h"

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

struct card {
    char *fn, *n, *org;
    char *tels[VCARD_MAX_TELS];
    size_t ntels;
    const char *raw;
    size_t raw_len;
};

static void card_free(struct card *c)
{
    free(c->fn);
    free(c->n);
    free(c->org);
    for (size_t i = 0; i < c->ntels; i++)
        free(c->tels[i]);
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

/* One logical line (unfolded, soft breaks joined) of a card. */
static bool card_line(struct card *c, char *line, size_t len)
{
    char *colon = memchr(line, ':', len);
    if (colon == NULL)
        return false;
    size_t nlen = (size_t)(colon - line);
    char *semi = memchr(line, ';', nlen);
    size_t namelen = semi ? (size_t)(semi - line) : nlen;
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
    if (has_param(params, plen, "QUOTED-PRINTABLE") && !qp_decode(value, &vlen))
        return false;
    if (!utf8_valid(value, vlen))
        return false;
    if (namelen == 2 && strncasecmp(name, "FN", 2) == 0 && !c->fn) {
        c->fn = unescape(value, vlen);
        trim(c->fn);
    } else if (namelen == 1 && strncasecmp(name, "N", 1) == 0 && !c->n) {
        c->n = name_from_n(value, vlen, true);
    } else if (namelen == 3 && strncasecmp(name, "ORG", 3) == 0 && !c->org) {
        c->org = name_from_n(value, vlen, false);   /* ORG is structured too: org;unit */
    } else if (namelen == 3 && strncasecmp(name, "TEL", 3) == 0) {
        char *t = unescape(value, vlen);
        trim(t);
        if (*t && c->ntels < VCARD_MAX_TELS)
            c->tels[c->ntels++] = t;
        else
            free(t);
    }
    return true;
}

/* Parse the cards into *out (*count of them); false on a malformed card
 * (nothing is left to free then). */
static bool parse_all(const char *text, size_t len, struct card **out, size_t *count)
{
    struct card *v = NULL;
    size_t nv = 0, cap = 0;
    const char *p = text, *lim = text + len;
    struct card *cur = NULL;
    struct buf line = { 0 };   /* the logical line being assembled, reused */
    bool ok = false;

    while (p < lim) {
        const char *line_start = p, *next;
        const char *e = line_end(p, lim, &next);
        /* assemble the logical line: folding (next line starts with a blank)
         * and quoted-printable soft breaks (line ends with '=') */
        buf_clear(&line);
        for (;;) {
            buf_append(&line, p, (size_t)(e - p));
            const char *l = buf_cstr(&line);
            if (is_qp(l, line.len) && line.len && l[line.len - 1] == '=' && next < lim) {
                line.len--;   /* soft line break: the next line continues verbatim */
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
        p = next;
        buf_cstr(&line);
        char *logical = line.data;   /* card_line decodes quoted-printable in place */
        size_t llen = line.len;
        if (llen == 0)
            continue;
        if (strcasecmp(logical, "BEGIN:VCARD") == 0) {
            if (cur)
                goto out;   /* nested */
            v = xgrow(v, &cap, (nv + 1) * sizeof *v);   /* cap in bytes */
            cur = &v[nv++];
            memset(cur, 0, sizeof *cur);
            cur->raw = line_start;
        } else if (strcasecmp(logical, "END:VCARD") == 0) {
            if (!cur)
                goto out;
            cur->raw_len = (size_t)(p - cur->raw);
            cur = NULL;
        } else if (cur && !card_line(cur, logical, llen)) {
            goto out;
        }
    }
    if (cur)
        goto out;   /* unterminated */
    ok = true;
out:
    buf_cleanup(&line);
    if (!ok) {
        for (size_t i = 0; i < nv; i++)
            card_free(&v[i]);
        free(v);
        v = NULL;
        nv = 0;
    }
    *out = v;
    *count = nv;
    return ok;
}

enum vcard_result vcard_parse(const char *text, size_t len, vcard_fn *cb, void *ctx, size_t *count)
{
    if (text == NULL || !utf8_valid(text, len))
        return VCARD_MALFORMED;
    struct card *v = NULL;
    size_t n = 0;
    if (!parse_all(text, len, &v, &n))
        return VCARD_MALFORMED;
    for (size_t i = 0; i < n; i++) {
        struct card *c = &v[i];
        const char *name = c->fn && *c->fn ? c->fn
                         : c->n && *c->n ? c->n
                         : c->org && *c->org ? c->org
                         : c->ntels ? c->tels[0] : "";
        if (cb)
            cb(name, (const char *const *)c->tels, c->ntels, c->raw, c->raw_len, ctx);
        card_free(c);
    }
    free(v);
    if (count)
        *count = n;
    return VCARD_OK;
}
