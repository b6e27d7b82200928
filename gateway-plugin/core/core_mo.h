/*
 * core_mo — turn the raw fields of a mobile-originated SMS (data coding,
 * user data header, user data) into the text and flags of a struct core_mo:
 * UTF-16BE (coding 2) is converted to UTF-8, 8-bit data and port-addressed
 * UDH are marked binary, a concatenation part that arrived alone is marked
 * a fragment, and text that cannot be converted (odd length, unpaired
 * surrogate) is marked bad. Plain C so it is unit tested without Kannel;
 * vaultbox reads the fields out of Kannel's Msg and calls this.
 *
 * It does not validate UTF-8 text of coding 0 (core_handle does, and
 * answers undecodable text), and does not run anything.
 */
#ifndef SMSVAULT_CORE_MO_H
#define SMSVAULT_CORE_MO_H

#include <stddef.h>

#include "core.h"

/* Data coding of an MO, with Kannel's numbers (DC_7BIT, DC_8BIT, DC_UCS2;
 * DC_UNDEF is -1 and is text). */
enum core_mo_coding { CORE_CODING_TEXT = 0, CORE_CODING_8BIT = 1, CORE_CODING_UCS2 = 2 };

/*
 * Sets mo->text, mo->len and adds to mo->flags (other fields untouched).
 * udh: the user data header as received (UDHL octet first), may be NULL.
 * data: the user data, may be NULL (no text). Coding 0 text is borrowed
 * from data; converted text is written to *owned (NUL-terminated, for the
 * caller to free), else *owned is NULL.
 */
void core_mo_decode(int coding, const unsigned char *udh, size_t udh_len, const char *data,
                    size_t data_len, struct core_mo *mo, char **owned);

#endif
