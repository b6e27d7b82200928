/*
 * buf — a growable byte buffer for building response bodies (exports, JSON
 * text, rewritten imports). It is not a string library: contents may hold
 * NUL bytes; buf_cstr() terminates for callers that want text.
 */
#ifndef SMSVAULT_WEB_BUF_H
#define SMSVAULT_WEB_BUF_H

#include <stddef.h>

struct buf {
    char *data;
    size_t len, cap;
};

void buf_init(struct buf *b);
void buf_cleanup(struct buf *b);
/* Make room for extra more bytes (and the NUL of buf_cstr) in one allocation. */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NUL-terminates (not counted in len) and returns data. */
const char *buf_cstr(struct buf *b);
/* Hands the storage to the caller (free with free(3)) and empties b. */
char *buf_steal(struct buf *b, size_t *len_out);

#endif
