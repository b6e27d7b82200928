/*
 * alloc — checked allocation wrappers (see alloc.h).
 */
#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void *check(void *p, size_t size)
{
    if (p == NULL && size != 0) {
        log_error("alloc: out of memory bytes=%zu", size);
        abort();
    }
    return p;
}

void *xmalloc(size_t size) { return check(malloc(size ? size : 1), size); }

void *xcalloc(size_t n, size_t size)
{
    return check(calloc(n ? n : 1, size ? size : 1), n * size);
}

void *xrealloc(void *p, size_t size) { return check(realloc(p, size ? size : 1), size); }

void *xgrow(void *p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    *cap = c;
    return xrealloc(p, c);
}

char *xstrdup(const char *s) { return xmemdup0(s, strlen(s)); }

char *xstrndup(const char *s, size_t n) { return xmemdup0(s, strnlen(s, n)); }

char *xmemdup0(const void *p, size_t n)
{
    char *r = xmalloc(n + 1);
    if (n)
        memcpy(r, p, n);
    r[n] = '\0';
    return r;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        log_error("alloc: bad format fmt=%s", fmt);
        abort();
    }
    char *r = xmalloc((size_t)n + 1);
    vsnprintf(r, (size_t)n + 1, fmt, ap);
    return r;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = xvasprintf(fmt, ap);
    va_end(ap);
    return r;
}
