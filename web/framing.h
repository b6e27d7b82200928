/*
 * framing — is a request's length unambiguous? (issue 11, point 3.) Fed the
 * request's header lines one by one as libmicrohttpd parsed them, it says
 * whether the message body's framing is one that every HTTP parser reads the
 * same way, and if not, which refusal to send: 400 for ambiguous or broken
 * framing (two lengths, Content-Length with Transfer-Encoding, a
 * Transfer-Encoding other than exactly "chunked", a header name that is not
 * a token, control bytes in a value, no or two Host lines), 411 for a body
 * method without any length, 413 for a length too large to hold, 501 for a
 * transfer coding we do not implement. It knows nothing of libmicrohttpd and
 * does not answer the request itself (server.c does, before any handler).
 *
 * What it cannot see: libmicrohttpd 0.9.75 (Debian 12) turns a bare LF into
 * a line end, stops a value at a NUL byte and glues an obs-fold continuation
 * onto the header's name before any callback runs. A fold onto a
 * Content-Length or Transfer-Encoding line is caught (the glued name still
 * starts with that name); the rest is read the same way by libmicrohttpd and
 * by nginx, so no second parser disagrees (see SECURITY.md).
 */
#ifndef SMSVAULT_WEB_FRAMING_H
#define SMSVAULT_WEB_FRAMING_H

#include <stdbool.h>

enum framing_result {
    FRAMING_OK,
    FRAMING_BAD,                /* 400 */
    FRAMING_LENGTH_REQUIRED,    /* 411 */
    FRAMING_TOO_LARGE,          /* 413 */
    FRAMING_NOT_IMPLEMENTED,    /* 501 */
};

struct framing {
    int n_content_length, n_transfer_encoding, n_host;
    const char *content_length;     /* borrowed from the header list */
    const char *transfer_encoding;
    const char *why;                /* first problem seen in a single line, static text */
};

void framing_init(struct framing *f);
/* One header line as parsed: name and value are borrowed for the lifetime
 * of f (libmicrohttpd keeps them until the request ends). */
void framing_header(struct framing *f, const char *name, const char *value);
/* The verdict for the whole request. On FRAMING_OK, *chunked says whether
 * the body is chunked and *length is the Content-Length (0 when none); else
 * *why is a short English reason for the log and the answer. */
enum framing_result framing_check(const struct framing *f, const char *method, const char *version,
                                  bool *chunked, unsigned long long *length, const char **why);
/* The HTTP status for a verdict (200 for FRAMING_OK). */
unsigned framing_status(enum framing_result r);

#endif
