/*
 * buf — the one growable byte buffer of smsvault: response bodies and
 * exports (web), vCard text and its logical lines (common/vcard), LIST pages
 * (core), SQL array literals and search statements (store), control lines
 * and queues of the simulators (smsc). Capacity doubles (common/alloc's
 * xgrow), so appending is amortised O(1). It is not a string library:
 * contents may hold NUL bytes; buf_cstr() terminates for callers that want
 * text. A zeroed struct buf is an empty buffer.
 */
#ifndef SMSVAULT_BUF_H
#define SMSVAULT_BUF_H

#include <stddef.h>

struct buf {
    char *data;
    size_t len, cap;
};

void buf_init(struct buf *b);
void buf_cleanup(struct buf *b);
/* Make room for extra more bytes (and the NUL of buf_cstr) in one
 * allocation of exactly that size, not doubling: for a body whose size is
 * known in advance (an upload's Content-Length). */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forget the contents, keep the storage (a buffer reused line after line). */
void buf_clear(struct buf *b);
/* Drop the first n bytes (n <= len): what a queue has sent or parsed. */
void buf_consume(struct buf *b, size_t n);
/* NUL-terminates (not counted in len) and returns data. */
const char *buf_cstr(struct buf *b);
/* Hands the storage to the caller (free with free(3)) and empties b. */
char *buf_steal(struct buf *b, size_t *len_out);

#endif
