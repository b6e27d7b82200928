/*
 * msisdn — phone numbers as written, their keys, and which uses take them
 * (see msisdn.h).
 */
#include "msisdn.h"

#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_separator(char c) { return c != '\0' && strchr("+ -.()", c) != NULL; }

size_t msisdn_digits(const char *number)
{
    if (number == NULL)
        return 0;
    size_t len = strnlen(number, LIMIT_PEER_MAX + 1), digits = 0;
    char first[2] = { 0 };   /* the first two digits: a leading "00" is not part of the key */
    if (len > LIMIT_PEER_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (is_digit(number[i])) {
            if (digits < 2)
                first[digits] = number[i];
            digits++;
        } else if (!is_separator(number[i])) {
            return 0;
        }
    }
    bool international = first[0] == '0' && first[1] == '0';
    return digits > (international ? 2u : 0u) ? digits : 0;
}

bool msisdn_key(const char *number, char key[MSISDN_KEY_SIZE])
{
    if (msisdn_digits(number) == 0)
        return false;
    size_t n = 0;
    for (const char *c = number; *c; c++)
        if (is_digit(*c))
            key[n++] = *c;
    key[n] = '\0';
    if (n >= 2 && key[0] == '0' && key[1] == '0')
        memmove(key, key + 2, n - 1);   /* and the NUL */
    return true;
}

bool msisdn_is_phone(const char *number)
{
    size_t d = msisdn_digits(number);
    return d >= LIMIT_PHONE_DIGITS_MIN && d <= LIMIT_PHONE_DIGITS_MAX;
}

static bool is_list_separator(char c) { return c == ',' || c == ' '; }

/* Walk prefixes; with key, true at the first entry key starts with; without
 * (NULL), true when the whole list is valid. */
static bool walk_prefixes(const char *prefixes, const char *key)
{
    if (prefixes == NULL)
        return false;
    size_t entries = 0;
    for (const char *c = prefixes; *c;) {
        if (is_list_separator(*c)) {
            c++;
            continue;
        }
        size_t n = 0;
        while (is_digit(c[n]))
            n++;
        if (n == 0 || n > LIMIT_PHONE_DIGITS_MAX || (c[n] != '\0' && !is_list_separator(c[n])))
            return false;
        if (key && strncmp(key, c, n) == 0)
            return true;
        entries++;
        c += n;
    }
    return key == NULL && entries > 0;
}

bool msisdn_prefixes_valid(const char *prefixes)
{
    return walk_prefixes(prefixes, NULL);
}

bool msisdn_has_prefix(const char *number, const char *prefixes)
{
    char key[MSISDN_KEY_SIZE];
    return msisdn_key(number, key) && msisdn_prefixes_valid(prefixes) && walk_prefixes(prefixes, key);
}

bool msisdn_is_contact(const char *number)
{
    return msisdn_digits(number) >= LIMIT_CONTACT_DIGITS_MIN;
}

bool msisdn_answerable(const char *sender)
{
    if (msisdn_digits(sender) == 0)
        return false;
    for (const char *c = sender + (sender[0] == '+'); *c; c++)
        if (!is_digit(*c))
            return false;
    return true;
}
