/*
 * import_vcard — vCard 2.1 / 3.0 files with any number of cards, in any
 * charset the cards name, through common/vcard's reader. Each card that has
 * a name and a phone number goes to the sink whole: the store archives it
 * the one way every side archives a card (store_contact_add_card: a row per
 * number, the PREF one current — the same as a business card sent from a
 * phone). Cards without a name or a phone number are skipped, and so are
 * the TELs of a card that are no phone numbers.
 */
#ifndef SMSVAULT_WEB_IMPORT_VCARD_H
#define SMSVAULT_WEB_IMPORT_VCARD_H

#include <stddef.h>

#include "import.h"

enum import_result import_vcard(const char *data, size_t len, const struct import_sink *sink,
                                struct import_report *rep);

#endif
