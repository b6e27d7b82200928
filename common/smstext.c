/*
 * smstext — GSM 03.38 / UTF-16BE conversion, 7-bit packing and SMS segment
 * maths. See smstext.h. Tables follow 3GPP TS 23.038 section 6.2.1 (default
 * alphabet) and 6.2.1.1 (extension table); only the default language.
 */
#include "smstext.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "utf8.h"

/* GSM 03.38 default alphabet: septet -> Unicode. 0x1B is the escape. */
static const uint16_t gsm_basic[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, 0xFFFF, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* Extension table: the septet after 0x1B, and its Unicode character. */
static const struct { unsigned char code; uint16_t cp; } gsm_ext[] = {
    { 0x0A, 0x000C }, { 0x14, 0x005E }, { 0x28, 0x007B }, { 0x29, 0x007D },
    { 0x2F, 0x005C }, { 0x3C, 0x005B }, { 0x3D, 0x007E }, { 0x3E, 0x005D },
    { 0x40, 0x007C }, { 0x65, 0x20AC },
};

#define NEXT (sizeof gsm_ext / sizeof gsm_ext[0])

/* Septets for one code point: 1 (out[0]), 2 (escape + code) or 0 (none). */
static size_t gsm_encode_cp(uint32_t cp, unsigned char out[2])
{
    size_t i;

    if (cp < 0x80 && cp != 0x24 && cp != 0x40 && cp != 0x5F) {
        /* fast path: most ASCII maps to itself; the table check follows */
        if (gsm_basic[cp] == cp) {
            out[0] = (unsigned char)cp;
            return 1;
        }
    }
    for (i = 0; i < 128; i++) {
        if (i != SMSTEXT_GSM_ESC && gsm_basic[i] == cp) {
            out[0] = (unsigned char)i;
            return 1;
        }
    }
    for (i = 0; i < NEXT; i++) {
        if (gsm_ext[i].cp == cp) {
            out[0] = SMSTEXT_GSM_ESC;
            out[1] = gsm_ext[i].code;
            return 2;
        }
    }
    return 0;
}

size_t smstext_char_units(unsigned int cp, bool gsm)
{
    unsigned char tmp[2];

    if (gsm)
        return gsm_encode_cp(cp, tmp);
    return cp > 0xFFFF ? 2 : 1;
}

bool smstext_is_gsm(const char *utf8, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        unsigned char tmp[2];
        size_t n = utf8_decode(utf8 + i, len - i, &cp);
        if (n == 0 || cp == 0 || gsm_encode_cp(cp, tmp) == 0)
            return false;
        i += n;
    }
    return true;
}

enum smstext_result smstext_utf8_to_gsm(const char *utf8, size_t len, unsigned char *out, size_t cap,
                                        size_t *outlen)
{
    size_t i = 0, o = 0;

    while (i < len) {
        uint32_t cp;
        unsigned char sept[2];
        size_t n = utf8_decode(utf8 + i, len - i, &cp);
        size_t k;
        if (n == 0 || cp == 0)
            return SMSTEXT_MALFORMED;
        k = gsm_encode_cp(cp, sept);
        if (k == 0)
            return SMSTEXT_NOT_GSM;
        if (o + k > cap)
            return SMSTEXT_NO_ROOM;
        memcpy(out + o, sept, k);
        o += k;
        i += n;
    }
    *outlen = o;
    return SMSTEXT_OK;
}

char *smstext_gsm_to_utf8(const unsigned char *septets, size_t n, size_t *outlen)
{
    /* worst case: 3 UTF-8 bytes per septet (€ is escape + 1 septet) */
    char *out = xmalloc(n * 3 + 1);
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        uint32_t cp;
        unsigned char c = septets[i] & 0x7F;
        if (c == SMSTEXT_GSM_ESC) {
            size_t k;
            if (i + 1 >= n) {
                cp = 0x20; /* lone escape at the end: 03.38 says display a space */
            } else {
                unsigned char e = septets[++i] & 0x7F;
                cp = gsm_basic[e] == 0xFFFF ? 0x20 : gsm_basic[e]; /* unknown: base char */
                for (k = 0; k < NEXT; k++) {
                    if (gsm_ext[k].code == e) {
                        cp = gsm_ext[k].cp;
                        break;
                    }
                }
            }
        } else {
            cp = gsm_basic[c];
        }
        o += utf8_encode(cp, out + o);
    }
    out[o] = '\0';
    if (outlen)
        *outlen = o;
    return out;
}

