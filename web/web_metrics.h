/*
 * web_metrics — what vaultweb counts for Prometheus (issue 13): requests by
 * route, method and status with a latency histogram by route and method,
 * login failures (denied, throttled), requests refused before a handler ran
 * (a body too large, a client too slow: libmicrohttpd's connection timeout),
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
enum web_refusal { WEB_REFUSED_TOO_LARGE, WEB_REFUSED_TIMEOUT };
void web_count_refused(enum web_refusal why);
void web_count_login_failure(bool throttled);
void web_count_mt(enum store_mt_kind kind, long long n);

#endif
