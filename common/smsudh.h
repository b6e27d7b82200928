/*
 * smsudh — the SMS user data header (3GPP TS 23.040 9.2.3.24) as binary
 * messages use it: application port addressing (IE 0x04 8-bit, IE 0x05
 * 16-bit ports: WAP push 2948, Nokia Smart Messaging vCard 9204) and
 * concatenation (IE 0x00 8-bit reference, IE 0x08 16-bit reference), and the
 * split of a binary payload into 140-octet segments that carry both.
 *
 * The one UDH reader and writer of the project (smscsim, phonesim, mmscsim,
 * and the box's MO decoding, gateway-plugin/core/core_mo.c). It
 * knows no alphabets (smstext) and no SMPP: a UDH here always starts with
 * its length octet (UDHL), as it sits at the front of the user data.
 */
#ifndef SMSVAULT_SMSUDH_H
#define SMSVAULT_SMSUDH_H

#include <stdbool.h>
#include <stddef.h>

#define SMSUDH_PORT_WAP_PUSH 2948     /* WAP push connectionless (WSP) */
#define SMSUDH_PORT_WAP_PUSH_SRC 9200 /* WAP connectionless session service */
#define SMSUDH_PORT_VCARD 9204        /* Nokia Smart Messaging vCard */
#define SMSUDH_SEGMENT 140            /* octets of user data in one SMS (UDH included) */
#define SMSUDH_MAX 20                 /* longest UDH smsudh_build writes, UDHL included */
#define SMSUDH_MAX_IES 100            /* longest common IEs smsudh_split takes */

/* What a UDH says. Unknown IEs are skipped; a repeated IE: the last wins. */
struct smsudh {
    bool concat;
    bool ref16;          /* the reference came in IE 0x08 (16 bits) */
    unsigned ref;        /* 8- or 16-bit reference */
    int total, seq;      /* 1-based; parse keeps what was sent (0 is possible) */
    bool ports;
    bool ports8;         /* the ports came in IE 0x04 (8 bits) */
    int dst_port, src_port;
};

/* Parse a UDH of len octets (len includes the UDHL octet, udh[0] + 1 == len).
 * True when read; false (out untouched) if the UDHL disagrees with len or an
 * IE runs past it. Never reads past udh[len - 1]. */
bool smsudh_parse(const unsigned char *udh, size_t len, struct smsudh *out);

/* Write the UDH that says u (ports: 16-bit unless ports8; concat: 8-bit
 * reference unless ref16), ports first. Returns the octets written (UDHL
 * included), 0 if neither ports nor concat is set, or (size_t)-1 if cap
 * (>= SMSUDH_MAX is always enough) is too small. */
size_t smsudh_build(const struct smsudh *u, unsigned char *out, size_t cap);

/* One segment of a split message: the complete UDH and the slice of the
 * payload (borrowed from the caller's data). */
struct smsudh_segment {
    unsigned char udh[1 + SMSUDH_MAX_IES + 6];
    size_t udhlen;
    const unsigned char *data;
    size_t len;
};

/*
 * Cut data[0..len) into 8-bit SMS segments of at most 140 octets each, UDH
 * included. ies[0..ieslen) are information elements every segment carries
 * (without a UDHL octet; e.g. 05 04 23 F4 00 00 for port 9204, or NULL).
 * One segment when ies + payload fit 140 (no concatenation IE), else each
 * carries ies followed by a concatenation IE with ref (8-bit, or 16-bit when
 * ref16) and total/seq. *segs is malloc'd. True when cut; false when ieslen
 * is over SMSUDH_MAX_IES or more than 255 segments would be needed.
 */
bool smsudh_split(const unsigned char *ies, size_t ieslen, bool ref16, unsigned ref,
                  const unsigned char *data, size_t len, struct smsudh_segment **segs,
                  size_t *nsegs);

/* The IEs of 16-bit port addressing, dst then src: 05 04 dh dl sh sl.
 * out must hold 6 octets; returns 6. */
size_t smsudh_port_ies(int dst_port, int src_port, unsigned char out[6]);

#endif
