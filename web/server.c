/*
 * server — libmicrohttpd daemon, request gate and dispatch (see server.h).
 *
 * Order of checks for an API request: route known (404/405) → body within
 * its cap (413, answered as soon as Content-Length or the bytes received
 * exceed it) → for POST: content type allowed for the route (415; form,
 * multipart and text/plain bodies are always refused) and the CSRF checks
 * (403: the custom header X-Smsvault-Csrf: 1, Origin equal to our own
 * origin when present, Sec-Fetch-Site same-origin when present) → session
 * (401) → handler. Every response, static or API, carries the security
 * headers (issue 5: strict CSP without inline script, frame-ancestors
 * 'none', nosniff, Referrer-Policy; Cache-Control no-store on the API).
 */
#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "http.h"
#include "log.h"
#include "routes.h"
#include "static.h"
#include "web_metrics.h"

struct server {
    struct MHD_Daemon *daemon;
    const struct web_config *web;
    const struct store_config *store;
    unsigned port;
};

struct conn_state {
    const struct route *route;
    long long path_n[2];
    bool path_known;
    bool too_large;
    bool answered;
    size_t cap;
    struct buf body;
    struct timespec started;
};

static const char CSP[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; font-src 'self'; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'none'";

/* ---- one store connection per worker thread ---- */

static pthread_key_t store_key;
static pthread_once_t store_key_once = PTHREAD_ONCE_INIT;

static void store_destroy(void *p) { store_free(p); }
static void make_key(void) { pthread_key_create(&store_key, store_destroy); }

static struct store *thread_store(const struct store_config *cfg)
{
    pthread_once(&store_key_once, make_key);
    struct store *s = pthread_getspecific(store_key);
    if (s != NULL) {
        if (store_ping(s))
            return s;
        store_free(s);
        pthread_setspecific(store_key, NULL);
        s = NULL;
    }
    if (store_open(cfg, &s) != STORE_OK) {
        log_warn("web: store_open failed");
        return NULL;
    }
    pthread_setspecific(store_key, s);
    return s;
}

/* ---- responses ---- */

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct http_resp *r)
{
    struct MHD_Response *mr =
        MHD_create_response_from_buffer(r->len, r->body ? r->body : (void *)"", r->body ? MHD_RESPMEM_MUST_FREE
                                                                                  : MHD_RESPMEM_PERSISTENT);
    r->body = NULL;
    if (mr == NULL)
        return MHD_NO;
    MHD_add_response_header(mr, "Content-Security-Policy", CSP);
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(mr, "X-Frame-Options", "DENY");
    MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(mr, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(mr, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header(mr, "Cache-Control", r->api ? "no-store" : "no-cache");
    if (r->content_type)
        MHD_add_response_header(mr, "Content-Type", r->content_type);
    for (int i = 0; i < r->nheaders; i++)
        MHD_add_response_header(mr, r->header_name[i], r->header_value[i]);
    enum MHD_Result ok = MHD_queue_response(conn, r->status ? r->status : 500, mr);
    MHD_destroy_response(mr);
    return ok;
}

/* ---- the gate ---- */

static bool header_is(const char *value, const char *want)
{
    return value && strcasecmp(value, want) == 0;
}

/* Media type without parameters, lower-cased into out. */
static void media_type(const char *ct, char *out, size_t outlen)
{
    size_t i = 0;
    if (ct)
        for (; ct[i] && ct[i] != ';' && ct[i] != ' ' && i + 1 < outlen; i++)
            out[i] = (ct[i] >= 'A' && ct[i] <= 'Z') ? (char)(ct[i] + 32) : ct[i];
    out[i] = '\0';
}

/* True when the content type suits the route, else writes 415 into r. */
static bool check_content_type(const struct route *rt, const char *ct, struct http_resp *r)
{
    char mt[64];
    media_type(ct, mt, sizeof mt);
    /* Bodies a cross-site form can send are never accepted (CSRF). */
    if (strcmp(mt, "application/x-www-form-urlencoded") == 0 || strcmp(mt, "multipart/form-data") == 0 ||
        strcmp(mt, "text/plain") == 0 || mt[0] == '\0') {
        http_error(r, 415, "content_type", "This content type is not accepted here.");
        return false;
    }
    if (rt->body == ROUTE_BODY_JSON && strcmp(mt, "application/json") != 0) {
        http_error(r, 415, "content_type", "Send application/json.");
        return false;
    }
    if (rt->body == ROUTE_BODY_UPLOAD && strcmp(mt, "application/octet-stream") != 0 &&
        strcmp(mt, "application/json") != 0) {
        http_error(r, 415, "content_type", "Send the file as application/octet-stream.");
        return false;
    }
    return true;
}

/* Origin must name this host: scheme://Host. */
static bool origin_ok(const char *origin, const char *host)
{
    if (origin == NULL)
        return true;
    if (host == NULL)
        return false;
    const char *p = NULL;
    if (strncmp(origin, "http://", 7) == 0)
        p = origin + 7;
    else if (strncmp(origin, "https://", 8) == 0)
        p = origin + 8;
    return p && strcasecmp(p, host) == 0;
}

/* True when the request passes the CSRF checks, else writes 403 into r. */
static bool check_csrf(struct MHD_Connection *conn, struct http_resp *r)
{
    const char *token = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Smsvault-Csrf");
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    const char *site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (!header_is(token, "1") || !origin_ok(origin, host) || (site && !header_is(site, "same-origin"))) {
        http_error(r, 403, "csrf", "The request was refused (cross-site request check).");
        return false;
    }
    return true;
}

/* True when the request carries a live session. Used before an upload's
 * body is read, so that only a logged-in user can make the server take in
 * more than json_body_max bytes. */
static bool session_live(struct server *srv, struct MHD_Connection *conn)
{
    const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, SERVER_COOKIE);
    struct store *st = thread_store(srv->store);
    char user_id[STORE_ID_LEN];
    return cookie && strlen(cookie) == STORE_TOKEN_LEN - 1 && st &&
           store_session_lookup(st, cookie, user_id) == STORE_OK;
}

static void handle_api(struct server *srv, struct MHD_Connection *conn, const char *method, const char *url,
                       struct conn_state *cs, struct http_resp *r)
{
    if (cs->route == NULL) {
        if (cs->path_known)
            http_error(r, 405, "method", "Method not allowed.");
        else
            http_error(r, 404, "not_found", "Not found.");
        return;
    }
    const struct route *rt = cs->route;
    struct http_req q = { 0 };
    q.conn = conn;
    q.method = method;
    q.path = url;
    q.cfg = srv->web;
    q.path_n[0] = cs->path_n[0];
    q.path_n[1] = cs->path_n[1];
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    q.content_type = ct ? ct : "";
    if (strcmp(method, "GET") != 0) {
        if (!check_content_type(rt, ct, r) || !check_csrf(conn, r))
            return;
    }
    buf_cstr(&cs->body);
    q.body = cs->body.data;
    q.body_len = cs->body.len;
    q.store = thread_store(srv->store);
    if (q.store == NULL) {
        http_store_error(r, STORE_RETRY);
        return;
    }
    const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, SERVER_COOKIE);
    if (cookie && strlen(cookie) == STORE_TOKEN_LEN - 1) {
        memcpy(q.token, cookie, STORE_TOKEN_LEN);
        enum store_result sr = store_session_lookup(q.store, q.token, q.user_id);
        if (sr == STORE_OK)
            q.authed = true;
        else if (sr != STORE_NOT_FOUND) {
            http_store_error(r, sr);
            return;
        }
    }
    if (rt->auth && !q.authed) {
        http_error(r, 401, "unauthenticated", "Please log in.");
        return;
    }
    rt->fn(&q, r);
}

