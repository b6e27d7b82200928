/*
 * core_mo — decoding of an MO's coding, UDH and user data (see core_mo.h).
 * smsudh_parse never reads past the header's own length nor past the
 * octets received, whatever the length octets claim; a header it cannot
 * read makes the MO binary (nothing in it is run).
 */
#include "core_mo.h"

#include <stdbool.h>

#include "smstext.h"
#include "smsudh.h"

void core_mo_decode(int coding, const unsigned char *udh, size_t udh_len, const char *data,
                    size_t data_len, struct core_mo *mo, char **owned)
{
    struct smsudh u = { 0 };
    *owned = NULL;
    mo->text = "";
    mo->len = 0;
    mo->port = 0;
    if (udh && udh_len > 0 && !smsudh_parse(udh, udh_len, &u)) {
        mo->flags |= CORE_MO_BINARY;   /* a header that lies about its length */
        return;
    }
    if (u.concat)
        mo->flags |= CORE_MO_FRAGMENT;   /* a concatenation part that came alone */
    if (u.ports) {
        mo->port = u.dst_port;
        /* port addressing is for an application: only Smart Messaging
         * business cards are ours, the rest (WAP push, ringtones, OTA) not */
        mo->flags |= u.dst_port == SMSUDH_PORT_VCARD ? CORE_MO_CARD : CORE_MO_BINARY;
    }
    if (coding == CORE_CODING_8BIT) {
        if (!(mo->flags & CORE_MO_CARD)) {
            mo->flags |= CORE_MO_BINARY;
            return;
        }
        mo->text = data ? data : "";   /* the card's octets, in the charset it names */
        mo->len = data ? data_len : 0;
    } else if (coding == CORE_CODING_UCS2) {
        size_t n = 0;
        if (data == NULL ||
            smstext_ucs2_to_utf8((const unsigned char *)data, data_len, owned, &n) != SMSTEXT_OK) {
            mo->flags |= CORE_MO_BAD_TEXT;
            *owned = NULL;
        } else {
            mo->text = *owned;
            mo->len = n;
        }
    } else if (data) {
        mo->text = data;
        mo->len = data_len;
    }
}
