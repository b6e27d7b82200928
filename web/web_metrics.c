/*
 * web_metrics — vaultweb's metrics (see web_metrics.h).
 */
#include "web_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "metrics.h"
#include "refusals.h"
#include "routes.h"

static struct {
    struct metric *requests, *duration, *refused, *login_failures, *mt_queued;
} m;

/* route label values: the table's patterns, then "static", "unknown" */
static char **route_names;
static size_t nroutes;

static const char *const methods[] = { "GET", "HEAD", "POST", "other", NULL };
/* what the handlers, status.c's table and framing.h answer */
static const char *const codes[] = { "200", "201", "202", "204", "206", "301", "302", "304", "400", "401",
                                     "403", "404", "405", "409", "411", "413", "415", "416", "429", "500",
                                     "501", "503", "507", "other", NULL };
/* in enum web_refusal's order; conns.c's cut reasons are the last three */
static const char *const refusals[] = { "body_too_large", "framing", "timeout", "header_timeout", "body_too_slow",
                                        "per_address_limit", NULL };
static const char *const login_reasons[] = { "denied", "throttled", NULL };
static const char *const channels[] = { "web", NULL };

struct metrics *web_metrics_init(void)
{
    nroutes = routes_count();
    route_names = xcalloc(nroutes + 3, sizeof *route_names);
    for (size_t i = 0; i < nroutes; i++) {
        const char *p = routes_get(i)->pattern;
        struct buf b = { 0 };
        for (; *p; p++)
            if (*p == '#')
                buf_puts(&b, ":n");
            else
                buf_putc(&b, *p);
        buf_cstr(&b);
        route_names[i] = buf_steal(&b, NULL);
    }
    route_names[nroutes] = xstrdup("static");
    route_names[nroutes + 1] = xstrdup("unknown");
    static struct metric_label req[3], dur[2];
    req[0] = (struct metric_label){ "route", (const char *const *)route_names };
    req[1] = (struct metric_label){ "method", methods };
    req[2] = (struct metric_label){ "code", codes };
    dur[0] = req[0];
    dur[1] = req[1];
    static const struct metric_label refused[] = { { "reason", refusals } };
    static const struct metric_label login[] = { { "channel", channels }, { "reason", login_reasons } };
    static const struct metric_label kind[] = { { "kind", store_mt_purpose_names } };

    struct metrics *reg = metrics_new();
    metrics_declare_process(reg, "vaultweb", SMSVAULT_VERSION);
    m.requests = metrics_counter(reg, "smsvault_http_requests_total",
                                 "HTTP requests answered, by route, method and status code.", req, 3, METRIC_SPARSE);
    m.duration = metrics_histogram(reg, "smsvault_http_request_duration_seconds",
                                   "Time from a request's headers to its answer, by route and method.", dur, 2,
                                   metrics_latency_buckets, metrics_latency_nbuckets, METRIC_SPARSE);
    m.refused = metrics_counter(reg, "smsvault_http_refused_total",
                                "Requests refused before a handler ran (a body over its cap, bad framing) and "
                                "connections cut (too slow: connection timeout, header timeout, body under its "
                                "minimum rate; the per-address limit).",
                                refused, 1, 0);
    m.login_failures = metrics_counter(reg, "smsvault_login_failures_total",
                                       "Logins refused: a wrong user name or password, or throttled.", login, 2, 0);
    m.mt_queued = metrics_counter(reg, "smsvault_mt_queued_total", "MT queued in the outbox (committed), by kind.",
                                  kind, 1, 0);
    store_metrics_declare(reg);
    refusals_declare_metrics(reg);
    return reg;
}

void web_metrics_free(struct metrics *reg)
{
    store_metrics_declare(NULL);
    refusals_declare_metrics(NULL);
    metrics_free(reg);
    for (size_t i = 0; route_names && i < nroutes + 2; i++)
        free(route_names[i]);
    free(route_names);
    route_names = NULL;
    memset(&m, 0, sizeof m);
}

static size_t index_or_other(const char *const *list, const char *value)
{
    size_t i = 0;
    for (; list[i + 1]; i++)   /* the last is "other" */
        if (strcmp(list[i], value) == 0)
            return i;
    return i;
}

void web_count_request(const struct route *route, bool api, const char *method, unsigned status, double seconds)
{
    if (m.requests == NULL)
        return;
    char code[12];
    snprintf(code, sizeof code, "%u", status);
    size_t v[3] = { route ? routes_index(route) : api ? nroutes + 1 : nroutes, index_or_other(methods, method),
                    index_or_other(codes, code) };
    metric_inc(m.requests, metric_series(m.requests, v));
    metric_observe(m.duration, metric_series(m.duration, v), seconds);
}

void web_count_refused(enum web_refusal why)
{
    metric_inc(m.refused, (size_t)why);
}

void web_count_cut(const char *reason)
{
    for (size_t i = WEB_REFUSED_HEADER_TIMEOUT; refusals[i]; i++)
        if (strcmp(refusals[i], reason) == 0)
            metric_inc(m.refused, i);
}

void web_count_login_failure(bool throttled)
{
    size_t v[] = { 0, throttled ? 1 : 0 };
    metric_inc(m.login_failures, metric_series(m.login_failures, v));
}

void web_count_mt(enum store_mt_purpose kind, long long n)
{
    if (n > 0 && (unsigned)kind < STORE_MT_PURPOSES)
        metric_add(m.mt_queued, (size_t)kind, (uint64_t)n);
}
