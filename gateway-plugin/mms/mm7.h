/*
 * mm7 — the vocabulary vaultmms's MM7 files share (3GPP TS 23.140, MM7 over
 * SOAP 1.1 with attachments; ../shared/reference/mms-notes.md §2): status
 * codes and what each means for a sender (done, retry later, give up), the
 * results of parsing a request, addresses as MMSCs write them, and
 * xs:dateTime. No I/O, no XML, no MIME here: mm7_mime (GMime),
 * mm7_soap/mm7_emit (libxml2), mm7_request, mm7_vasp (the endpoint's
 * rules on the store) and mm7_client (libcurl) use it.
 */
#ifndef SMSVAULT_MM7_H
#define SMSVAULT_MM7_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "limit.h"
#include "mm7_status.h"   /* mm7_status_text: the standard texts of the codes */

/* Status codes (TS 23.140 table of MM7 status codes; the first digit is the
 * class: 1 success, 2 client error, 3 server error, 4 service error). */
enum {
    MM7_SUCCESS = 1000,
    MM7_PARTIAL_SUCCESS = 1100,
    MM7_CLIENT_ERROR = 2000,
    MM7_OPERATION_RESTRICTED = 2001,
    MM7_ADDRESS_ERROR = 2002,
    MM7_ADDRESS_NOT_FOUND = 2003,
    MM7_CONTENT_REFUSED = 2004,          /* content unreadable, too large, too many parts */
    MM7_MESSAGE_ID_NOT_FOUND = 2005,
    MM7_LINKED_ID_NOT_FOUND = 2006,
    MM7_FORMAT_CORRUPT = 2007,           /* an element's value is malformed */
    MM7_SERVER_ERROR = 3000,
    MM7_NOT_POSSIBLE = 3001,
    MM7_MESSAGE_REJECTED = 3002,
    MM7_MULTIPLE_ADDRESSES = 3003,
    MM7_GENERAL_SERVICE_ERROR = 4000,
    MM7_IMPROPER_IDENTIFICATION = 4001,  /* authentication failed */
    MM7_UNSUPPORTED_VERSION = 4002,
    MM7_UNSUPPORTED_OPERATION = 4003,
    MM7_VALIDATION_ERROR = 4004,         /* SOAP/XML unparseable, mandatory field missing */
    MM7_SERVICE_ERROR = 4005,
    MM7_SERVICE_UNAVAILABLE = 4006,      /* temporary: try again later */
    MM7_SERVICE_DENIED = 4007,           /* no permission or funds: our user's space is full */
};

/* What a status means to whoever sent the request. */
enum mm7_outcome {
    MM7_DONE,        /* 1xxx: accepted */
    MM7_RETRY,       /* 3xxx, 4006, transport errors, HTTP 5xx without a status: try again later */
    MM7_PERMANENT,   /* 2xxx, other 4xxx: sending it again will not help */
};
enum mm7_outcome mm7_outcome_of(int status);

/* Seconds before attempt (1, 2, ...) is retried: base doubling up to max. */
int mm7_backoff_s(int attempt, int base_s, int max_s);

/* Why a request could not be read; each maps to one status (mm7_result_status). */
enum mm7_result {
    MM7_OK = 0,
    MM7_E_TOO_LARGE,     /* body, envelope or a part over its cap: 2004 */
    MM7_E_PARTS,         /* too many parts or multipart levels in the content: 2004 */
    MM7_E_CONTENT,       /* the content is missing or unreadable (bad base64, no parts): 2004 */
    MM7_E_MIME,          /* the request's MIME is broken (no SOAP part, truncated): 4004 */
    MM7_E_XML,           /* the envelope is not well-formed XML: 4004 */
    MM7_E_DOCTYPE,       /* the envelope has a DOCTYPE (SOAP forbids DTDs): 4004 */
    MM7_E_NOT_SOAP,      /* no Envelope / Body: 4004 */
    MM7_E_MISSING,       /* a mandatory element is missing (TransactionID, MM7Version, ...): 4004 */
    MM7_E_ADDRESS,       /* the sender is not an address: 2002 */
    MM7_E_UNSUPPORTED,   /* an operation we do not serve: 4003 */
};
int mm7_result_status(enum mm7_result r);
const char *mm7_result_name(enum mm7_result r);

/* ---- addresses (Sender, To, Recipient, SenderAddress) ---- */

enum mm7_addr_kind {
    MM7_ADDR_NONE = 0,
    MM7_ADDR_NUMBER,       /* <Number> */
    MM7_ADDR_SHORTCODE,    /* <ShortCode> */
    MM7_ADDR_EMAIL,        /* <RFC2822Address> */
    MM7_ADDR_TEXT,         /* plain text (MM7 5.1 drafts) */
};

#define MM7_MSISDN_MAX (LIMIT_PHONE_DIGITS_MAX + 2)   /* '+', the digits, NUL */

struct mm7_address {
    enum mm7_addr_kind kind;
    char *value;               /* trimmed, as sent; NULL with MM7_ADDR_NONE */
    char msisdn[MM7_MSISDN_MAX];   /* the phone number in it: an optional '+' and digits,
                                      "/TYPE=PLMN" and separators gone; "" when it holds none
                                      (an e-mail address whose local part is no number, a name) */
    bool display_only;         /* displayOnly="true" */
};

/* Fill a->msisdn from a->value and a->kind (Nokia's "+3859100010010/TYPE=PLMN",
 * "97254265781@OMMS.com", "+86 138-0000-0001"). */
void mm7_address_normalise(struct mm7_address *a);
void mm7_address_cleanup(struct mm7_address *a);

/* xs:dateTime ("2002-04-15T14:35:21-05:00", "2012-09-03T15:55:25.000+02:00",
 * "2026-11-27T10:15:02Z"; no zone: UTC) to epoch seconds. -1 when not one. */
time_t mm7_parse_datetime(const char *s);
/* Epoch seconds as xs:dateTime in UTC ("2026-11-27T10:15:02Z"). */
void mm7_format_datetime(time_t t, char out[32]);

/* A value from a request that we may store, echo or log: 1..LIMIT_MM7_ID_MAX bytes of
 * UTF-8 on one line (no control characters). */
bool mm7_one_line(const char *s);

/* A Content-ID or a reference to one without "cid:", "<>" and surrounding
 * spaces, copied into a new string (NULL for NULL or empty). */
char *mm7_cid_normalise(const char *s);

#endif
