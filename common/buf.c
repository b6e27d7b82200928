/*
 * buf — growable byte buffer (see buf.h). Allocation failures abort through
 * common/alloc.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void buf_init(struct buf *b) { memset(b, 0, sizeof *b); }

void buf_cleanup(struct buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    b->data = xrealloc(b->data, b->len + extra + 1);
    b->cap = b->len + extra + 1;
}

static void reserve(struct buf *b, size_t extra)
{
    b->data = xgrow(b->data, &b->cap, b->len + extra + 1);
}

void buf_append(struct buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_puts(struct buf *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_putc(struct buf *b, char c) { buf_append(b, &c, 1); }

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_clear(struct buf *b) { b->len = 0; }

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

const char *buf_cstr(struct buf *b)
{
    reserve(b, 0);
    b->data[b->len] = '\0';
    return b->data;
}

char *buf_steal(struct buf *b, size_t *len_out)
{
    buf_cstr(b);
    char *p = b->data;
    if (len_out)
        *len_out = b->len;
    memset(b, 0, sizeof *b);
    return p;
}
