/*
 * metrics_http — the scrape endpoint (see metrics_http.h).
 */
#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "alloc.h"
#include "buf.h"

struct metrics_http {
    struct MHD_Daemon *daemon;
    const struct metrics *reg;
};

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type, char *body,
                              size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    return answer(conn, status, "text/plain; charset=utf-8", xstrdup(text), strlen(text));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct metrics_http *h = cls;
    if (*con_cls == NULL) {   /* headers only so far: answer once they are all in */
        *con_cls = h;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {   /* a body is not wanted: drop it */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/metrics") != 0)
        return answer_text(conn, MHD_HTTP_NOT_FOUND, "not found: GET /metrics\n");
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    struct buf b = { 0 };
    metrics_write(h->reg, &b);
    size_t len = 0;
    char *body = buf_steal(&b, &len);
    return answer(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, body ? body : xstrdup(""), len);
}

struct metrics_http *metrics_http_start(const struct metrics *reg, unsigned port, char *err, size_t errlen)
{
    if (port == 0 || port > 65535) {
        snprintf(err, errlen, "metrics port %u is not 1-65535", port);
        return NULL;
    }
    struct metrics_http *h = xcalloc(1, sizeof *h);
    h->reg = reg;
    struct sockaddr_in addr = { 0 };
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* no MHD_USE_ERROR_LOG: its thread must not log (see the header) */
    h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, (uint16_t)port, NULL, NULL,
                                 on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                                 MHD_OPTION_END);
    if (h->daemon == NULL) {
        int e = errno;
        snprintf(err, errlen, "cannot listen on 127.0.0.1:%u for /metrics: %s", port,
                 e ? strerror(e) : "libmicrohttpd refused");
        free(h);
        return NULL;
    }
    return h;
}

void metrics_http_stop(struct metrics_http *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
