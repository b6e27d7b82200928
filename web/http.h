/*
 * http — the request and response shapes every vaultweb handler sees, and
 * the helpers that fill a response (JSON, errors, store results through the
 * status table, files). It hides libmicrohttpd from handlers: they read a
 * whole, size-checked body and write status, headers and bytes. It does not
 * route, authenticate or talk to the database (see server.c, auth.c).
 */
#ifndef SMSVAULT_WEB_HTTP_H
#define SMSVAULT_WEB_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store.h"
#include "webconf.h"

struct MHD_Connection;

#define HTTP_MAX_HEADERS 6

struct http_req {
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    const char *content_type;     /* "" when absent */
    char *body;                   /* NUL-terminated; may hold NULs for uploads; the handler
                                     may rewrite it in place (the import does) */
    size_t body_len;
    long long path_n[2];          /* numbers matched by '#' in the route pattern */
    struct store *store;          /* this worker thread's connection */
    const struct store_config *store_cfg;   /* for a connection of the handler's own (a stream) */
    const struct web_config *cfg;
    bool authed;
    bool secure;                  /* the browser spoke HTTPS (ours, or a trusted proxy's) */
    char client[64];              /* client address (the real one behind a trusted proxy) */
    char user_id[STORE_ID_LEN];
    char token[STORE_TOKEN_LEN];  /* session token from the cookie ("" if none) */
};

struct http_resp {
    unsigned status;
    char *body;                   /* malloc'd, owned */
    size_t len;
    const char *content_type;     /* static string */
    bool api;                     /* Cache-Control: no-store */
    bool close;                   /* Connection: close (a refused framing, a body left unread) */
    int nheaders;
    char *header_name[HTTP_MAX_HEADERS];
    char *header_value[HTTP_MAX_HEADERS];
    /* a body made while it is sent (http_stream), instead of body */
    long (*stream_read)(void *cls, char *buf, size_t max);
    void (*stream_done)(void *cls);
    void *stream_cls;
};

void http_resp_cleanup(struct http_resp *r);
void http_header(struct http_resp *r, const char *name, const char *value);
/* Consumes json (may be NULL for an empty object). */
void http_json(struct http_resp *r, unsigned status, json_t *json);
void http_error(struct http_resp *r, unsigned status, const char *code, const char *message);
/* http_error with the message formatted (limits are printed from common/limit.h). */
void http_errorf(struct http_resp *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A store result as an HTTP answer, through the status table (status.c, the
 * only place a store result becomes an HTTP status): the table's status and
 * {"error": code, "message": sentence}. http_store_error_say keeps the
 * table's status and code and says more about this request: message (NULL:
 * the table's sentence) and extra, further fields of the answer (consumed;
 * may be NULL). STORE_OK gives 200 (rarely what you want). */
void http_store_error(struct http_resp *r, enum store_result res);
void http_store_error_say(struct http_resp *r, enum store_result res, const char *message, json_t *extra);
/* Consumes data (malloc'd). */
void http_bytes(struct http_resp *r, unsigned status, const char *content_type, char *data, size_t len);
/* A body of a length not known ahead, sent as it is made (chunked): read
 * fills buf with up to max next bytes and returns how many, 0 at the end,
 * -1 when it failed (the connection is then closed: the client sees a
 * broken answer, never a short file taken for whole); done(cls) is called
 * once, when the answer is finished or given up (also when it is never
 * sent). Both run on the thread that serves the connection, between other
 * requests: a stream keeps no transaction open on the thread's store. */
void http_stream(struct http_resp *r, unsigned status, const char *content_type,
                 long (*read)(void *cls, char *buf, size_t max), void (*done)(void *cls), void *cls);

/* The request body as a JSON object (json.h rules); NULL after writing a
 * 400 with the reason into r. */
json_t *http_json_body(const struct http_req *q, struct http_resp *r);

/* Query-string value ("" → NULL). */
const char *http_query(const struct http_req *q, const char *name);
const char *http_header_in(const struct http_req *q, const char *name);

#endif
