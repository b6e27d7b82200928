/*
 * server — libmicrohttpd daemon, request gate and dispatch (see server.h).
 *
 * First, before anything else looks at a request, its framing (framing.h):
 * ambiguous lengths are refused with 400/411/413/501 and the connection is
 * closed, so no handler ever runs on a request two parsers could split
 * differently (issue 11, point 3).
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
#include "conns.h"
#include "framing.h"
#include "proxy.h"
#include "tls.h"
#include "http.h"
#include "log.h"
#include "routes.h"
#include "static.h"
#include "web_metrics.h"

struct server {
    struct MHD_Daemon *daemon;
    struct conns *conns;
    struct proxy_list *proxies;
    bool tls;
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
    bool chunked;
    bool secure;                  /* HTTPS: ours, or as a trusted proxy says */
    char client[PROXY_ADDR_LEN];  /* the real client behind a trusted proxy */
    size_t cap;
    size_t discarded;             /* chunked bytes past the cap, read only to answer 413 */
    struct buf body;
    struct timespec started;
    bool api;                     /* for the metrics: an API path, and its method */
    const char *method;           /* libmicrohttpd's, valid for the request */
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

/* A streamed body (http_stream) as libmicrohttpd reads it. */
struct stream {
    long (*read)(void *cls, char *buf, size_t max);
    void (*done)(void *cls);
    void *cls;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct stream *st = cls;
    long n = st->read(st->cls, buf, max);
    return n > 0 ? (ssize_t)n : n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
    struct stream *st = cls;
    st->done(st->cls);
    free(st);
}

#define STREAM_BLOCK (64 * 1024)

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct http_resp *r, bool tls)
{
    struct MHD_Response *mr;
    if (r->stream_read) {
        struct stream *st = xmalloc(sizeof *st);
        *st = (struct stream){ r->stream_read, r->stream_done, r->stream_cls };
        r->stream_read = NULL;
        r->stream_done = NULL;   /* stream_free's now, whatever becomes of the response */
        mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, st, stream_free);
        if (mr == NULL)
            stream_free(st);
    } else {
        mr = MHD_create_response_from_buffer(r->len, r->body ? r->body : (void *)"", r->body ? MHD_RESPMEM_MUST_FREE
                                                                                         : MHD_RESPMEM_PERSISTENT);
    }
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
    if (r->close)
        MHD_add_response_header(mr, "Connection", "close");
    if (tls)
        MHD_add_response_header(mr, "Strict-Transport-Security", "max-age=31536000");
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
    memcpy(q.client, cs->client, sizeof q.client);
    q.secure = cs->secure;
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
    q.store_cfg = srv->store;
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

/* The peer's printable IPv4 address ("?" if none). */
static void peer_of(struct MHD_Connection *conn, char out[PROXY_ADDR_LEN])
{
    const union MHD_ConnectionInfo *ad = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, PROXY_ADDR_LEN, "?");
    if (ad && ad->client_addr && ad->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ad->client_addr)->sin_addr, out, PROXY_ADDR_LEN);
}

static struct conn_slot *slot_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    framing_header(cls, key, value ? value : "");
    return MHD_YES;
}

/* Seconds since the request's headers came. */
static double elapsed_s(const struct conn_state *cs)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - cs->started.tv_sec) + (double)(now.tv_nsec - cs->started.tv_nsec) / 1e9;
}

/* Every answer goes through here: counted (web_metrics.h), then sent. */
static enum MHD_Result answer(struct server *srv, struct MHD_Connection *conn, struct conn_state *cs,
                              struct http_resp *r)
{
    web_count_request(cs->route, cs->api, cs->method, r->status ? r->status : 500, elapsed_s(cs));
    cs->answered = true;
    enum MHD_Result ok = send_resp(conn, r, srv->tls);
    http_resp_cleanup(r);
    return ok;
}

static enum MHD_Result answer_too_large(struct server *srv, struct MHD_Connection *conn, struct conn_state *cs,
                                        const char *url)
{
    struct http_resp r = { 0 };
    http_error(&r, 413, "too_large", "The request body is too large.");
    r.close = true;
    log_info("web: refused reason=body_too_large path=%s", url);
    web_count_refused(WEB_REFUSED_TOO_LARGE);
    return answer(srv, conn, cs, &r);
}

/* The first call for a request: headers are complete, no body byte has been
 * handed over yet. Refuse bad framing here; set up the body cap. */
