/*
 * vcard — the contact text format shared by the SMS engine (CONTACT, vCards
 * texted to the service or sent as a business card to port 9204) and the
 * web import: format one name + number as a vCard 3.0, give a card other
 * numbers (a person's, for export), and read the cards
 * of a vCard 2.1 / 3.0 text in whatever character set the cards name. It
 * does not store anything, and keeps only what smsvault uses: the name, the
 * TEL numbers with their type parameters, the UID, and the card's text in
 * UTF-8 so that it can be archived (and sent back) as received.
 */
#ifndef SMSVAULT_VCARD_H
#define SMSVAULT_VCARD_H

#include <stdbool.h>
#include <stddef.h>

/* TELs read from one card; the ones after these are ignored (a card with a
 * thousand numbers is no person's, and each kept number is an archive row). */
#define VCARD_MAX_TELS 32

/* vCard 3.0 text (CRLF lines, RFC 2426 escaping of \ , ; and newlines, lines
 * folded at 75 octets without splitting a UTF-8 character) with FN, N and TEL.
 * NULL when name or number is empty or not UTF-8. Free with free(3). */
char *vcard_format(const char *name, const char *number);

/* One TEL of a card. */
struct vcard_tel {
    const char *number;   /* the value, unescaped and trimmed */
    const char *types;    /* its type parameters in upper case, comma-separated, each once:
                             "CELL,PREF" (2.1 TEL;CELL;PREF, 3.0 TYPE=cell,pref); "" for none */
    bool pref;            /* marked preferred (PREF among the types, or 4.0 PREF=n) */
};

/* One card, as read. Every string is valid UTF-8 and borrowed for the
 * callback only. */
struct vcard_card {
    const char *name;     /* FN, else built from N, else ORG, else the first number; "" if none */
    const char *uid;      /* UID, "" when the card has none (or one longer than 256 bytes) */
    const struct vcard_tel *tels;
    size_t ntels;         /* in the card's order, at most VCARD_MAX_TELS */
    const char *text;     /* the card (BEGIN line to END line inclusive) in UTF-8: the bytes
                             as received when they were UTF-8 (quoted-printable values in
                             another charset are ASCII, so such a card too), else the card
                             with each property whose bytes were not UTF-8 written again
                             with its value in UTF-8 and CHARSET=UTF-8 */
    size_t text_len;
    bool converted;       /* text is not the received bytes */
};

typedef void vcard_card_fn(const struct vcard_card *card, void *ctx);

enum vcard_result {
    VCARD_OK = 0,
    VCARD_MALFORMED,   /* a card is unterminated or nested, has a line without ':', a NUL
                          byte, bad quoted-printable, or a value that is not text */
    VCARD_CHARSET,     /* a card names a character set that is not known, or a value is
                          not valid in the character set it names */
};

/*
 * Read every BEGIN:VCARD .. END:VCARD in data[0..len): vCard 2.1
 * (QUOTED-PRINTABLE with soft line breaks, CHARSET=... on each property)
 * and 3.0 (folded lines, backslash escapes). Values are converted to UTF-8
 * with iconv from the charset their property names (UTF-8, ISO-8859-1,
 * windows-1252, GB2312, GBK, GB18030, Big5, UTF-16, ... whatever glibc
 * knows); a value that names none is UTF-8 when it is valid UTF-8, else
 * GB18030 (Chinese handsets that leave the charset out). A text that
 * starts with a UTF-16 byte order mark (or "BEGIN" in UTF-16) is read as
 * UTF-16 as a whole. Text outside cards is ignored. VCARD_OK with the
 * number of cards in *count (count may be NULL; 0: none), after cb for
 * each; any other result without calling cb at all.
 */
enum vcard_result vcard_read(const char *data, size_t len, vcard_card_fn *cb, void *ctx, size_t *count);

/* The same, for callers that want only the name, the numbers and the
 * card's text (raw = struct vcard_card's text). */
typedef void vcard_fn(const char *name, const char *const *numbers, size_t nnumbers,
                      const char *raw, size_t raw_len, void *ctx);
enum vcard_result vcard_parse(const char *text, size_t len, vcard_fn *cb, void *ctx, size_t *count);

/*
 * card (one card's text, UTF-8, as struct vcard_card's text) with its TEL
 * properties replaced by tels[], written just before END:VCARD in the syntax
 * of the card's VERSION (2.1 TEL;CELL;PREF:, 3.0 TEL;TYPE=CELL,PREF:, 4.0
 * TEL;TYPE=CELL;PREF=1:) and its line ends; every other line stays as it
 * is. For the export of a person with all its numbers (issue 10). NULL when
 * the text has no BEGIN:VCARD .. END:VCARD; else free(3) it, *out_len its
 * length.
 */
char *vcard_with_tels(const char *card, size_t len, const struct vcard_tel *tels, size_t ntels, size_t *out_len);

#endif
