/*
 * import — what the three importers (import_xml, import_vcard, import_csv)
 * share: the sink they hand parsed items to, and their result. Parsers only
 * parse; the caller's sink stores (or, on a first validating pass, counts).
 * Items that cannot be stored as they are (no body, too long, no number) are
 * counted in `skipped` and the file goes on; a file that is not well formed
 * stops with IMPORT_MALFORMED and a message naming the line.
 */
#ifndef SMSVAULT_WEB_IMPORT_H
#define SMSVAULT_WEB_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

/* What a sink callback answers for each item: go on with the file, or stop
 * the import here. */
enum import_next { IMPORT_GO_ON = 0, IMPORT_STOP };

/* NULL callbacks make the parser skip that kind silently. A vCard goes to
 * `card` whole (store_contact_add_card stores it); a CSV row of name and
 * number to `contact`. */
struct import_sink {
    enum import_next (*sms)(void *ctx, const struct store_sms_new *m);
    enum import_next (*mms)(void *ctx, const struct store_mms_new *m);
    enum import_next (*contact)(void *ctx, const struct store_contact_new *c);
    enum import_next (*card)(void *ctx, const struct vcard_card *c);
    void *ctx;
};

enum import_result {
    IMPORT_OK = 0,
    IMPORT_MALFORMED,   /* the file is not what it claims; message says where */
    IMPORT_STOPPED,     /* a sink callback asked to stop */
};

struct import_report {
    long long items;    /* handed to the sink ... */
    long long sms, mms, contacts;   /* ... of each kind */
    long long skipped;  /* unusable items passed over */
    char message[256];  /* for IMPORT_MALFORMED; "" otherwise */
};

enum import_format { IMPORT_FORMAT_UNKNOWN = 0, IMPORT_FORMAT_XML, IMPORT_FORMAT_VCARD, IMPORT_FORMAT_CSV };

/* Guess from the first bytes (after a UTF-8 BOM): '<' → XML, BEGIN:VCARD →
 * vCard, else CSV. */
enum import_format import_detect(const char *data, size_t len);
/* "xml", "vcard"/"vcf", "csv" → format; anything else UNKNOWN. */
enum import_format import_format_parse(const char *name);

/* "2024-05-01T12:30:00Z", "2024-05-01 12:30[:00]", epoch seconds or epoch
 * milliseconds (values above 10^11) → seconds since the epoch in *out;
 * false (*out untouched) when text is none of those. */
bool import_parse_time(const char *text, long long *out);
/* The same in milliseconds, and a time may carry them ("…T12:30:00.123Z"). */
bool import_parse_time_ms(const char *text, long long *out);

#endif
