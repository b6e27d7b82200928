/*
 * core_text — every reply text of the SMS command engine, in one table
 * (result → text, English and Chinese), and the fitting of a reply into SMS
 * segments. Private to gateway-plugin/core/; it does not decide which reply
 * a command gives (the command files do, see core_int.h) and does not send
 * anything.
 */
#ifndef SMSVAULT_CORE_TEXT_H
#define SMSVAULT_CORE_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum core_lang { CORE_EN = 0, CORE_ZH = 1 };

enum core_text_id {
    T_HELP,            /* the command list */
    T_HELP_FORWARD,    /* the command list with %s: the forward short code */
    T_HELP_CONTACTS,   /* HELP C: what C<n> names */
    T_UNKNOWN,         /* short help for text that is no command */
    T_UNBOUND,         /* this phone has no account: registration hint */
    T_BAD_TEXT,        /* the MO could not be decoded */
    T_USAGE,           /* %s: the command's syntax */
    T_REG_OK,          /* %s user, %s space */
    T_REG_TAKEN,       /* %s user */
    T_REG_INVALID,     /* %d-%d username length, %d-%d password length (common/limit.h) */
    T_REG_FULL,        /* the server has no space for a new account */
    T_LOGIN_OK,        /* %s user */
    T_LOGIN_DENIED,
    T_LOGIN_THROTTLED_S,   /* %d seconds to wait, under a minute */
    T_LOGIN_THROTTLED_MIN, /* %d minutes to wait (rounded up), from a minute on */
    T_SAVE_OK,         /* %lld n, %s used, %s allocated */
    T_SAVE_GREW,       /* %lld n, %s new allocation */
    T_SAVE_NO_SPACE,
    T_SAVE_INVALID,    /* empty, not text, or too long */
    T_LIST_EMPTY,
    T_LIST_MORE,       /* %s: the command for the next page */
    T_LIST_NO_PAGE,    /* %lld the page asked for, %lld the last page */
    T_NOT_FOUND,       /* %s: the numbers that do not exist */
    T_TOO_MANY,        /* %d: the cap */
    T_BAD_NUMBERS,     /* the number list could not be read */
    T_MMS,             /* %lld n, %s subject/text, %s URL */
    T_MMS_NO_URL,      /* %lld n, %s subject/text */
    T_DEL_OK,          /* %lld count, %s freed */
    T_DEL_NONE,
    T_FIND_NONE,
    T_FIND_MORE,       /* more matches than one reply shows */
    T_FIND_INVALID,    /* %d words, %d bytes: the search has too many words or is too long */
    T_SPACE,           /* %s used, %s allocated, %lld sms, %lld mms, %lld contacts */
    T_CONTACT_OK,      /* %lld n, %s name */
    T_CONTACT_INVALID,
    T_VCARD_BAD,
    T_CARD_SAVED,      /* %lld n, %s name: a card with one number */
    T_CARD_SAVED_NUMBERS, /* %lld first n, %lld last n, %lld current n, %s name */
    T_CARDS_SAVED,     /* %lld cards, %lld first n, %lld last n */
    T_CARD_BROKEN,     /* a card that cannot be read (format, charset) */
    T_ITEM_GONE,       /* %s the item ("3", "M2", "C4"): deleted before it was sent */
    T_CONTACT_TEXT,    /* %lld n, %s name, %s number: a contact sent as text */
    T_PASS_OK,
    T_PASS_DENIED,
    T_PASS_INVALID,    /* %d-%d password length */
    T_LANG_OK,
    T_MMS_SAVE_OK,     /* an MMS from the phone (vaultmms): %lld n, %s used, %s allocated */
    T_MMS_SAVE_GREW,   /* %lld n, %s new allocation */
    T_MMS_NO_SPACE,    /* %s: the MMS's size */
    T_MMS_UNDELIVERED, /* %lld n: GET M<n> could not be delivered as an MMS (vaultmms) */
    T_COUNT
};

/* The format for id in lang (printf, arguments as named above). */
const char *core_text_format(enum core_text_id id, enum core_lang lang);

/* Format a reply and cut it to one SMS segment if it is longer (user data in
 * it — a username, a preview — is what gets cut). malloc'd. */
char *core_text_reply(enum core_text_id id, enum core_lang lang, ...);
char *core_text_vreply(enum core_text_id id, enum core_lang lang, va_list ap);

/* Format a reply without cutting it (it carries content the user asked for). */
char *core_text_full(enum core_text_id id, enum core_lang lang, ...);

/* Longest prefix of s[0..len) (bytes) that fits in max_segments SMS segments. */
size_t core_text_fit(const char *s, size_t len, int max_segments);

/* True if s fits in max_segments segments. */
bool core_text_fits(const char *s, size_t len, int max_segments);

/* The language of a reply to text that is no command (an unknown SMS, an
 * MMS's subject and text): Chinese when it holds CJK characters, else English. */
enum core_lang core_text_lang_of(const char *s, size_t len);

/* "812 B", "1.2 KB", "10 MB", "1.5 GB" into buf. */
void core_text_bytes(long long bytes, char *buf, size_t cap);

#endif
