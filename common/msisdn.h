/*
 * msisdn — what a phone number is, in one place for the whole of smsvault:
 * the SMS engine (who may be answered, what CONTACT takes), the store (which
 * phone a number is, what a contact's number may be) and the web page (what
 * may be typed to link a phone, what an import keeps).
 *
 * A number as written is 1..LIMIT_PEER_MAX bytes of digits and the
 * separators '+', ' ', '-', '.', '(' and ')' — "+8613800000001",
 * "8613800000001", "+86 138-0000-0001", "008613800000001" and
 * "(86) 138.0000.0001" are one phone. Its key is its digits without a
 * leading international "00"; migration 003 computes the same key in SQL
 * (regexp_replace(regexp_replace(msisdn, '[^0-9]', '', 'g'), '^00', '')) and
 * calls it by its old name, st_msisdn_key in store/store.c; the two must not
 * drift apart (store_items_test compares them). Letters ("CHINAMOBILE"),
 * '*' and '#' (service codes) and control characters make it no number.
 *
 * It does not format, normalise to E.164 or know any country's numbering
 * plan, and it stores nothing.
 */
#ifndef SMSVAULT_MSISDN_H
#define SMSVAULT_MSISDN_H

#include <stdbool.h>
#include <stddef.h>

#include "limit.h"

#define MSISDN_KEY_SIZE (LIMIT_PEER_MAX + 1)

/* How many digits number has when it is a number as written (above), with
 * a key that is not empty; 0 when it is no number ("", "00", "abc", "*100#",
 * longer than LIMIT_PEER_MAX). NULL is no number. */
size_t msisdn_digits(const char *number);

/* The key a phone is matched by: the digits of number without one leading
 * "00" ("+86 138-0000-0001" and "008613800000001" → "8613800000001").
 * False, with key untouched, when number is no number (msisdn_digits 0). */
bool msisdn_key(const char *number, char key[MSISDN_KEY_SIZE]);

/* A phone a person links to an account (typed on the web page): a number
 * with LIMIT_PHONE_DIGITS_MIN..LIMIT_PHONE_DIGITS_MAX digits. */
bool msisdn_is_phone(const char *number);

/* Prefix lists ([web] phone_prefixes: the numbers the page may text a code
 * to): country or area codes as digits, separated by commas and/or spaces
 * ("86", "86, 852 853"). Valid: at least one, each 1..LIMIT_PHONE_DIGITS_MAX
 * digits, nothing else. */
bool msisdn_prefixes_valid(const char *prefixes);
/* True when number's key starts with one of prefixes: "+86 138...",
 * "8613800000001" and "008613800000001" match "86"; a national form
 * ("13800000001") does not. False for no number or an invalid list. */
bool msisdn_has_prefix(const char *number, const char *prefixes);

/* A contact's number (CONTACT, a vCard texted in or imported, a CSV row, the
 * web page's form): a number with at least LIMIT_CONTACT_DIGITS_MIN digits. */
bool msisdn_is_contact(const char *number);

/* A sender the service can answer, as the operator's network hands it to
 * bearerbox: digits with an optional leading '+', no separators, and a key
 * (not "+", not "00"). False for alphanumeric senders (operators, banks,
 * spam: "CHINAMOBILE") and anything else — they are never answered. */
bool msisdn_answerable(const char *sender);

#endif
