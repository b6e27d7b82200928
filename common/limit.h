/*
 * limit — every number smsvault promises a person: what an account name and
 * a password may be, how big an item may be, how many things one command or
 * one request handles at once. The code checks against these names and the
 * reply and error texts print them from here, so a limit changed here
 * changes what is enforced and what is said together.
 *
 * Only numbers: no functions, no types. Who enforces each one is said next
 * to it; a caller may be stricter (a configuration key such as [box]
 * del_max), never looser. Limits that are configuration (space, upload
 * size, GET/DEL per SMS) live in the configuration tables, not here.
 */
#ifndef SMSVAULT_LIMIT_H
#define SMSVAULT_LIMIT_H

/* ---- accounts (store/users.c) ---- */
#define LIMIT_USERNAME_MIN 3
#define LIMIT_USERNAME_MAX 32      /* [A-Za-z0-9_.-], starts with a letter or digit */
#define LIMIT_PASSWORD_MIN 8
#define LIMIT_PASSWORD_MAX 128     /* bytes; longer is refused before hashing */

/* ---- items (store/) ---- */
#define LIMIT_SMS_BODY_MAX 65536   /* bytes of UTF-8 in one SMS (and one outbox text) */
#define LIMIT_MMS_MAX (16 << 20)   /* bytes of all parts of one MMS */
#define LIMIT_MMS_PARTS_MAX 64     /* parts of one MMS */
#define LIMIT_VCARD_MAX 65536      /* bytes of one contact's vCard text */
#define LIMIT_PEER_MAX 64          /* bytes of a sender, recipient or phone number as written */
#define LIMIT_TEXT_FIELD_MAX 256   /* bytes of a name, subject, content type, file name */
#define LIMIT_MMS_ADDRS_MAX 256    /* addresses (from, to, cc, bcc) of one MMS */
#define LIMIT_ATTRS_MAX 64         /* attributes kept as written beyond the known fields, per item, part
                                      or address (a device's own, in an SMS Backup & Restore file) */
#define LIMIT_ATTR_NAME_MAX 64     /* bytes of such an attribute's name */
#define LIMIT_ATTR_VALUE_MAX 4096  /* bytes of its value, and of a known field kept as written */

/* ---- phone numbers (common/msisdn.c) ---- */
#define LIMIT_PHONE_DIGITS_MIN 5   /* digits of a phone linked from the web page ... */
#define LIMIT_PHONE_DIGITS_MAX 20
#define LIMIT_CONTACT_DIGITS_MIN 3 /* ... and of a contact's number (110 and 120 are numbers too) */

/* ---- lists and batches (store/, web/, core/) ---- */
#define LIMIT_SEARCH_WORDS_MAX 8   /* words of one search (FIND, the page's search box) */
#define LIMIT_SEARCH_BYTES_MAX 256 /* bytes of UTF-8 of one search */
#define LIMIT_PAGE_MAX 1000        /* items one store list call returns */
#define LIMIT_WEB_PAGE_DEFAULT 50  /* items of a list page on the web API ... */
#define LIMIT_WEB_PAGE_MAX 500     /* ... and at most, when the page asks (?limit=) */
#define LIMIT_WEB_COUNT_QUICK 1000 /* matches a first page counts before it says "more: ask" */
#define LIMIT_LIST_PAGE_MAX 1000   /* the highest page LIST <page> reads */
#define LIMIT_DELETE_MAX 100000    /* item numbers in one batch delete */
#define LIMIT_SMS_BATCH_MAX 1000   /* SMS stored by one store_sms_add_many */
#define LIMIT_MMS_BATCH_MAX 100    /* MMS stored by one store_mms_add_many ... */
#define LIMIT_MMS_BATCH_BYTES (32 << 20)   /* ... and the bytes of all their parts */
#define LIMIT_CONTACT_BATCH_MAX 1000   /* contacts or cards stored by one store_contact_add_many / _cards */
#define LIMIT_OUTBOX_MARKS_MAX 1000   /* outbox rows moved by one store_outbox_mark_many */
#define LIMIT_SEND_MAX 50          /* items sent to the phone by one web request */
#define LIMIT_EXPORT_MAX 200000    /* items one download names by number (all that match: no bound, streamed) */

/* ---- MM7, the operator's MMSC (store/mm7.c, gateway-plugin/mms/) ---- */
#define LIMIT_MM7_ID_MAX 256       /* bytes of a TransactionID, MessageID, LinkedID, MMSC name, or any
                                      one-line value of a request vaultmms stores, echoes or logs */
#define LIMIT_RETRIEVAL_TTL_MAX (30 * 86400)  /* seconds a direct-path retrieval URL may stay valid */

#endif
