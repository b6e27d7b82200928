/*
 * import_vcard — vCard 2.1 / 3.0 files with any number of cards, through
 * common/vcard's parser. A card with one number is stored with its own
 * text; a card with several numbers becomes one contact entry per number,
 * each with a one-number vCard, so that each entry is a (name, number) the
 * store can date and mark current. Cards without a name or a number are
 * skipped.
 */
#ifndef SMSVAULT_WEB_IMPORT_VCARD_H
#define SMSVAULT_WEB_IMPORT_VCARD_H

#include <stddef.h>

#include "import.h"

enum import_result import_vcard(const char *data, size_t len, const struct import_sink *sink,
                                struct import_report *rep);

#endif
