/*
 * utf8 — UTF-8 validation and decoding (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). It does not convert to other
 * encodings; SMS alphabets live in smstext.
 */
#ifndef SMSVAULT_UTF8_H
#define SMSVAULT_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..len) is well-formed UTF-8 without NUL bytes. */
bool utf8_valid(const char *s, size_t len);

/* Decode one code point at s[0..len). Returns the bytes used (1-4) and
 * writes *cp, or 0 for a malformed or truncated sequence. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Encode cp (≤ U+10FFFF, not a surrogate) into out[4]; returns bytes, 0 if invalid. */
size_t utf8_encode(uint32_t cp, char out[4]);

/* Number of code points in valid UTF-8. */
size_t utf8_count(const char *s, size_t len);

/* Largest n ≤ max_bytes such that s[0..n) ends on a code point boundary. */
size_t utf8_truncate(const char *s, size_t len, size_t max_bytes);

#endif
