/*
 * smsudh — user data header reading, writing and binary segmentation (see
 * smsudh.h). Every length octet is checked against the octets actually
 * given before it is followed.
 */
#include "smsudh.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* UDH information elements (3GPP TS 23.040 9.2.3.24) */
#define IE_CONCAT_8 0x00
#define IE_PORT_8 0x04
#define IE_PORT_16 0x05
#define IE_CONCAT_16 0x08

bool smsudh_parse(const unsigned char *udh, size_t len, struct smsudh *out)
{
    struct smsudh u;
    size_t i = 1;

    memset(&u, 0, sizeof u);
    if (udh == NULL || len < 1 || (size_t)udh[0] + 1 != len)
        return false;
    while (i < len) {
        unsigned iei, iel;
        const unsigned char *v;
        if (len - i < 2)
            return false;
        iei = udh[i];
        iel = udh[i + 1];
        if (len - i - 2 < iel)
            return false;
        v = udh + i + 2;
        if (iei == IE_CONCAT_8 && iel == 3) {
            u.concat = true;
            u.ref16 = false;
            u.ref = v[0];
            u.total = v[1];
            u.seq = v[2];
        } else if (iei == IE_CONCAT_16 && iel == 4) {
            u.concat = true;
            u.ref16 = true;
            u.ref = (unsigned)v[0] << 8 | v[1];
            u.total = v[2];
            u.seq = v[3];
        } else if (iei == IE_PORT_8 && iel == 2) {
            u.ports = true;
            u.ports8 = true;
            u.dst_port = v[0];
            u.src_port = v[1];
        } else if (iei == IE_PORT_16 && iel == 4) {
            u.ports = true;
            u.ports8 = false;
            u.dst_port = v[0] << 8 | v[1];
            u.src_port = v[2] << 8 | v[3];
        }
        i += 2 + iel;
    }
    *out = u;
    return true;
}

size_t smsudh_port_ies(int dst_port, int src_port, unsigned char out[6])
{
    out[0] = IE_PORT_16;
    out[1] = 4;
    out[2] = (unsigned char)(dst_port >> 8);
    out[3] = (unsigned char)dst_port;
    out[4] = (unsigned char)(src_port >> 8);
    out[5] = (unsigned char)src_port;
    return 6;
}

/* Append the concatenation IE to out at o; returns the new offset. */
static size_t put_concat(unsigned char *out, size_t o, bool ref16, unsigned ref, int total,
                         int seq)
{
    if (ref16) {
        out[o++] = IE_CONCAT_16;
        out[o++] = 4;
        out[o++] = (unsigned char)(ref >> 8);
        out[o++] = (unsigned char)ref;
    } else {
        out[o++] = IE_CONCAT_8;
        out[o++] = 3;
        out[o++] = (unsigned char)ref;
    }
    out[o++] = (unsigned char)total;
    out[o++] = (unsigned char)seq;
    return o;
}

size_t smsudh_build(const struct smsudh *u, unsigned char *out, size_t cap)
{
    unsigned char tmp[SMSUDH_MAX];
    size_t o = 1;

    if (!u->ports && !u->concat)
        return 0;
    if (u->ports) {
        if (u->ports8) {
            tmp[o++] = IE_PORT_8;
            tmp[o++] = 2;
            tmp[o++] = (unsigned char)u->dst_port;
            tmp[o++] = (unsigned char)u->src_port;
        } else {
            o += smsudh_port_ies(u->dst_port, u->src_port, tmp + o);
        }
    }
    if (u->concat)
        o = put_concat(tmp, o, u->ref16, u->ref, u->total, u->seq);
    tmp[0] = (unsigned char)(o - 1);
    if (o > cap)
        return (size_t)-1;
    memcpy(out, tmp, o);
    return o;
}

bool smsudh_split(const unsigned char *ies, size_t ieslen, bool ref16, unsigned ref,
                  const unsigned char *data, size_t len, struct smsudh_segment **segs,
                  size_t *nsegs)
{
    struct smsudh_segment *out;
    size_t room, total, k;

    if (ieslen > SMSUDH_MAX_IES || (ieslen > 0 && ies == NULL))
        return false;
    /* one segment: the common IEs (if any) and the whole payload */
    room = SMSUDH_SEGMENT - (ieslen ? ieslen + 1 : 0);
    if (len <= room) {
        total = 1;
    } else {
        room = SMSUDH_SEGMENT - 1 - ieslen - (ref16 ? 6 : 5);
        total = (len + room - 1) / room;
        if (total > 255)
            return false;
    }
    out = xcalloc(total, sizeof *out);
    for (k = 0; k < total; k++) {
        struct smsudh_segment *s = &out[k];
        size_t off = k * room, o = 0;
        if (ieslen > 0 || total > 1) {
            o = 1;
            if (ieslen)
                memcpy(s->udh + 1, ies, ieslen);
            o += ieslen;
            if (total > 1)
                o = put_concat(s->udh, o, ref16, ref, (int)total, (int)k + 1);
            s->udh[0] = (unsigned char)(o - 1);
        }
        s->udhlen = o;
        s->data = data ? data + off : NULL;
        s->len = len - off < room ? len - off : room;
    }
    *segs = out;
    *nsegs = total;
    return true;
}
