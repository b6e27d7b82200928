/*
 * vcard — the contact text format shared by the SMS engine (CONTACT, vCards
 * texted to the service) and the web import: format one name + number as a
 * vCard 3.0, and read the cards of a vCard 2.1 / 3.0 text. It does not store
 * anything, and keeps only what smsvault uses: the name and the TEL numbers
 * (the raw card text is handed back so it can be archived as received).
 */
#ifndef SMSVAULT_VCARD_H
#define SMSVAULT_VCARD_H

#include <stddef.h>

#define VCARD_MAX_TELS 32

/* vCard 3.0 text (CRLF lines, RFC 2426 escaping of \ , ; and newlines, lines
 * folded at 75 octets without splitting a UTF-8 character) with FN, N and TEL.
 * NULL when name or number is empty or not UTF-8. Free with free(3). */
char *vcard_format(const char *name, const char *number);

/* One card: name (FN, else built from N, else ORG, else the first number;
 * never NULL, may be "" for a card with neither), its TEL numbers in order,
 * and the card's own text in the input (BEGIN line to END line inclusive).
 * All strings are valid UTF-8 and borrowed for the call only. */
typedef void vcard_fn(const char *name, const char *const *numbers, size_t nnumbers,
                      const char *raw, size_t raw_len, void *ctx);

enum vcard_result {
    VCARD_OK = 0,
    VCARD_MALFORMED,   /* not UTF-8, or a card is unterminated, nested, has a line without ':',
                          bad quoted-printable or a decoded value that is not UTF-8 */
};

/* Read every BEGIN:VCARD .. END:VCARD in text[0..len): vCard 2.1
 * (QUOTED-PRINTABLE with soft line breaks, CHARSET=UTF-8) and 3.0 (folded
 * lines, backslash escapes). Text outside cards is ignored. VCARD_OK with
 * the number of cards in *count (count may be NULL; 0: none), after cb for
 * each; VCARD_MALFORMED without calling cb at all. */
enum vcard_result vcard_parse(const char *text, size_t len, vcard_fn *cb, void *ctx, size_t *count);

#endif
