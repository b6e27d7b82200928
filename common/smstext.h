/*
 * smstext — SMS alphabets and segment maths: GSM 03.38 default alphabet with
 * its extension table, UCS-2 / UTF-16BE, 7-bit packing, and how many
 * segments a text costs the way Kannel's sms_split() cuts it (160/153 GSM
 * septets, 70/67 UTF-16 code units). Shared by the SMS command engine (reply
 * fitting) and the SMSC simulator (MO encoding, MT decoding).
 *
 * It is not a charset library: only UTF-8 <-> GSM 03.38 and UTF-8 <-> UTF-16BE,
 * no national language shift tables, no Latin-1. Results are malloc'd and
 * belong to the caller; inputs are borrowed.
 */
#ifndef SMSVAULT_SMSTEXT_H
#define SMSVAULT_SMSTEXT_H

#include <stdbool.h>
#include <stddef.h>

#define SMSTEXT_GSM_ESC 0x1B

/* Segment sizes (140 octets, less a 6-octet concatenation UDH when split). */
#define SMSTEXT_GSM_SINGLE 160
#define SMSTEXT_GSM_PART 153
#define SMSTEXT_UCS2_SINGLE 70
#define SMSTEXT_UCS2_PART 67

/* True when utf8[0..len) is valid UTF-8 and every character is in the GSM
 * 03.38 default alphabet or its extension table. */
bool smstext_is_gsm(const char *utf8, size_t len);

/* What a conversion did; out parameters are written only on SMSTEXT_OK. */
enum smstext_result {
    SMSTEXT_OK = 0,
    SMSTEXT_MALFORMED, /* invalid UTF-8 (or a NUL), an odd UTF-16 length, a lone surrogate */
    SMSTEXT_NOT_GSM,   /* a character the GSM 03.38 alphabet does not have */
    SMSTEXT_NO_ROOM,   /* the caller's buffer is too small */
};

/* What smstext_gsm_pack / smstext_gsm_unpack return when they cannot. */
#define SMSTEXT_NO_FIT ((size_t)-1)

/* UTF-8 to unpacked septets (one per byte; extension characters as 0x1B +
 * code) and *outlen. */
enum smstext_result smstext_utf8_to_gsm(const char *utf8, size_t len, unsigned char *out, size_t cap,
                                        size_t *outlen);

/* Unpacked septets to UTF-8; malloc'd, NUL-terminated. An unknown escape
 * decodes as the base character, a trailing lone escape as a space (03.38). */
char *smstext_gsm_to_utf8(const unsigned char *septets, size_t n, size_t *outlen);

/* UTF-8 to UTF-16BE (surrogate pairs above U+FFFF); *out malloc'd.
 * SMSTEXT_MALFORMED on invalid UTF-8. */
enum smstext_result smstext_utf8_to_ucs2(const char *utf8, size_t len, unsigned char **out,
                                         size_t *outlen);

/* UTF-16BE to UTF-8; *out malloc'd and NUL-terminated. SMSTEXT_MALFORMED on
 * an odd length or an unpaired surrogate. */
enum smstext_result smstext_ucs2_to_utf8(const unsigned char *be, size_t len, char **out,
                                         size_t *outlen);

/* Pack n septets into octets. fill_bits (0-6) zero bits come first, so that
 * the septets start on a septet boundary after a UDH of udhl octets:
 * fill_bits = (7 - (udhl * 8) % 7) % 7. Returns the octets written, or
 * SMSTEXT_NO_FIT if cap is too small. */
size_t smstext_gsm_pack(const unsigned char *septets, size_t n, int fill_bits,
                        unsigned char *out, size_t cap);

/* Unpack n septets from packed octets (skipping fill_bits). Returns the
 * septets written, or SMSTEXT_NO_FIT if the input is too short or cap too small. */
size_t smstext_gsm_unpack(const unsigned char *packed, size_t len, int fill_bits, size_t n,
                          unsigned char *out, size_t cap);

struct smstext_measure {
    bool gsm;       /* fits the GSM 03.38 alphabet (with extension table) */
    size_t units;   /* septets (an escape counts 2) or UTF-16 code units */
    int segments;   /* 1 when units fit one SMS, else parts of 153/67 */
};

/* Cost of a text: alphabet, units and segments (0 segments for invalid UTF-8). */
void smstext_measure(const char *utf8, size_t len, struct smstext_measure *out);

/*
 * The measure of a text written piece by piece (a LIST page, line by line):
 * after each smstext_meter_add, smstext_meter_get says what smstext_measure
 * says of all the pieces together, having read each piece once. A meter is
 * a plain value: copy it to try a piece and keep the copy only if it fits.
 * Each piece whole characters: one that is not valid UTF-8 by itself makes
 * the text invalid (0 segments), as would a character split between pieces.
 */
struct smstext_meter {
    bool valid, gsm;   /* so far: valid UTF-8; every character in the GSM alphabet */
    size_t units[2];   /* [0] septets, [1] UTF-16 units (the cost in each alphabet) */
    size_t used[2];    /* units in the last part so far, were the text cut into parts */
    int parts[2];      /* parts so far, cut so */
};
void smstext_meter_init(struct smstext_meter *m);
void smstext_meter_add(struct smstext_meter *m, const char *utf8, size_t len);
void smstext_meter_get(const struct smstext_meter *m, struct smstext_measure *out);

/* Longest prefix of utf8 (in bytes) whose cost in the given alphabet is
 * <= max_units, never splitting a code point, an escape or a surrogate pair.
 * With gsm set, stops before the first character that is not GSM. */
size_t smstext_fit(const char *utf8, size_t len, bool gsm, size_t max_units);

/* Units one character costs: 1 or 2 septets (gsm), 1 or 2 UTF-16 units;
 * 0 if it has no GSM form. */
size_t smstext_char_units(unsigned int cp, bool gsm);

#endif
