/*
 * metrics — a small Prometheus registry (issue 13, "Watching it"):
 * counters, gauges and histograms with fixed buckets, and the writer of the
 * text exposition format 0.0.4 that `GET /metrics` serves (metrics_http.h).
 *
 * Every metric declares its labels and every value each label may take up
 * front (a table of strings), so every series exists from the start and a
 * series is a number: the hot path is one relaxed atomic add on a slot found
 * by index — no lock, no allocation, no lookup by string. Label values that
 * come from outside (a user name, a phone number) cannot be labels here,
 * which is the point: Prometheus's cardinality rule is kept by construction.
 *
 * Names follow Prometheus's conventions and are checked when declared (a
 * programmer error asserts): [a-zA-Z_:][a-zA-Z0-9_:]*, a counter's name ends
 * in _total, base units (_seconds, _bytes) are the caller's to choose. The
 * writer escapes HELP texts (\\ and \n) and label values (\\, \" and \n).
 *
 * Declaring metrics is single-threaded (at start-up, before the threads that
 * count); counting and writing may then happen from any thread. A NULL
 * metric is a quiet no-op everywhere, so code shared by programs that do not
 * export metrics (vaultctl, the tests) counts into nothing. It does not
 * serve HTTP and knows nothing of what is counted.
 */
#ifndef SMSVAULT_METRICS_H
#define SMSVAULT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct metrics;   /* a registry */
struct metric;    /* one metric family: a name, its labels, its series */

/* A label and the values it may take (a NULL-terminated list, borrowed for
 * the registry's lifetime: static tables). */
struct metric_label {
    const char *name;
    const char *const *values;
};

enum metric_flags {
    /* Series that were never counted are not written: for metrics whose
     * label combinations are many and mostly unused (route x method x
     * status). The others write every series, zeros included, so a rate is
     * defined from the first scrape on. */
    METRIC_SPARSE = 1 << 0,
};

struct metrics *metrics_new(void);
void metrics_free(struct metrics *reg);   /* NULL is a no-op */

/*
 * Declare a metric; name and help are copied, labels borrowed. nlabels may
 * be 0 (one series). Histogram bounds are the buckets' upper bounds, strictly
 * increasing and finite (+Inf is added), nbounds >= 1. A NULL reg returns
 * NULL (counting into nothing).
 */
struct metric *metrics_counter(struct metrics *reg, const char *name, const char *help,
                               const struct metric_label *labels, size_t nlabels, unsigned flags);
struct metric *metrics_gauge(struct metrics *reg, const char *name, const char *help,
                             const struct metric_label *labels, size_t nlabels, unsigned flags);
struct metric *metrics_histogram(struct metrics *reg, const char *name, const char *help,
                                 const struct metric_label *labels, size_t nlabels, const double *bounds,
                                 size_t nbounds, unsigned flags);

/* Buckets for request and transaction latencies, in seconds: 1 ms to 10 s. */
extern const double metrics_latency_buckets[];
extern const size_t metrics_latency_nbuckets;

/* ---- series ---- */

/* The series of the label values at positions v[0..nlabels) of each label's
 * list (the metric's own order). */
size_t metric_series(const struct metric *m, const size_t *v);
/* The position of value in label number `label`'s list, or -1. For
 * look-ups at start-up (a route table, say), not on the hot path. */
long metric_value_index(const struct metric *m, size_t label, const char *value);
/* How many values label number `label` may take; the last one is often the
 * catch-all ("other"). */
size_t metric_label_count(const struct metric *m, size_t label);

/* ---- the hot path (any thread) ---- */

void metric_inc(struct metric *m, size_t series);                  /* counter + 1 */
void metric_add(struct metric *m, size_t series, uint64_t n);      /* counter + n */
void metric_set(struct metric *m, size_t series, double v);        /* gauge = v */
void metric_gauge_add(struct metric *m, size_t series, double d);  /* gauge + d */
void metric_observe(struct metric *m, size_t series, double v);    /* histogram */

/* ---- reading (tests, and a program's own status) ---- */

/* A counter's value, or a histogram's count. */
uint64_t metric_count(const struct metric *m, size_t series);
double metric_value(const struct metric *m, size_t series);        /* a gauge; a histogram's sum */

/* ---- exposition ---- */

/* The content type of metrics_write's output. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Append the text format of every metric, in the order declared. */
void metrics_write(const struct metrics *reg, struct buf *out);

/*
 * What every daemon exports about itself: process_start_time_seconds (a
 * gauge, set now) and smsvault_build_info{program,version} 1.
 */
void metrics_declare_process(struct metrics *reg, const char *program, const char *version);

#endif