/* Seconds since the request's headers came. */
static double elapsed_s(const struct conn_state *cs)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - cs->started.tv_sec) + (double)(now.tv_nsec - cs->started.tv_nsec) / 1e9;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct server *srv = cls;
    struct conn_state *cs = *con_cls;
    bool api = strncmp(url, "/api/", 5) == 0;
    if (cs == NULL) {
        cs = xcalloc(1, sizeof *cs);
        clock_gettime(CLOCK_MONOTONIC, &cs->started);
        buf_init(&cs->body);
        *con_cls = cs;
        cs->cap = (size_t)srv->web->json_body_max;
        if (api) {
            cs->route = routes_match(method, url, cs->path_n, &cs->path_known);
            if (cs->route && cs->route->body == ROUTE_BODY_UPLOAD && session_live(srv, conn))
                cs->cap = (size_t)srv->web->upload_body_max;
        }
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
        if (declared > cs->cap)
            cs->too_large = true;
        else if (declared > 0)
            buf_reserve(&cs->body, (size_t)declared);   /* one block, not doubling: a 12 MB upload takes 12 MB */
        if (!cs->too_large)
            return MHD_YES;
    }
    if (cs->too_large && !cs->answered) {
        /* Answer at once; libmicrohttpd closes the connection afterwards. */
        struct http_resp r = { 0 };
        http_error(&r, 413, "too_large", "The request body is too large.");
        cs->answered = true;
        log_info("web: refused reason=body_too_large path=%s", url);
        web_count_refused(WEB_REFUSED_TOO_LARGE);
        web_count_request(cs->route, api, method, 413, elapsed_s(cs));
        enum MHD_Result ok = send_resp(conn, &r);
        http_resp_cleanup(&r);
        *upload_data_size = 0;
        return ok;
    }
    if (*upload_data_size != 0) {
        if (!cs->answered) {
            if (cs->body.len + *upload_data_size > cs->cap)
                cs->too_large = true;
            else
                buf_append(&cs->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        if (cs->too_large && !cs->answered)
            return on_request(cls, conn, url, method, version, upload_data, upload_data_size, con_cls);
        return MHD_YES;
    }
    if (cs->answered)
        return MHD_YES;

    struct http_resp r = { 0 };
    if (api)
        handle_api(srv, conn, method, url, cs, &r);
    else if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        static_serve(srv->web->static_dir, url, &r);
    else
        http_error(&r, 405, "method", "Method not allowed.");
    cs->answered = true;
    double seconds = elapsed_s(cs);
    if (api || r.status >= 400)
        log_info("web: request method=%s path=%s status=%u ms=%ld", method, url, r.status, (long)(seconds * 1000));
    web_count_request(cs->route, api, method, r.status ? r.status : 500, seconds);
    enum MHD_Result ok = send_resp(conn, &r);
    http_resp_cleanup(&r);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn_state *cs = *con_cls;
    if (cs == NULL)
        return;
    /* a client that stopped sending before its request was complete */
    if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED && !cs->answered)
        web_count_refused(WEB_REFUSED_TIMEOUT);
    buf_cleanup(&cs->body);
    free(cs);
    *con_cls = NULL;
}

/* libmicrohttpd's own messages: fmt is its printf format. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_warn("web: mhd message=\"%s\"", line);
}

struct server *server_start(const struct web_config *web, const struct store_config *store)
{
    struct server *srv = xcalloc(1, sizeof *srv);
    srv->web = web;
    srv->store = store;
    struct sockaddr_in addr = { 0 };
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)web->port);
    if (inet_pton(AF_INET, web->listen, &addr.sin_addr) != 1) {
        log_error("web: bad listen address value=%s", web->listen);
        free(srv);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)web->port, NULL, NULL, on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)web->threads,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)web->per_ip_limit,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)web->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)web->conn_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_END);
    if (srv->daemon == NULL) {
        log_error("web: cannot listen address=%s port=%lld", web->listen, web->port);
        free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : (unsigned)web->port;
    log_info("web: listening address=%s port=%u threads=%lld", web->listen, srv->port, web->threads);
    return srv;
}

unsigned server_port(const struct server *s) { return s->port; }

void server_stop(struct server *s)
{
    if (s == NULL)
        return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
