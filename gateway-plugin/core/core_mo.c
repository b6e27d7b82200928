/*
 * core_mo — decoding of an MO's coding, UDH and user data (see core_mo.h).
 * The UDH walk never reads past the header's own length nor past the
 * octets received, whatever the length octets claim.
 */
#include "core_mo.h"

#include "smstext.h"

/* UDH information elements (3GPP TS 23.040 9.2.3.24) */
#define IE_CONCAT_8 0x00
#define IE_PORT_8 0x04
#define IE_PORT_16 0x05
#define IE_CONCAT_16 0x08

static unsigned udh_flags(const unsigned char *u, size_t len)
{
    unsigned flags = 0;
    if (u == NULL || len < 2)
        return 0;
    size_t end = 1 + (size_t)u[0] < len ? 1 + (size_t)u[0] : len;
    for (size_t i = 1; i + 1 < end; i += 2 + (size_t)u[i + 1]) {
        if (u[i] == IE_CONCAT_8 || u[i] == IE_CONCAT_16)
            flags |= CORE_MO_FRAGMENT;   /* a concatenation part that came alone */
        else if (u[i] == IE_PORT_8 || u[i] == IE_PORT_16)
            flags |= CORE_MO_BINARY;     /* port addressing: for an application */
    }
    return flags;
}

void core_mo_decode(int coding, const unsigned char *udh, size_t udh_len, const char *data,
                    size_t data_len, struct core_mo *mo, char **owned)
{
    *owned = NULL;
    mo->text = "";
    mo->len = 0;
    mo->flags |= udh_flags(udh, udh_len);
    if (coding == CORE_CODING_8BIT) {
        mo->flags |= CORE_MO_BINARY;
    } else if (coding == CORE_CODING_UCS2) {
        size_t n = 0;
        if (data == NULL ||
            smstext_ucs2_to_utf8((const unsigned char *)data, data_len, owned, &n) != 0) {
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