enum smstext_result smstext_utf8_to_ucs2(const char *utf8, size_t len, unsigned char **out,
                                         size_t *outlen)
{
    unsigned char *buf = NULL;
    size_t i = 0, o = 0;
    enum smstext_result rc = SMSTEXT_MALFORMED;

    buf = xmalloc(len * 2 + 2); /* a UTF-8 byte never yields more than 2 octets */
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(utf8 + i, len - i, &cp);
        if (n == 0)
            goto out;
        if (cp > 0xFFFF) {
            uint32_t v = cp - 0x10000;
            uint16_t hi = (uint16_t)(0xD800 | (v >> 10)), lo = (uint16_t)(0xDC00 | (v & 0x3FF));
            buf[o++] = (unsigned char)(hi >> 8);
            buf[o++] = (unsigned char)hi;
            buf[o++] = (unsigned char)(lo >> 8);
            buf[o++] = (unsigned char)lo;
        } else {
            buf[o++] = (unsigned char)(cp >> 8);
            buf[o++] = (unsigned char)cp;
        }
        i += n;
    }
    *out = buf;
    *outlen = o;
    buf = NULL;
    rc = SMSTEXT_OK;
out:
    free(buf);
    return rc;
}

enum smstext_result smstext_ucs2_to_utf8(const unsigned char *be, size_t len, char **out,
                                         size_t *outlen)
{
    char *buf = NULL;
    size_t i, o = 0;
    enum smstext_result rc = SMSTEXT_MALFORMED;

    if (len % 2 != 0)
        goto out;
    buf = xmalloc(len * 2 + 1); /* 2 octets -> at most 3 bytes; a pair 4 -> 4 */
    for (i = 0; i < len; i += 2) {
        uint32_t cp = (uint32_t)be[i] << 8 | be[i + 1];
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (i + 3 >= len)
                goto out;
            lo = (uint32_t)be[i + 2] << 8 | be[i + 3];
            if (lo < 0xDC00 || lo > 0xDFFF)
                goto out;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 2;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            goto out;
        }
        o += utf8_encode(cp, buf + o);
    }
    buf[o] = '\0';
    *out = buf;
    *outlen = o;
    buf = NULL;
    rc = SMSTEXT_OK;
out:
    free(buf);
    return rc;
}

size_t smstext_gsm_pack(const unsigned char *septets, size_t n, int fill_bits,
                        unsigned char *out, size_t cap)
{
    size_t bits = (size_t)fill_bits + n * 7, need = (bits + 7) / 8, i;

    if (need > cap)
        return SMSTEXT_NO_FIT;
    memset(out, 0, need);
    for (i = 0; i < n; i++) {
        size_t pos = (size_t)fill_bits + i * 7; /* bit position, LSB first */
        unsigned v = septets[i] & 0x7Fu;
        out[pos / 8] |= (unsigned char)(v << (pos % 8));
        if (pos % 8 > 1)
            out[pos / 8 + 1] |= (unsigned char)(v >> (8 - pos % 8));
    }
    return need;
}

size_t smstext_gsm_unpack(const unsigned char *packed, size_t len, int fill_bits, size_t n,
                          unsigned char *out, size_t cap)
{
    size_t i;

    if (n > cap || ((size_t)fill_bits + n * 7 + 7) / 8 > len)
        return SMSTEXT_NO_FIT;
    for (i = 0; i < n; i++) {
        size_t pos = (size_t)fill_bits + i * 7;
        unsigned v = packed[pos / 8] >> (pos % 8);
        if (pos % 8 > 1)
            v |= (unsigned)packed[pos / 8 + 1] << (8 - pos % 8);
        out[i] = (unsigned char)(v & 0x7F);
    }
    return n;
}

