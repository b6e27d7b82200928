/*
 * archive — a user's archive to and from the files the page and vaultctl
 * speak (SMS Backup & Restore XML, vCard, CSV), through the store: import
 * in batched transactions, export streamed a page of the store at a time.
 * The one import and the one export: vaultweb's Upload and Download
 * (web/transfer.c) and `vaultctl export` / `vaultctl import` call these.
 * The formats themselves are export.c and import_*.c beside it (pure
 * parsing and formatting); this module neither speaks HTTP nor opens files.
 */
#ifndef SMSVAULT_ARCHIVE_H
#define SMSVAULT_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "import.h"
#include "store.h"

/* Once per process before any thread imports, and at exit after the last
 * import (the XML reader's library set-up, see import_xml.h): a process
 * that imports from one thread only may leave them out. */
void archive_init(void);
void archive_cleanup(void);

/* ---- import ---- */

struct archive_import_report {
    bool malformed;            /* the file is not well formed: nothing stored, message says where */
    bool begun;                /* the storing pass ran (false: the store refused to begin) */
    char message[256];
    long long added;           /* items stored (a vCard card counts one, however many numbers) */
    long long added_kind[3];   /* ... by enum store_kind */
    long long duplicates;      /* already in the archive: not stored again */
    long long skipped;         /* unusable items passed over (no body, too long, no number) */
};

/*
 * Import data[0..len) in format f into user_id's archive: first a pass that
 * only checks the file is well formed, then the storing pass in
 * transactions of IMPORT_BATCH items with skip_duplicate (the same
 * file again adds nothing). data is rewritten in place once (lone UTF-16
 * surrogates of XML, see import_xml.h). Returns STORE_OK when the whole file
 * went in; STORE_INVALID when it is malformed (report->malformed); else what
 * stopped it: STORE_NO_SPACE keeps what was stored before the refusal, any
 * other result rolls the open batch back (report->added says what stays).
 * Not inside store_tx_begin.
 */
enum store_result archive_import(struct store *s, const char *user_id, enum import_format f, char *data, size_t len,
                                 struct archive_import_report *report);

/* ---- export ---- */

enum archive_format {
    ARCHIVE_SMS_XML,
    ARCHIVE_SMS_CSV,
    ARCHIVE_MMS_XML,
    ARCHIVE_CONTACT_VCARD,
    ARCHIVE_CONTACT_CSV
};

/* The export of a kind ("sms", "mms", "contacts") and a format name ("xml",
 * "csv", "vcard"); false for a pair there is none of. */
bool archive_export_choice(const char *kind, const char *format, enum archive_format *out, enum store_kind *sk);

/*
 * An export in progress: user_id's items of format f, the numbers
 * ns[0..count) (missing ones skipped), or with ns NULL all that match m
 * (store.h's store_match: the search, up to the newest item shown, without
 * the exceptions; m NULL: everything), newest first, at most max items.
 * Contacts are people: a number names its person, written once (one card,
 * or its CSV lines). The items only: a CSV's header and the XML document
 * around them are the caller's (export.h).
 *
 * It streams: each archive_export_next appends the next page (some hundred
 * items) to b and says when there are no more, so a file of any size takes
 * the memory of one page (a selection by ns, bounded by its numbers, is
 * written whole at open and handed over by the first call). For the XML
 * formats archive_export_count says before the first page how many items
 * the pages will write (counted at open; -1 for the others): read all of
 * it in one snapshot (store_tx_begin_snapshot) for the two to agree while
 * others write. archive_export_open fails with the store's result, nothing
 * to free; archive_export_free (NULL: nothing) does not end the caller's
 * transaction.
 */
struct archive_export;
enum store_result archive_export_open(struct store *s, const char *user_id, enum archive_format f,
                                      const long long *ns, size_t count, const struct store_match *m, long long max,
                                      struct archive_export **out);
enum store_result archive_export_next(struct archive_export *e, struct buf *b, bool *done);
long long archive_export_count(const struct archive_export *e);
long long archive_export_written(const struct archive_export *e);
void archive_export_free(struct archive_export *e);

#endif
