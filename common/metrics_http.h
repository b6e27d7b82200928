/*
 * metrics_http — `GET /metrics` of one registry (metrics.h) on a port of
 * 127.0.0.1, for Prometheus to scrape (issue 13). Loopback only, always: the
 * figures say how busy the service is and are for the operator's own
 * monitoring (a Prometheus or agent on the host, or a tunnel), never for the
 * public side; vaultweb's page has a port of its own.
 *
 * It is libmicrohttpd with one internal thread: HTTP parsing, keep-alive,
 * slow or idle clients (a 10 s timeout, at most 16 connections) are the
 * library's, not ours to get right by hand. That thread never logs (in
 * vaultbox only gwthreads may call gwlib's log functions) and touches
 * nothing but the registry's atomics. Anything but GET or HEAD of /metrics
 * is answered 404 or 405. It is a library of its own (metrics_http), apart
 * from common, so that only the daemons that serve link libmicrohttpd.
 */
#ifndef SMSVAULT_METRICS_HTTP_H
#define SMSVAULT_METRICS_HTTP_H

#include <stddef.h>

#include "metrics.h"

struct metrics_http;

/* Listen on 127.0.0.1:port (1-65535) and serve reg (borrowed, it must
 * outlive the server). NULL with a reason in err when it cannot listen. */
struct metrics_http *metrics_http_start(const struct metrics *reg, unsigned port, char *err, size_t errlen);
void metrics_http_stop(struct metrics_http *h);   /* NULL is a no-op */

#endif
