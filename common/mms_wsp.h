/*
 * mms_wsp — private to mms_pdu: the WSP (WAP-230-WSP 8.4) value encodings
 * the MMS encapsulation is written in — uintvar, Short-/Long-integer,
 * Text-string, Quoted-string, Value-length, Encoded-string-value,
 * Content-Type with its parameters, part headers and the multipart body —
 * as a bounded reader and a growable writer. Not a general WSP header
 * codec: only what MMS PDUs and the push PDU carry is understood; anything
 * else is skipped by its shape.
 */
#ifndef SMSVAULT_MMS_WSP_H
#define SMSVAULT_MMS_WSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mms_pdu.h"

/* ---- reading: r->p[r->off .. r->end) is what may be read ------------------ */

struct mms_wsp_reader {
    const unsigned char *p;
    size_t off, end;
};

enum mms_pdu_result mms_wsp_byte(struct mms_wsp_reader *r, unsigned *b);
enum mms_pdu_result mms_wsp_peek(const struct mms_wsp_reader *r, unsigned *b);
/* uintvar: at most 5 octets and 32 bits */
enum mms_pdu_result mms_wsp_uintvar(struct mms_wsp_reader *r, uint32_t *v);
/* Value-length: Short-length (0-30) or 31 + uintvar; checked against what is left */
enum mms_pdu_result mms_wsp_value_length(struct mms_wsp_reader *r, size_t *len);
/* Long-integer (1-8 octets; 0 octets reads as 0) */
enum mms_pdu_result mms_wsp_long_integer(struct mms_wsp_reader *r, uint64_t *v);
/* Integer-value: Short-integer or Long-integer */
enum mms_pdu_result mms_wsp_integer(struct mms_wsp_reader *r, uint64_t *v);
/* Text-string or Token-text up to its NUL (a leading Quote 0x7F is
 * dropped); *out malloc'd, UTF-8 (invalid bytes U+FFFD). */
enum mms_pdu_result mms_wsp_text(struct mms_wsp_reader *r, char **out);
/* Text-value: the same, or a Quoted-string (leading '"' dropped). */
enum mms_pdu_result mms_wsp_text_value(struct mms_wsp_reader *r, char **out);
/* Encoded-string-value: Text-string, or Value-length Char-set Text-string
 * converted from its charset to UTF-8. */
enum mms_pdu_result mms_wsp_encoded_string(struct mms_wsp_reader *r, char **out);
/* Skip one header value of any shape. */
enum mms_pdu_result mms_wsp_skip_value(struct mms_wsp_reader *r);

/* A Content-Type value: media type and the parameters MMS uses (all
 * malloc'd or NULL). */
struct mms_wsp_ctype {
    char *media, *charset, *name, *type, *start;
};
void mms_wsp_ctype_cleanup(struct mms_wsp_ctype *ct);
enum mms_pdu_result mms_wsp_content_type(struct mms_wsp_reader *r, struct mms_wsp_ctype *ct);
bool mms_wsp_is_multipart(const char *media);

/* A multipart body r[off..end) into pdu->parts (flattening nested
 * multiparts; depth is that of this multipart, 1 at the top). */
enum mms_pdu_result mms_wsp_multipart(struct mms_wsp_reader *r, struct mms_pdu *pdu, int depth);

/* ---- writing ------------------------------------------------------------- */

struct mms_wsp_writer {
    unsigned char *p;
    size_t len, cap;
    bool bad; /* a value could not be encoded: the result is refused */
};

void mms_wsp_put_byte(struct mms_wsp_writer *w, unsigned b);
void mms_wsp_put_bytes(struct mms_wsp_writer *w, const void *data, size_t n);
void mms_wsp_put_uintvar(struct mms_wsp_writer *w, uint32_t v);
void mms_wsp_put_value_length(struct mms_wsp_writer *w, size_t n);
void mms_wsp_put_long_integer(struct mms_wsp_writer *w, uint64_t v);
void mms_wsp_put_integer(struct mms_wsp_writer *w, uint64_t v);
/* Text-string (Quote before an octet >= 0x7F; a control character first
 * cannot be written: bad). */
void mms_wsp_put_text(struct mms_wsp_writer *w, const char *s);
/* Text-value: a Quoted-string when s starts with '"', else a Text-string. */
void mms_wsp_put_text_value(struct mms_wsp_writer *w, const char *s);
void mms_wsp_put_quoted(struct mms_wsp_writer *w, const char *s);
/* Plain Text-string when ASCII, else Value-length + utf-8 (0xEA) + text. */
void mms_wsp_put_encoded_string(struct mms_wsp_writer *w, const char *s);
/* Content-Type: short code when well known and without parameters, else
 * the general form with charset, name, type and start as given. */
void mms_wsp_put_content_type(struct mms_wsp_writer *w, const char *media, const char *charset,
                              const char *name, const char *type, const char *start);
/* The multipart body of pdu->parts. */
void mms_wsp_put_multipart(struct mms_wsp_writer *w, const struct mms_pdu *pdu);

#endif
