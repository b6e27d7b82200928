/*
 * alloc — checked allocation. Running out of memory is not an input error
 * smsvault can answer, so these log and abort instead of returning NULL.
 * Free with free(3).
 */
#ifndef SMSVAULT_ALLOC_H
#define SMSVAULT_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Copy of n bytes plus a terminating NUL (for counted, possibly non-text data). */
char *xmemdup0(const void *p, size_t n);
/* A growable buffer of *cap bytes made to hold at least need bytes: the
 * capacity doubles (from 256) until it does. Returns the (moved) buffer. */
void *xgrow(void *p, size_t *cap, size_t need);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
