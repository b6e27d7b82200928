/*
 * core_vcard — the little vCard (2.1 / 3.0) the SMS engine needs: format a
 * contact as a vCard text for GET C<n>, and pick name and number out of a
 * vCard text message a phone sends in. Private to gateway-plugin/core/.
 * It is not a vCard library: only FN / N and the first TEL are read,
 * folded lines are joined, photos and other properties are ignored (the
 * card is stored as received).
 */
#ifndef SMSVAULT_CORE_VCARD_H
#define SMSVAULT_CORE_VCARD_H

#include <stdbool.h>
#include <stddef.h>

/* "BEGIN:VCARD ... END:VCARD" with FN and TEL, CRLF lines; malloc'd. */
char *core_vcard_format(const char *name, const char *number, size_t *len_out);

/* True when text (after leading whitespace) starts with BEGIN:VCARD. */
bool core_vcard_is(const char *text, size_t len);

/* Called once per card: name and number are "" when the card lacks them;
 * card points at the card's own text in the input. Return non-zero to stop. */
typedef int core_vcard_fn(const char *name, const char *number, const char *card,
                          size_t card_len, void *ctx);

/* Walk the cards in text. Returns the number of cards seen. */
int core_vcard_parse(const char *text, size_t len, core_vcard_fn *cb, void *ctx);

#endif
