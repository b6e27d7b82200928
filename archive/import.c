/*
 * import — format detection and date parsing shared by the importers (see
 * import.h).
 */
#include "import.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum import_format import_detect(const char *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF)
        i = 3;
    while (i < len && isspace((unsigned char)data[i]))
        i++;
    if (i < len && data[i] == '<')
        return IMPORT_FORMAT_XML;
    if (len - i >= 11 && strncasecmp(data + i, "BEGIN:VCARD", 11) == 0)
        return IMPORT_FORMAT_VCARD;
    return IMPORT_FORMAT_CSV;
}

enum import_format import_format_parse(const char *name)
{
    if (name == NULL)
        return IMPORT_FORMAT_UNKNOWN;
    if (strcasecmp(name, "xml") == 0)
        return IMPORT_FORMAT_XML;
    if (strcasecmp(name, "vcard") == 0 || strcasecmp(name, "vcf") == 0)
        return IMPORT_FORMAT_VCARD;
    if (strcasecmp(name, "csv") == 0)
        return IMPORT_FORMAT_CSV;
    return IMPORT_FORMAT_UNKNOWN;
}

bool import_parse_time_ms(const char *text, long long *out)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t n = strlen(text);
    while (n && isspace((unsigned char)text[n - 1]))
        n--;
    if (n == 0)
        return false;
    size_t digits = 0;
    while (digits < n && isdigit((unsigned char)text[digits]))
        digits++;
    if (digits == n && n <= 15) {
        long long v = 0;
        for (size_t i = 0; i < n; i++)
            v = v * 10 + (text[i] - '0');
        *out = v > 100000000000LL ? v : v * 1000;
        return true;
    }
    struct tm tm = { 0 };
    int y, mo, d, h = 0, mi = 0, s = 0, ms = 0, used = 0;
    char sep;
    if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3)
        return false;
    if ((size_t)used < n) {
        int used2 = 0;
        if (sscanf(text + used, "%c%2d:%2d%n", &sep, &h, &mi, &used2) != 3 || (sep != 'T' && sep != ' '))
            return false;
        used += used2;
        if (text[used] == ':') {
            int used3 = 0;
            if (sscanf(text + used, ":%2d%n", &s, &used3) != 1)
                return false;
            used += used3;
            if (text[used] == '.') {   /* milliseconds, as the export writes them */
                int k = 0;
                for (used++; isdigit((unsigned char)text[used]); used++, k++)
                    if (k < 3)
                        ms = ms * 10 + (text[used] - '0');
                if (k == 0)
                    return false;
                for (; k < 3; k++)
                    ms *= 10;
            }
        }
        if (text[used] == 'Z')
            used++;
        if ((size_t)used != n)
            return false;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    *out = (long long)timegm(&tm) * 1000 + ms;
    return true;
}

bool import_parse_time(const char *text, long long *out)
{
    long long ms;
    if (!import_parse_time_ms(text, &ms))
        return false;
    *out = ms / 1000;
    return true;
}
