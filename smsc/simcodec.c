/*
 * simcodec — UDH, data_coding and receipt-text codecs of the SMSC
 * simulator. See simcodec.h; alphabet work is delegated to common/smstext.
 */
#include "simcodec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "smstext.h"
#include "utf8.h"

int simcodec_udh_parse(const unsigned char *udh, size_t len, struct simcodec_udh *out)
{
    struct simcodec_udh u;
    size_t i;

    memset(&u, 0, sizeof u);
    if (len < 1 || (size_t)udh[0] + 1 != len)
        return -1;
    i = 1;
    while (i < len) {
        unsigned iei, iel;
        const unsigned char *v;
        if (i + 2 > len)
            return -1;
        iei = udh[i];
        iel = udh[i + 1];
        v = udh + i + 2;
        if (i + 2 + iel > len)
            return -1;
        if (iei == 0x00 && iel == 3) {          /* concatenation, 8-bit reference */
            u.concat = true;
            u.ref = v[0];
            u.total = v[1];
            u.seq = v[2];
        } else if (iei == 0x08 && iel == 4) {   /* concatenation, 16-bit reference */
            u.concat = true;
            u.ref = (unsigned)v[0] << 8 | v[1];
            u.total = v[2];
            u.seq = v[3];
        } else if (iei == 0x04 && iel == 2) {   /* application ports, 8-bit */
            u.ports = true;
            u.dst_port = v[0];
            u.src_port = v[1];
        } else if (iei == 0x05 && iel == 4) {   /* application ports, 16-bit */
            u.ports = true;
            u.dst_port = v[0] << 8 | v[1];
            u.src_port = v[2] << 8 | v[3];
        }
        i += 2 + iel;
    }
    *out = u;
    return 0;
}

/* Append part k of total with payload p[0..n) (+ optional leading udh). */
static void set_part(struct simcodec_part *part, unsigned char dc, const unsigned char *udh,
                     size_t udhlen, unsigned ref, int total, int seq,
                     const unsigned char *p, size_t n)
{
    size_t o = 0;

    memset(part, 0, sizeof *part);
    part->data_coding = dc;
    if (total > 1 || udhlen > 0) {
        size_t body = (udhlen ? udhlen - 1 : 0) + (total > 1 ? 5 : 0);
        part->esm_class = 0x40;
        part->sm[o++] = (unsigned char)body;
        if (udhlen > 1) {
            memcpy(part->sm + o, udh + 1, udhlen - 1);
            o += udhlen - 1;
        }
        if (total > 1) {
            part->sm[o++] = 0x00;
            part->sm[o++] = 0x03;
            part->sm[o++] = (unsigned char)ref;
            part->sm[o++] = (unsigned char)total;
            part->sm[o++] = (unsigned char)seq;
        }
    }
    memcpy(part->sm + o, p, n);
    part->sm_len = o + n;
}

int simcodec_mo_encode(const char *utf8, size_t len, unsigned ref,
                       struct simcodec_part **parts, size_t *nparts)
{
    struct smstext_measure m;
    struct simcodec_part *out = NULL;
    size_t i = 0, k = 0;
    int rc = -1;

    smstext_measure(utf8, len, &m);
    if (m.segments == 0 && len > 0)
        goto out;
    if (m.segments > 255)
        goto out;
    out = xcalloc(m.segments ? (size_t)m.segments : 1, sizeof *out);
    if (len == 0) {
        set_part(&out[0], 0, NULL, 0, 0, 1, 1, NULL, 0);
        k = 1;
    }
    while (i < len) {
        size_t max = m.segments == 1 ? (m.gsm ? SMSTEXT_GSM_SINGLE : SMSTEXT_UCS2_SINGLE)
                                     : (m.gsm ? SMSTEXT_GSM_PART : SMSTEXT_UCS2_PART);
        size_t n = smstext_fit(utf8 + i, len - i, m.gsm, max);
        unsigned char buf[160];
        if (n == 0 || k >= (size_t)m.segments)
            goto out;
        if (m.gsm) {
            size_t sl = 0;
            if (smstext_utf8_to_gsm(utf8 + i, n, buf, sizeof buf, &sl) != 0)
                goto out;
            set_part(&out[k], 0, NULL, 0, ref, m.segments, (int)k + 1, buf, sl);
        } else {
            unsigned char *be = NULL;
            size_t bl = 0;
            if (smstext_utf8_to_ucs2(utf8 + i, n, &be, &bl) != 0)
                goto out;
            set_part(&out[k], 8, NULL, 0, ref, m.segments, (int)k + 1, be, bl);
            free(be);
        }
        k++;
        i += n;
    }
    *parts = out;
    *nparts = k;
    out = NULL;
    rc = 0;
out:
    free(out);
    return rc;
}