void smstext_meter_init(struct smstext_meter *m)
{
    memset(m, 0, sizeof *m);
    m->valid = true;
    m->gsm = true;
}

/* One character more in alphabet a (0 GSM, 1 UCS-2): a new part when it does
 * not fit in the last one, as smstext_measure's cut by smstext_fit. */
static void meter_char(struct smstext_meter *m, int a, size_t u, size_t part)
{
    if (m->parts[a] == 0 || m->used[a] + u > part) {
        m->parts[a]++;
        m->used[a] = 0;
    }
    m->used[a] += u;
    m->units[a] += u;
}

void smstext_meter_add(struct smstext_meter *m, const char *utf8, size_t len)
{
    if (!m->valid)
        return;
    if (!utf8_valid(utf8, len)) {
        m->valid = false;
        return;
    }
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += utf8_decode(utf8 + i, len - i, &cp);
        if (m->gsm) {
            unsigned char tmp[2];
            size_t u = cp == 0 ? 0 : gsm_encode_cp(cp, tmp);
            if (u == 0)
                m->gsm = false;   /* from here on only the UCS-2 cost counts */
            else
                meter_char(m, 0, u, SMSTEXT_GSM_PART);
        }
        meter_char(m, 1, cp > 0xFFFF ? 2 : 1, SMSTEXT_UCS2_PART);
    }
}

void smstext_meter_get(const struct smstext_meter *m, struct smstext_measure *out)
{
    memset(out, 0, sizeof *out);
    if (!m->valid)
        return;
    int a = m->gsm ? 0 : 1;
    out->gsm = m->gsm;
    out->units = m->units[a];
    out->segments = m->units[a] <= (m->gsm ? SMSTEXT_GSM_SINGLE : SMSTEXT_UCS2_SINGLE) ? 1 : m->parts[a];
}

size_t smstext_fit(const char *utf8, size_t len, bool gsm, size_t max_units)
{
    size_t i = 0, units = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(utf8 + i, len - i, &cp), u;
        if (n == 0)
            break;
        u = smstext_char_units(cp, gsm);
        if (u == 0 || units + u > max_units)
            break;
        units += u;
        i += n;
    }
    return i;
}

/*
 * Segments are counted the way Kannel 1.4.5's sms_split() cuts a long MT:
 * one SMS up to 160 septets / 70 units, else parts of 153 / 67 (a 6-octet
 * concatenation UDH each), a GSM escape never split across parts (see
 * reference/kannel-smpp-notes.md A.9). We also keep surrogate pairs whole.
 */
void smstext_measure(const char *utf8, size_t len, struct smstext_measure *out)
{
    bool gsm;
    size_t i = 0, units = 0, single, part;
    int segments = 0;

    memset(out, 0, sizeof *out);
    if (!utf8_valid(utf8, len))
        return;
    gsm = smstext_is_gsm(utf8, len);
    while (i < len) {
        uint32_t cp;
        i += utf8_decode(utf8 + i, len - i, &cp);
        units += smstext_char_units(cp, gsm);
    }
    single = gsm ? SMSTEXT_GSM_SINGLE : SMSTEXT_UCS2_SINGLE;
    part = gsm ? SMSTEXT_GSM_PART : SMSTEXT_UCS2_PART;
    if (units <= single) {
        segments = 1;
    } else {
        i = 0;
        while (i < len) {
            size_t n = smstext_fit(utf8 + i, len - i, gsm, part);
            if (n == 0)
                break; /* cannot happen for valid input: every char costs <= 2 */
            i += n;
            segments++;
        }
    }
    out->gsm = gsm;
    out->units = units;
    out->segments = segments;
}
