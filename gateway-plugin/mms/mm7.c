/*
 * mm7 — status codes, outcomes, addresses and dates of MM7 (see mm7.h).
 */
#include "mm7.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "msisdn.h"
#include "utf8.h"

enum mm7_outcome mm7_outcome_of(int status)
{
    if (status >= 1000 && status < 2000)
        return MM7_DONE;
    /* 4006 "Service unavailable" is temporary by its definition, although
     * its class (service error) is otherwise permanent */
    if ((status >= 3000 && status < 4000) || status == MM7_SERVICE_UNAVAILABLE)
        return MM7_RETRY;
    if (status >= 2000 && status < 5000)
        return MM7_PERMANENT;
    return MM7_RETRY;   /* no status or an unknown class: nothing says it is final */
}

int mm7_backoff_s(int attempt, int base_s, int max_s)
{
    if (base_s < 1)
        base_s = 1;
    if (max_s < base_s)
        max_s = base_s;
    long long d = base_s;
    for (int i = 1; i < attempt && d < max_s; i++)
        d *= 2;
    return d > max_s ? max_s : (int)d;
}

static const struct {
    enum mm7_result r;
    int status;
    const char *name;
} results[] = {
    { MM7_OK, MM7_SUCCESS, "ok" },
    { MM7_E_TOO_LARGE, MM7_CONTENT_REFUSED, "too-large" },
    { MM7_E_PARTS, MM7_CONTENT_REFUSED, "too-many-parts" },
    { MM7_E_CONTENT, MM7_CONTENT_REFUSED, "content-unreadable" },
    { MM7_E_MIME, MM7_VALIDATION_ERROR, "mime-broken" },
    { MM7_E_XML, MM7_VALIDATION_ERROR, "xml-broken" },
    { MM7_E_DOCTYPE, MM7_VALIDATION_ERROR, "doctype" },
    { MM7_E_NOT_SOAP, MM7_VALIDATION_ERROR, "not-soap" },
    { MM7_E_MISSING, MM7_VALIDATION_ERROR, "missing-element" },
    { MM7_E_ADDRESS, MM7_ADDRESS_ERROR, "bad-address" },
    { MM7_E_UNSUPPORTED, MM7_UNSUPPORTED_OPERATION, "unsupported-operation" },
};

int mm7_result_status(enum mm7_result r)
{
    for (size_t i = 0; i < sizeof results / sizeof results[0]; i++)
        if (results[i].r == r)
            return results[i].status;
    return MM7_SERVER_ERROR;
}

const char *mm7_result_name(enum mm7_result r)
{
    for (size_t i = 0; i < sizeof results / sizeof results[0]; i++)
        if (results[i].r == r)
            return results[i].name;
    return "?";
}

/* The phone number in text[0..len) — a number as common/msisdn defines it,
 * of at most LIMIT_PHONE_DIGITS_MAX digits — as the network writes a
 * sender: its leading '+' if any, then its digits. False for anything else. */
static bool number_of(const char *text, size_t len, char out[MM7_MSISDN_MAX])
{
    char written[LIMIT_PEER_MAX + 1];
    if (len > LIMIT_PEER_MAX)
        return false;
    memcpy(written, text, len);
    written[len] = '\0';
    size_t digits = msisdn_digits(written);
    if (digits == 0 || digits > LIMIT_PHONE_DIGITS_MAX)
        return false;
    size_t k = 0;
    const char *p = written + strspn(written, " ");
    if (*p == '+')
        out[k++] = '+';
    for (; *p; p++)
        if (*p >= '0' && *p <= '9')
            out[k++] = *p;
    out[k] = '\0';
    return true;
}

void mm7_address_normalise(struct mm7_address *a)
{
    a->msisdn[0] = '\0';
    if (a->value == NULL)
        return;
    const char *v = a->value;
    size_t len = strlen(v);
    if (a->kind == MM7_ADDR_EMAIL || (a->kind == MM7_ADDR_TEXT && strchr(v, '@'))) {
        const char *at = strrchr(v, '@');
        len = (size_t)(at - v);   /* the local part: "+8613800000001/TYPE=PLMN@mms.example" */
    }
    /* "/TYPE=PLMN" (Nokia), "/TYPE=IPv4" ...: the number is what comes before */
    for (size_t i = 0; i + 6 <= len; i++) {
        if (strncasecmp(v + i, "/TYPE=", 6) == 0) {
            len = i;
            break;
        }
    }
    char num[MM7_MSISDN_MAX];
    if (number_of(v, len, num))
        memcpy(a->msisdn, num, sizeof num);
}

void mm7_address_cleanup(struct mm7_address *a)
{
    if (a == NULL)
        return;
    free(a->value);
    memset(a, 0, sizeof *a);
}

static bool digits_at(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

time_t mm7_parse_datetime(const char *s)
{
    int y, mo, d, h, mi, sec;
    if (s == NULL)
        return -1;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    if (strlen(s) < 19 || !digits_at(s, 4, &y) || s[4] != '-' || !digits_at(s + 5, 2, &mo) || s[7] != '-' ||
        !digits_at(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits_at(s + 11, 2, &h) ||
        s[13] != ':' || !digits_at(s + 14, 2, &mi) || s[16] != ':' || !digits_at(s + 17, 2, &sec))
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || sec > 60)
        return -1;
    const char *p = s + 19;
    if (*p == '.') {   /* fractions of a second: dropped */
        p++;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits_at(p + 1, 2, &oh) || p[3] != ':' || !digits_at(p + 4, 2, &om) || oh > 14 || om > 59)
            return -1;
        offset = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
        p += 6;
    }
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    if (*p != '\0')
        return -1;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
                     .tm_sec = sec };
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    t -= offset;
    return t < 0 ? -1 : t;
}

void mm7_format_datetime(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool mm7_one_line(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > LIMIT_MM7_ID_MAX || !utf8_valid(s, strlen(s)))
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

char *mm7_cid_normalise(const char *s)
{
    if (s == NULL)
        return NULL;
    const char *b = s, *e = s + strlen(s);
    while (b < e && isspace((unsigned char)*b))
        b++;
    if (e - b >= 4 && strncasecmp(b, "cid:", 4) == 0)
        b += 4;
    while (b < e && isspace((unsigned char)*b))
        b++;
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    if (e - b >= 2 && *b == '<' && e[-1] == '>') {
        b++;
        e--;
    }
    return e > b ? xstrndup(b, (size_t)(e - b)) : NULL;
}
