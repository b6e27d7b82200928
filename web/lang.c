/*
 * lang — Accept-Language to "en" or "zh" (see lang.h).
 */
#include "lang.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* The range at p (up to ',' or end) is lang, or lang-something. */
static bool range_is(const char *p, size_t len, const char *lang)
{
    size_t n = strlen(lang);
    return len >= n && strncasecmp(p, lang, n) == 0 && (len == n || p[n] == '-');
}

/* q of the parameters in [p, end): 1 when none; 0..1000 in thousandths. */
static int quality(const char *p, const char *end)
{
    for (; p < end; p++) {
        if (*p != ';')
            continue;
        const char *v = p + 1;
        while (v < end && *v == ' ')
            v++;
        if (end - v >= 2 && (v[0] == 'q' || v[0] == 'Q') && v[1] == '=') {
            v += 2;
            int q = 0, digits = 0;
            if (v < end && (*v == '0' || *v == '1')) {
                q = (*v - '0') * 1000;
                v++;
                if (v < end && *v == '.')
                    for (v++; v < end && isdigit((unsigned char)*v) && digits < 3; v++, digits++)
                        q += (*v - '0') * (digits == 0 ? 100 : digits == 1 ? 10 : 1);
            }
            return q > 1000 ? 1000 : q;
        }
    }
    return 1000;
}

const char *lang_from_accept(const char *header)
{
    const char *best = "en";
    int best_q = 0;   /* a range must have q > 0 to count; the first of equal q wins */
    const char *p = header;
    while (p && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        size_t tag = 0;
        while (p + tag < end && p[tag] != ';' && p[tag] != ' ')
            tag++;
        int q = quality(p + tag, end);
        const char *lang = range_is(p, tag, "zh") ? "zh" : range_is(p, tag, "en") ? "en" : NULL;
        if (lang && q > best_q) {
            best = lang;
            best_q = q;
        }
        p = end;
    }
    return best;
}
