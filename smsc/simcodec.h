/*
 * simcodec — the SMSC simulator's pure message codecs: short_message
 * decoding by data_coding, MO encoding into deliver_sm parts (GSM unpacked
 * when the text fits the alphabet, else UCS-2, concatenation UDH when long;
 * 8-bit binary with any UDH; raw UCS-2 octets), SMPP 3.4 Appendix B receipt
 * text, and hex. User data headers are read and written by common/smsudh. No sockets, no libsmpp34, no state, so
 * tests/unit/simcodec_test.c covers all of it.
 */
#ifndef SMSVAULT_SIMCODEC_H
#define SMSVAULT_SIMCODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* One deliver_sm short_message. */
struct simcodec_part {
    unsigned char data_coding; /* 0 GSM unpacked septets, 8 UCS-2, 4 8-bit */
    unsigned char esm_class;   /* 0x40 when sm starts with a UDH */
    size_t sm_len;
    unsigned char sm[160];
};

/* Encode an MO text: GSM 03.38 unpacked (data_coding 0) when every char is
 * in the alphabet, else UCS-2 (8); one part up to 160/70 units, else parts of
 * 153/67 with UDH 05 00 03 ref total seq. *parts malloc'd. True when encoded;
 * false on invalid UTF-8 or more than 255 parts. */
bool simcodec_mo_encode(const char *utf8, size_t len, unsigned ref,
                        struct simcodec_part **parts, size_t *nparts);

/* Encode a binary MO (8-bit, data_coding 4): udh (with length octet, may be
 * NULL) + data; when it exceeds 140 octets every part carries udh's IEs and
 * a concatenation IE with an 8-bit reference (16-bit when ref16). True when
 * encoded; false when udh's length octet is wrong or it needs over 255 parts. */
bool simcodec_mo_encode_binary(const unsigned char *udh, size_t udhlen,
                               const unsigned char *data, size_t len, bool ref16, unsigned ref,
                               struct simcodec_part **parts, size_t *nparts);

/* Encode raw UCS-2 octets as they are (data_coding 8), whatever they hold
 * (a lone surrogate, an odd length): one part up to 140 octets, else parts
 * of 134 with an 8-bit concatenation UDH. For testing what a box does with
 * broken UTF-16. True when encoded; false when it needs over 255 parts. */
bool simcodec_mo_encode_ucs2(const unsigned char *octets, size_t len, unsigned ref,
                             struct simcodec_part **parts, size_t *nparts);

enum simcodec_kind { SIMCODEC_TEXT = 0, SIMCODEC_BINARY = 1, SIMCODEC_MALFORMED = 2 };

/* Decode user data by data_coding: 0 (and 0xF0 class without 8-bit) GSM
 * unpacked, 1 IA5/ASCII, 3 Latin-1, 8 UCS-2 to UTF-8 (*utf8 malloc'd) and
 * SIMCODEC_TEXT; 2, 4 and 8-bit class codings are SIMCODEC_BINARY (*utf8
 * untouched); SIMCODEC_MALFORMED on invalid UCS-2. */
enum simcodec_kind simcodec_decode(unsigned data_coding, const unsigned char *data, size_t len,
                                   char **utf8, size_t *utf8len);

/* SMPP 3.4 Appendix B receipt text:
 * "id:<id> sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm
 *  stat:<stat> err:<err> text:<first 20 bytes, non-ASCII as '.'>".
 * Returns the length written (always NUL-terminated; truncated to cap). */
size_t simcodec_receipt_text(char *buf, size_t cap, const char *id, time_t submitted,
                             time_t done, const char *stat, int err,
                             const char *text, size_t textlen);

/* Lower-case hex; out must hold 2*len+1. */
void simcodec_hex(const unsigned char *data, size_t len, char *out);
/* Hex to bytes; *out malloc'd (NUL-terminated for convenience). False if odd
 * or not hex. */
bool simcodec_unhex(const char *hex, size_t hexlen, unsigned char **out, size_t *outlen);

#endif
