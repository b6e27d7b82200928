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
#include "smsudh.h"
#include "utf8.h"

/* Fill part: optional UDH (with its UDHL octet) + payload p[0..n). */
static void set_part(struct simcodec_part *part, unsigned char dc, const unsigned char *udh,
                     size_t udhlen, const unsigned char *p, size_t n)
{
    memset(part, 0, sizeof *part);
    part->data_coding = dc;
    if (udhlen > 0) {
        part->esm_class = 0x40;
        memcpy(part->sm, udh, udhlen);
    }
    if (n)
        memcpy(part->sm + udhlen, p, n);
    part->sm_len = udhlen + n;
}

/* Part seq of total of a text MO: the concatenation UDH when total > 1. */
static void set_text_part(struct simcodec_part *part, unsigned char dc, unsigned ref, int total,
                          int seq, const unsigned char *p, size_t n)
{
    unsigned char udh[SMSUDH_MAX];
    size_t ul = 0;

    if (total > 1) {
        struct smsudh u = { .concat = true, .ref = ref & 0xFF, .total = total, .seq = seq };
        ul = smsudh_build(&u, udh, sizeof udh);
    }
    set_part(part, dc, udh, ul, p, n);
}

bool simcodec_mo_encode(const char *utf8, size_t len, unsigned ref,
                        struct simcodec_part **parts, size_t *nparts)
{
    struct smstext_measure m;
    struct simcodec_part *out = NULL;
    size_t i = 0, k = 0;
    bool ok = false;

    smstext_measure(utf8, len, &m);
    if (m.segments == 0 && len > 0)
        goto out;
    if (m.segments > 255)
        goto out;
    out = xcalloc(m.segments ? (size_t)m.segments : 1, sizeof *out);
    if (len == 0) {
        set_part(&out[0], 0, NULL, 0, NULL, 0);
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
            if (smstext_utf8_to_gsm(utf8 + i, n, buf, sizeof buf, &sl) != SMSTEXT_OK)
                goto out;
            set_text_part(&out[k], 0, ref, m.segments, (int)k + 1, buf, sl);
        } else {
            unsigned char *be = NULL;
            size_t bl = 0;
            if (smstext_utf8_to_ucs2(utf8 + i, n, &be, &bl) != SMSTEXT_OK)
                goto out;
            set_text_part(&out[k], 8, ref, m.segments, (int)k + 1, be, bl);
            free(be);
        }
        k++;
        i += n;
    }
    *parts = out;
    *nparts = k;
    out = NULL;
    ok = true;
out:
    free(out);
    return ok;
}

bool simcodec_mo_encode_binary(const unsigned char *udh, size_t udhlen,
                               const unsigned char *data, size_t len, bool ref16, unsigned ref,
                               struct simcodec_part **parts, size_t *nparts)
{
    struct simcodec_part *out = NULL;
    struct smsudh_segment *segs = NULL;
    size_t n = 0, k;
    bool ok = false;

    if (udhlen > 0 && (udh == NULL || (size_t)udh[0] + 1 != udhlen))
        goto out;
    /* the given UDH's IEs ride on every segment, concatenation added */
    if (!smsudh_split(udhlen ? udh + 1 : NULL, udhlen ? udhlen - 1 : 0, ref16, ref, data, len,
                      &segs, &n))
        goto out;
    out = xcalloc(n, sizeof *out);
    for (k = 0; k < n; k++)
        set_part(&out[k], 4, segs[k].udh, segs[k].udhlen, segs[k].data, segs[k].len);
    *parts = out;
    *nparts = n;
    out = NULL;
    ok = true;
out:
    free(segs);
    free(out);
    return ok;
}

bool simcodec_mo_encode_ucs2(const unsigned char *octets, size_t len, unsigned ref,
                             struct simcodec_part **parts, size_t *nparts)
{
    size_t total = len <= 140 ? 1 : (len + 133) / 134, k;
    struct simcodec_part *out;

    if (total > 255)
        return false;
    out = xcalloc(total, sizeof *out);
    for (k = 0; k < total; k++) {
        size_t off = k * 134, n = total == 1 ? len : (len - off < 134 ? len - off : 134);
        set_text_part(&out[k], 8, ref, (int)total, (int)k + 1, octets + off, n);
    }
    *parts = out;
    *nparts = total;
    return true;
}

enum simcodec_kind simcodec_decode(unsigned data_coding, const unsigned char *data, size_t len,
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
        return smstext_ucs2_to_utf8(data, len, utf8, utf8len) == SMSTEXT_OK ? SIMCODEC_TEXT
                                                                       : SIMCODEC_MALFORMED;
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

bool simcodec_unhex(const char *hex, size_t hexlen, unsigned char **out, size_t *outlen)
{
    unsigned char *buf = NULL;
    size_t i;
    bool ok = false;

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
    ok = true;
out:
    free(buf);
    return ok;
}
