/*
 * web_metrics — what vaultweb counts for Prometheus (issue 13): requests by
 * route, method and status with a latency histogram by route and method,
 * login failures (denied, throttled), requests refused before a handler ran
 * (a body too large, bad framing) and connections cut (too slow: the head's
 * deadline, the body's minimum rate, libmicrohttpd's timeout; the fair
 * per-address limit),
 * and the MT the page queued by kind (a phone-binding code, an item sent to
 * the phone); through the store, database reconnects and space growth. They
 * are served on 127.0.0.1:[web] metrics_port, never on the page's port.
 *
 * Routes are the API table's patterns ("/api/sms/:n" for "/api/sms/#"),
 * "static" for the page's files and "unknown" for anything else, so no path
 * a client makes up becomes a label. A request is counted once its answer is
 * queued. It does not serve HTTP (common/metrics_http) nor route requests.
 */
#ifndef SMSVAULT_WEB_METRICS_H
#define SMSVAULT_WEB_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

struct metrics;
struct route;

/* Declare everything into a new registry (before the server starts). */
struct metrics *web_metrics_init(void);
void web_metrics_free(struct metrics *reg);

/* route: the API route, or NULL (api: an unknown API path; else a file of
 * the page). */
void web_count_request(const struct route *route, bool api, const char *method, unsigned status,
                       double seconds);
enum web_refusal {
    WEB_REFUSED_TOO_LARGE,   /* a body over its cap (413) */
    WEB_REFUSED_FRAMING,     /* ambiguous or malformed framing (400/411/501: framing.h) */
    WEB_REFUSED_TIMEOUT,     /* libmicrohttpd's connection_timeout ran out mid-request */
    WEB_REFUSED_HEADER_TIMEOUT,      /* conns.c: the head not complete within header_timeout */
    WEB_REFUSED_BODY_TOO_SLOW,       /* conns.c: the body under body_min_rate */
    WEB_REFUSED_PER_ADDRESS_LIMIT,   /* conns.c: the address's longest-idle connection made room */
};
void web_count_refused(enum web_refusal why);
/* A connection conns.c cut, by its reason ("header_timeout", ...). */
void web_count_cut(const char *reason);
void web_count_login_failure(bool throttled);
void web_count_mt(enum store_mt_purpose kind, long long n);

#endif
