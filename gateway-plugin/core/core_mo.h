/*
 * core_mo — turn the raw fields of a mobile-originated SMS (data coding,
 * user data header, user data) into the text and flags of a struct core_mo:
 * UTF-16BE (coding 2) is converted to UTF-8; a business card to port 9204
 * (Nokia Smart Messaging) is marked a card and keeps its octets; other
 * 8-bit data, other ports and a header that cannot be read are marked
 * binary; a concatenation part that arrived alone is marked a fragment;
 * text that cannot be converted (odd length, unpaired surrogate) is marked
 * bad. The header is read by common/smsudh, the one UDH reader. Plain C so
 * it is unit tested without Kannel; vaultbox reads the fields out of
 * Kannel's Msg and calls this.
 *
 * What bearerbox hands over (gw/bb_smscconn.c check_concatenation): a
 * concatenated MO re-assembled, its parts' data joined, coding of the first
 * part, and its UDH without the concatenation IE — for a business card the
 * port IE alone (06 05 04 23 F4 00 00). A part that came alone keeps it.
 *
 * It does not validate UTF-8 text of coding 0 (core_handle does, and
 * answers undecodable text), does not read the card, and runs nothing.
 */
#ifndef SMSVAULT_CORE_MO_H
#define SMSVAULT_CORE_MO_H

#include <stddef.h>

#include "core.h"

/* Data coding of an MO, with Kannel's numbers (DC_7BIT, DC_8BIT, DC_UCS2;
 * DC_UNDEF is -1 and is text). */
enum core_mo_coding { CORE_CODING_TEXT = 0, CORE_CODING_8BIT = 1, CORE_CODING_UCS2 = 2 };

/*
 * Sets mo->text, mo->len, mo->port and adds to mo->flags (other fields
 * untouched). udh: the user data header as received (UDHL octet first), may
 * be NULL. data: the user data, may be NULL (no text). Coding 0 text and
 * 8-bit card octets are borrowed from data; converted text is written to
 * *owned (NUL-terminated, for the caller to free), else *owned is NULL.
 */
void core_mo_decode(int coding, const unsigned char *udh, size_t udh_len, const char *data,
                    size_t data_len, struct core_mo *mo, char **owned);

#endif