static enum MHD_Result on_headers(struct server *srv, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, struct conn_state *cs, bool api)
{
    struct framing fr;
    framing_init(&fr);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &fr);
    unsigned long long declared = 0;
    const char *why = NULL;
    enum framing_result fres = framing_check(&fr, method, version, &cs->chunked, &declared, &why);
    if (fres == FRAMING_TOO_LARGE)
        return answer_too_large(srv, conn, cs, url);
    if (fres != FRAMING_OK) {
        struct http_resp r = { 0 };
        http_error(&r, framing_status(fres), "framing", why);
        r.close = true;
        log_info("web: refused reason=framing status=%u why=\"%s\"", framing_status(fres), why);
        web_count_refused(WEB_REFUSED_FRAMING);
        return answer(srv, conn, cs, &r);
    }
    char peer[PROXY_ADDR_LEN];
    peer_of(conn, peer);
    proxy_client(srv->proxies, peer, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For"),
                 MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Real-IP"), cs->client);
    cs->secure = srv->tls || proxy_says_https(srv->proxies, peer,
                                              MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-Proto"));
    cs->cap = (size_t)srv->web->json_body_max;
    if (api) {
        cs->route = routes_match(method, url, cs->path_n, &cs->path_known);
        if (cs->route && cs->route->body == ROUTE_BODY_UPLOAD && session_live(srv, conn))
            cs->cap = (size_t)srv->web->upload_body_max;
    }
    if (declared > cs->cap)
        return answer_too_large(srv, conn, cs, url);   /* at once; libmicrohttpd then closes */
    if (declared > 0)
        buf_reserve(&cs->body, (size_t)declared);   /* one block, not doubling: a 12 MB upload takes 12 MB */
    if (declared > 0 || cs->chunked)
        conns_head_done(srv->conns, slot_of(conn));   /* the body's minimum rate applies from now */
    else
        conns_body_done(srv->conns, slot_of(conn));
    return MHD_YES;
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
        cs->api = api;
        cs->method = method;
        return on_headers(srv, conn, url, method, version, cs, api);
    }
    if (*upload_data_size != 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        conns_body_bytes(srv->conns, slot_of(conn), n);
        if (cs->answered)
            return MHD_YES;
        if (!cs->too_large && cs->body.len + n > cs->cap)
            cs->too_large = true;   /* only a chunked body gets here: a declared length was checked */
        if (!cs->too_large) {
            buf_append(&cs->body, upload_data, n);
            return MHD_YES;
        }
        /* libmicrohttpd 0.9.75 cannot answer in the middle of a body: read
         * on to its end (as much again as the cap at most) to answer 413. */
        cs->discarded += n;
        if (cs->discarded > cs->cap) {
            log_info("web: refused reason=body_too_large path=%s closed=1", url);
            web_count_refused(WEB_REFUSED_TOO_LARGE);
            return MHD_NO;
        }
        return MHD_YES;
    }
    if (cs->answered)
        return MHD_YES;
    conns_body_done(srv->conns, slot_of(conn));
    if (cs->too_large)
        return answer_too_large(srv, conn, cs, url);

    struct http_resp r = { 0 };
    if (api)
        handle_api(srv, conn, method, url, cs, &r);
    else if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        static_serve(srv->web->static_dir, url, &r);
    else
        http_error(&r, 405, "method", "Method not allowed.");
    long ms = (long)(elapsed_s(cs) * 1000);
    if (api || r.status >= 400)
        log_info("web: request method=%s path=%s status=%u ms=%ld client=%s", method, url, r.status, ms,
                 cs->client[0] ? cs->client : "-");
    return answer(srv, conn, cs, &r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *srv = cls;
    conns_answer_done(srv->conns, slot_of(conn));
    struct conn_state *cs = *con_cls;
    if (cs == NULL)
        return;
    /* libmicrohttpd's connection_timeout: a client that stopped sending */
    if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED && !cs->answered)
        web_count_refused(WEB_REFUSED_TIMEOUT);
    buf_cleanup(&cs->body);
    free(cs);
    *con_cls = NULL;
}

/* A connection opens or closes: the deadline and fair-limit table. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct server *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        conns_close(srv->conns, *socket_context);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    char addr[PROXY_ADDR_LEN];
    peer_of(conn, addr);
    /* a trusted proxy carries many clients: it limits them itself */
    *socket_context = conns_open(srv->conns, fd ? fd->connect_fd : -1, addr, proxy_trusted(srv->proxies, addr));
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
    char err[512];
    if (!proxy_list_parse(web->trusted_proxies, &srv->proxies, err, sizeof err)) {
        log_error("web: bad config reason=\"%s\"", err);
        free(srv);
        return NULL;
    }
    srv->tls = web->tls_cert[0] != '\0' || web->tls_key[0] != '\0';
    if (srv->tls && (web->tls_cert[0] == '\0' || web->tls_key[0] == '\0' ||
                     !tls_init(web->tls_cert, web->tls_key, err, sizeof err))) {
        log_error("web: tls not ready reason=\"%s\"", web->tls_cert[0] && web->tls_key[0] ? err
                                                  : "tls_cert and tls_key go together");
        proxy_list_free(srv->proxies);
        free(srv);
        return NULL;
    }
    struct conns_limits lim = { (int)web->header_timeout_s, web->body_min_rate, (int)web->per_ip_limit };
    srv->conns = conns_new(&lim);
    if (srv->conns == NULL) {
        server_stop(srv);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | (srv->tls ? MHD_USE_TLS : 0);
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)web->port, NULL, NULL, on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)web->threads,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)web->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)web->conn_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        srv->tls ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, tls_retrieve,
        MHD_OPTION_END);
    if (srv->daemon == NULL) {
        log_error("web: cannot listen address=%s port=%lld", web->listen, web->port);
        server_stop(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : (unsigned)web->port;
    log_info("web: listening address=%s port=%u threads=%lld tls=%d trusted_proxies=\"%s\"", web->listen, srv->port,
             web->threads, srv->tls, web->trusted_proxies);
    return srv;
}

unsigned server_port(const struct server *s) { return s->port; }
bool server_tls(const struct server *s) { return s->tls; }

bool server_reload(struct server *s)
{
    char err[512];
    if (!s->tls)
        return true;
    if (!tls_reload(err, sizeof err)) {
        log_warn("web: tls reload failed, the old certificate stays reason=\"%s\"", err);
        return false;
    }
    log_info("web: tls reloaded cert=%s", s->web->tls_cert);
    return true;
}

void server_stop(struct server *s)
{
    if (s == NULL)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    conns_free(s->conns);
    proxy_list_free(s->proxies);
    if (s->tls)
        tls_free();
    free(s);
}