int simcodec_mo_encode_binary(const unsigned char *udh, size_t udhlen,
                              const unsigned char *data, size_t len, unsigned ref,
                              struct simcodec_part **parts, size_t *nparts)
{
    struct simcodec_part *out = NULL;
    size_t room, total, k;
    int rc = -1;

    if (udhlen > 0 && (udh == NULL || (size_t)udh[0] + 1 != udhlen || udhlen > 100))
        goto out;
    room = 140 - udhlen;
    if (len <= room) {
        total = 1;
    } else {
        room = 140 - (udhlen ? udhlen : 1) - 5;
        total = (len + room - 1) / room;
    }
    if (total > 255)
        goto out;
    out = xcalloc(total, sizeof *out);
    for (k = 0; k < total; k++) {
        size_t off = k * room, n = len - off < room ? len - off : room;
        set_part(&out[k], 4, udh, udhlen, ref, (int)total, (int)k + 1, data + off, n);
    }
    *parts = out;
    *nparts = total;
    out = NULL;
    rc = 0;
out:
    free(out);
    return rc;
}

int simcodec_decode(unsigned data_coding, const unsigned char *data, size_t len,
                    char **utf8, size_t *utf8len)
{
    size_t i, o = 0;
    char *s;

    if ((data_coding & 0xF0) == 0xF0) /* message class coding: bit 2 = 8-bit data */
        data_coding = (data_coding & 0x04) ? 4 : 0;
    switch (data_coding) {
    case 0:
        *utf8 = smstext_gsm_to_utf8(data, len, utf8len);
        return SIMCODEC_TEXT;
    case 1: /* IA5: ASCII; bytes above 0x7F are not IA5, keep them readable as Latin-1 */
    case 3:
        s = xmalloc(len * 2 + 1);
        for (i = 0; i < len; i++)
            o += utf8_encode(data[i], s + o);
        s[o] = '\0';
        *utf8 = s;
        *utf8len = o;
        return SIMCODEC_TEXT;
    case 8:
        return smstext_ucs2_to_utf8(data, len, utf8, utf8len) == 0 ? SIMCODEC_TEXT : -1;
    default:
        return SIMCODEC_BINARY;
    }
}

size_t simcodec_receipt_text(char *buf, size_t cap, const char *id, time_t submitted,
                             time_t done, const char *stat, int err,
                             const char *text, size_t textlen)
{
    char sd[64], dd[64], t[21];
    struct tm tm;
    size_t i, n = textlen < 20 ? textlen : 20;
    int w;

    /* YYMMDDhhmm, UTC: the 10-digit form of SMPP 3.4 Appendix B */
    gmtime_r(&submitted, &tm);
    snprintf(sd, sizeof sd, "%02d%02d%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min);
    gmtime_r(&done, &tm);
    snprintf(dd, sizeof dd, "%02d%02d%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        t[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '.';
    }
    t[n] = '\0';
    w = snprintf(buf, cap, "id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%03d text:%s",
                 id, strcmp(stat, "DELIVRD") == 0 ? "001" : "000", sd, dd, stat, err % 1000, t);
    if (w < 0)
        return 0;
    return (size_t)w < cap ? (size_t)w : cap - 1;
}

void simcodec_hex(const unsigned char *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int simcodec_unhex(const char *hex, size_t hexlen, unsigned char **out, size_t *outlen)
{
    unsigned char *buf = NULL;
    size_t i;
    int rc = -1;

    if (hexlen % 2 != 0)
        goto out;
    buf = xmalloc(hexlen / 2 + 1);
    for (i = 0; i < hexlen / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            goto out;
        buf[i] = (unsigned char)(hi << 4 | lo);
    }
    buf[hexlen / 2] = '\0';
    *out = buf;
    *outlen = hexlen / 2;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    return rc;
}
