/*
 * framing — strict request framing (see framing.h). The rules are RFC 9112's
 * (§6.1, §6.3) taken at their strictest: where the RFC lets a server choose
 * between tolerating and refusing, we refuse, because a tolerated oddity is
 * exactly what a proxy in front may read differently.
 */
#include "framing.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

static bool starts_with_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

void framing_init(struct framing *f)
{
    memset(f, 0, sizeof *f);
}

void framing_header(struct framing *f, const char *name, const char *value)
{
    if (!is_token(name, strlen(name))) {
        if (f->why == NULL)
            f->why = "a header name is not a token";
        return;
    }
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
            if (f->why == NULL)
                f->why = "a header value holds a control character";
            return;
        }
    if (strcasecmp(name, "Content-Length") == 0) {
        f->n_content_length++;
        f->content_length = value;
    } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        f->n_transfer_encoding++;
        f->transfer_encoding = value;
    } else if (strcasecmp(name, "Host") == 0) {
        f->n_host++;
    } else if (starts_with_ci(name, "Content-Length") || starts_with_ci(name, "Transfer-Encoding")) {
        /* libmicrohttpd glues an obs-fold continuation onto the name */
        if (f->why == NULL)
            f->why = "a length header is folded or misspelt";
    }
}

/* Content-Length: 1*DIGIT, no sign, no spaces, no leading zero; more digits
 * than fit in 18 are "too large" (no body we take is near 10^18 bytes). */
static enum framing_result parse_length(const char *v, unsigned long long *out, const char **why)
{
    size_t n = strlen(v);
    if (n == 0 || strspn(v, "0123456789") != n) {
        *why = "Content-Length is not a number";
        return FRAMING_BAD;
    }
    if (n > 1 && v[0] == '0') {
        *why = "Content-Length has leading zeros";
        return FRAMING_BAD;
    }
    if (n > 18) {
        *why = "Content-Length is too large";
        return FRAMING_TOO_LARGE;
    }
    unsigned long long x = 0;
    for (size_t i = 0; i < n; i++)
        x = x * 10 + (unsigned)(v[i] - '0');
    *out = x;
    return FRAMING_OK;
}

/* Transfer-Encoding: exactly "chunked" is read. A list of valid codings
 * ending in one "chunked" is 501 (codings we do not implement); anything
 * else (chunked not last, twice, odd case or spacing, not a token) is 400:
 * the body's end cannot be found (RFC 9112 §6.3 item 4). */
static enum framing_result parse_coding(const char *v, const char **why)
{
    if (strcmp(v, "chunked") == 0)
        return FRAMING_OK;
    int n = 0, chunked_at = -1, chunked_count = 0;
    const char *p = v;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        size_t len = (size_t)(p - start);
        while (*p == ' ' || *p == '\t')
            p++;
        if (!is_token(start, len) || (*p != ',' && *p != '\0')) {
            *why = "Transfer-Encoding is malformed";
            return FRAMING_BAD;
        }
        if (len == 7 && strncasecmp(start, "chunked", 7) == 0) {
            chunked_count++;
            chunked_at = n;
        }
        n++;
        if (*p == '\0')
            break;
        p++;
    }
    if (chunked_count == 1 && chunked_at == n - 1 && n > 1) {
        *why = "a transfer coding other than chunked";
        return FRAMING_NOT_IMPLEMENTED;
    }
    *why = "Transfer-Encoding must be exactly \"chunked\"";
    return FRAMING_BAD;
}

static bool method_has_body(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
}

enum framing_result framing_check(const struct framing *f, const char *method, const char *version,
                                  bool *chunked, unsigned long long *length, const char **why)
{
    bool http11 = strcmp(version, "HTTP/1.1") == 0;
    *chunked = false;
    *length = 0;
    if (f->why) {
        *why = f->why;
        return FRAMING_BAD;
    }
    if (!http11 && strcmp(version, "HTTP/1.0") != 0) {
        *why = "only HTTP/1.0 and HTTP/1.1 are spoken here";
        return FRAMING_BAD;
    }
    if (f->n_host > 1 || (http11 && f->n_host == 0)) {
        *why = "a request needs exactly one Host";
        return FRAMING_BAD;
    }
    if (f->n_transfer_encoding > 0) {
        if (f->n_transfer_encoding > 1 || f->n_content_length > 0 || !http11) {
            *why = f->n_content_length > 0 ? "both Content-Length and Transfer-Encoding"
                 : !http11               ? "Transfer-Encoding in HTTP/1.0"
                                         : "Transfer-Encoding given twice";
            return FRAMING_BAD;
        }
        enum framing_result r = parse_coding(f->transfer_encoding, why);
        if (r == FRAMING_OK)
            *chunked = true;
        return r;
    }
    if (f->n_content_length > 1) {
        *why = "Content-Length given twice";
        return FRAMING_BAD;
    }
    if (f->n_content_length == 1)
        return parse_length(f->content_length, length, why);
    if (method_has_body(method)) {
        *why = "a body needs a Content-Length";
        return FRAMING_LENGTH_REQUIRED;
    }
    return FRAMING_OK;
}

unsigned framing_status(enum framing_result r)
{
    switch (r) {
    case FRAMING_OK: return 200;
    case FRAMING_BAD: return 400;
    case FRAMING_LENGTH_REQUIRED: return 411;
    case FRAMING_TOO_LARGE: return 413;
    case FRAMING_NOT_IMPLEMENTED: return 501;
    }
    return 400;
}
