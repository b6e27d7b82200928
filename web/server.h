/*
 * server — vaultweb's HTTP server on libmicrohttpd: a thread pool, per-IP
 * and total connection limits, a connection timeout, capped request bodies,
 * security headers on every response, the CSRF and content-type gate before
 * any state-changing handler, session lookup, and one store connection per
 * worker thread, HTTPS with a reloadable certificate, trusted proxies. It is not where requests are answered (routes.c and the
 * handlers do that) and it knows no SQL.
 */
#ifndef SMSVAULT_WEB_SERVER_H
#define SMSVAULT_WEB_SERVER_H

#include "store.h"
#include "webconf.h"

struct server;

/* Start listening; NULL on failure (logged). cfgs are borrowed and must
 * outlive the server. */
struct server *server_start(const struct web_config *web, const struct store_config *store);
/* The port actually bound (useful when the config said 0). */
unsigned server_port(const struct server *s);
void server_stop(struct server *s);   /* NULL is a no-op */
/* Does it speak HTTPS itself ([web] tls_cert)? */
bool server_tls(const struct server *s);
/* SIGHUP: read the TLS certificate and key again (the next handshake uses
 * them); true when done or nothing to do, false when the old pair stays
 * (logged). */
bool server_reload(struct server *s);

/* The name of the session cookie. */
#define SERVER_COOKIE "sv_session"

#endif
