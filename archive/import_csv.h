/*
 * import_csv — CSV (RFC 4180: commas, double-quoted fields with "" escapes,
 * CRLF or LF, an optional UTF-8 BOM) with a header row that says what the
 * file holds: a body/text/message column → SMS (with optional
 * peer/address/number/from, date/sent_at/time, type/direction, date_sent,
 * saved_from columns and the SMS Backup & Restore fields by their names:
 * read, status, …); otherwise name + number/phone/tel/mobile → contacts.
 * Our own CSV export reads back, every column.
 * It is not a CSV writer (export.c).
 */
#ifndef SMSVAULT_WEB_IMPORT_CSV_H
#define SMSVAULT_WEB_IMPORT_CSV_H

#include <stddef.h>

#include "import.h"

enum import_result import_csv(const char *data, size_t len, const struct import_sink *sink,
                              struct import_report *rep);

#endif
