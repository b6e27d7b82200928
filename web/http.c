/*
 * http — response helpers (see http.h).
 */
#include "http.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "status.h"

void http_resp_cleanup(struct http_resp *r)
{
    if (r->stream_done)   /* a stream never handed to the server */
        r->stream_done(r->stream_cls);
    free(r->body);
    for (int i = 0; i < r->nheaders; i++) {
        free(r->header_name[i]);
        free(r->header_value[i]);
    }
    memset(r, 0, sizeof *r);
}

void http_header(struct http_resp *r, const char *name, const char *value)
{
    if (r->nheaders >= HTTP_MAX_HEADERS)
        return;
    r->header_name[r->nheaders] = xstrdup(name);
    r->header_value[r->nheaders] = xstrdup(value);
    r->nheaders++;
}

void http_bytes(struct http_resp *r, unsigned status, const char *content_type, char *data, size_t len)
{
    if (r->stream_done)
        r->stream_done(r->stream_cls);
    r->stream_read = NULL;
    r->stream_done = NULL;
    free(r->body);
    r->status = status;
    r->content_type = content_type;
    r->body = data;
    r->len = len;
}

void http_stream(struct http_resp *r, unsigned status, const char *content_type,
                 long (*read)(void *cls, char *buf, size_t max), void (*done)(void *cls), void *cls)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
    if (r->stream_done)
        r->stream_done(r->stream_cls);
    r->status = status;
    r->content_type = content_type;
    r->stream_read = read;
    r->stream_done = done;
    r->stream_cls = cls;
}

void http_json(struct http_resp *r, unsigned status, json_t *json)
{
    if (json == NULL)
        json = json_object();
    char *text = json_dumps(json, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(json);
    if (text == NULL)
        text = xstrdup("{}");
    /* json_dumps allocates with malloc (jansson default allocator). */
    http_bytes(r, status, "application/json; charset=utf-8", text, strlen(text));
    r->api = true;
}

void http_error(struct http_resp *r, unsigned status, const char *code, const char *message)
{
    http_json(r, status, json_pack("{s:s, s:s}", "error", code, "message", message));
}

void http_errorf(struct http_resp *r, unsigned status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = xvasprintf(fmt, ap);
    va_end(ap);
    http_error(r, status, code, m);
    free(m);
}

void http_store_error(struct http_resp *r, enum store_result res)
{
    http_store_error_say(r, res, NULL, NULL);
}

void http_store_error_say(struct http_resp *r, enum store_result res, const char *message, json_t *extra)
{
    const struct status_entry *e = status_from_store(res);
    json_t *j = extra ? extra : json_object();
    json_object_set_new(j, "error", json_string(e->code));
    json_object_set_new(j, "message", json_string(message ? message : e->message));
    http_json(r, e->http, j);
}

const char *http_query(const struct http_req *q, const char *name)
{
    const char *v = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

const char *http_header_in(const struct http_req *q, const char *name)
{
    return MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, name);
}

json_t *http_json_body(const struct http_req *q, struct http_resp *r)
{
    char err[160];
    json_t *j = json_body_object(q->body, q->body_len, err, sizeof err);
    if (j == NULL)
        http_error(r, 400, "bad_json", err);
    return j;
}
