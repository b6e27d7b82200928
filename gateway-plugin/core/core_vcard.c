/*
 * core_vcard — format and read the minimum of vCard the SMS engine needs
 * (see core_vcard.h).
 */
#include "core_vcard.h"

#include <string.h>
#include <strings.h>

#include "alloc.h"

char *core_vcard_format(const char *name, const char *number, size_t *len_out)
{
    char *v = xasprintf("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:%s\r\nTEL:%s\r\nEND:VCARD\r\n", name, number);
    if (len_out)
        *len_out = strlen(v);
    return v;
}

static size_t skip_ws(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

bool core_vcard_is(const char *text, size_t len)
{
    size_t i = skip_ws(text, len);
    return len - i >= 11 && strncasecmp(text + i, "BEGIN:VCARD", 11) == 0;
}

/* Copy a property value, undoing \, \; \n escapes, into out (cap bytes). */
static void unescape(const char *v, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        if (v[i] == '\\' && i + 1 < n) {
            i++;
            out[o++] = (v[i] == 'n' || v[i] == 'N') ? ' ' : v[i];
        } else {
            out[o++] = v[i];
        }
    }
    out[o] = '\0';
}

/* True when line[0..n) is property `prop` (with or without ;params). */
static const char *prop_value(const char *line, size_t n, const char *prop, size_t *vlen)
{
    size_t pl = strlen(prop);
    if (n <= pl || strncasecmp(line, prop, pl) != 0 || (line[pl] != ':' && line[pl] != ';'))
        return NULL;
    const char *colon = memchr(line, ':', n);
    if (colon == NULL)
        return NULL;
    *vlen = n - (size_t)(colon + 1 - line);
    return colon + 1;
}

/* "Family;Given;..." → "Given Family". */
static void structured_name(const char *v, size_t n, char *out, size_t cap)
{
    char fam[256], giv[256];
    const char *semi = memchr(v, ';', n);
    if (semi == NULL) {
        unescape(v, n, out, cap);
        return;
    }
    unescape(v, (size_t)(semi - v), fam, sizeof fam);
    const char *g = semi + 1, *end = v + n, *semi2 = memchr(g, ';', (size_t)(end - g));
    unescape(g, (size_t)((semi2 ? semi2 : end) - g), giv, sizeof giv);
    if (giv[0] && fam[0]) {
        size_t gl = strlen(giv);
        if (gl + 1 + strlen(fam) + 1 <= cap) {
            memcpy(out, giv, gl);
            out[gl] = ' ';
            strcpy(out + gl + 1, fam);
            return;
        }
    }
    strncpy(out, giv[0] ? giv : fam, cap - 1);
    out[cap - 1] = '\0';
}

int core_vcard_parse(const char *text, size_t len, core_vcard_fn *cb, void *ctx)
{
    int cards = 0;
    size_t i = 0, start = 0;
    bool in = false;
    char fn[256] = "", n_name[256] = "", tel[80] = "";

    while (i < len) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        size_t n = e - i;
        const char *line = text + i;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        size_t vlen;
        const char *v;
        if (!in && n >= 11 && strncasecmp(line, "BEGIN:VCARD", 11) == 0) {
            in = true;
            start = i;
            fn[0] = n_name[0] = tel[0] = '\0';
        } else if (in && n >= 9 && strncasecmp(line, "END:VCARD", 9) == 0) {
            in = false;
            cards++;
            size_t end = e < len ? e + 1 : e;
            if (cb(fn[0] ? fn : n_name, tel, text + start, end - start, ctx) != 0)
                return cards;
        } else if (in && (v = prop_value(line, n, "FN", &vlen)) != NULL) {
            unescape(v, vlen, fn, sizeof fn);
        } else if (in && (v = prop_value(line, n, "N", &vlen)) != NULL) {
            structured_name(v, vlen, n_name, sizeof n_name);
        } else if (in && tel[0] == '\0' && (v = prop_value(line, n, "TEL", &vlen)) != NULL) {
            unescape(v, vlen, tel, sizeof tel);
        }
        i = e < len ? e + 1 : e;
    }
    return cards;
}
