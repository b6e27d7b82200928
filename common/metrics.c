/*
 * metrics — the registry and the text exposition writer (see metrics.h).
 *
 * Storage: each metric has one array of 64-bit atomic slots. A counter's
 * series is one slot (the count); a gauge's is one slot holding the bits of
 * a double; a histogram's series is nbounds + 1 bucket slots (not
 * cumulative: the +Inf slot counts what fits no bound) and one slot with the
 * bits of the sum. The writer adds the buckets up, so _count always equals
 * the +Inf bucket even while other threads observe. Doubles are added with a
 * compare-and-swap loop on their bits, which is lock-free.
 */
#include "metrics.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

enum metric_type { TYPE_COUNTER, TYPE_GAUGE, TYPE_HISTOGRAM };

struct metric {
    enum metric_type type;
    char *name, *help;
    unsigned flags;
    const struct metric_label *labels;
    size_t nlabels;
    size_t *nvalues;           /* per label */
    size_t nseries;
    double *bounds;            /* histograms */
    size_t nbounds;
    size_t per_series;         /* slots per series */
    _Atomic uint64_t *slots;
    struct metric *next;
};

struct metrics {
    struct metric *first, *last;
    /* what metrics_declare_process owns: its label tables */
    struct metric_label process_labels[2];
    const char *process_values[2][2];
    char *process_strings[2];
};

const double metrics_latency_buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                           0.25,  0.5,    1,     2.5,  5,     10 };
const size_t metrics_latency_nbuckets = sizeof metrics_latency_buckets / sizeof metrics_latency_buckets[0];

struct metrics *metrics_new(void)
{
    return xcalloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *reg)
{
    if (reg == NULL)
        return;
    struct metric *m = reg->first;
    while (m) {
        struct metric *next = m->next;
        free(m->name);
        free(m->help);
        free(m->nvalues);
        free(m->bounds);
        free((void *)m->slots);
        free(m);
        m = next;
    }
    free(reg->process_strings[0]);
    free(reg->process_strings[1]);
    free(reg);
}

/* ---- declaring ---- */

static bool name_ok(const char *s, bool colon)
{
    if (s == NULL || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || (colon && *s == ':')))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              (colon && *s == ':')))
            return false;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static struct metric *declare(struct metrics *reg, enum metric_type type, const char *name, const char *help,
                              const struct metric_label *labels, size_t nlabels, const double *bounds,
                              size_t nbounds, unsigned flags)
{
    if (reg == NULL)
        return NULL;
    /* programmer errors: names and labels come from tables in the code */
    assert(name_ok(name, true) && "metrics: a metric name is [a-zA-Z_:][a-zA-Z0-9_:]*");
    assert((type != TYPE_COUNTER || ends_with(name, "_total")) && "metrics: a counter's name ends in _total");
    assert(help && help[0] && "metrics: every metric has a HELP text");
    for (struct metric *o = reg->first; o; o = o->next)
        assert(strcmp(o->name, name) != 0 && "metrics: a name is declared once");
    struct metric *m = xcalloc(1, sizeof *m);
    m->type = type;
    m->name = xstrdup(name);
    m->help = xstrdup(help);
    m->flags = flags;
    m->labels = labels;
    m->nlabels = nlabels;
    m->nvalues = xcalloc(nlabels ? nlabels : 1, sizeof *m->nvalues);
    m->nseries = 1;
    for (size_t i = 0; i < nlabels; i++) {
        assert(name_ok(labels[i].name, false) && strncmp(labels[i].name, "__", 2) != 0 &&
               "metrics: a label name is [a-zA-Z_][a-zA-Z0-9_]*, not starting with __");
        assert((type != TYPE_HISTOGRAM || strcmp(labels[i].name, "le") != 0) && "metrics: le is the bucket's");
        size_t n = 0;
        while (labels[i].values[n])
            n++;
        assert(n > 0 && "metrics: a label takes at least one value");
        m->nvalues[i] = n;
        m->nseries *= n;
    }
    m->per_series = 1;
    if (type == TYPE_HISTOGRAM) {
        assert(nbounds > 0 && "metrics: a histogram has buckets");
        for (size_t i = 0; i < nbounds; i++)
            assert(isfinite(bounds[i]) && (i == 0 || bounds[i] > bounds[i - 1]) &&
                   "metrics: bucket bounds are finite and increasing");
        m->bounds = xmalloc(nbounds * sizeof *m->bounds);
        memcpy(m->bounds, bounds, nbounds * sizeof *m->bounds);
        m->nbounds = nbounds;
        m->per_series = nbounds + 2;   /* buckets, +Inf, sum */
    }
    m->slots = xcalloc(m->nseries * m->per_series, sizeof *m->slots);
    for (size_t i = 0; i < m->nseries * m->per_series; i++)
        atomic_init(&m->slots[i], 0);   /* 0 is also the bits of 0.0 */
    if (reg->last)
        reg->last->next = m;
    else
        reg->first = m;
    reg->last = m;
    return m;
}

struct metric *metrics_counter(struct metrics *reg, const char *name, const char *help,
                               const struct metric_label *labels, size_t nlabels, unsigned flags)
{
    return declare(reg, TYPE_COUNTER, name, help, labels, nlabels, NULL, 0, flags);
}

struct metric *metrics_gauge(struct metrics *reg, const char *name, const char *help,
                             const struct metric_label *labels, size_t nlabels, unsigned flags)
{
    return declare(reg, TYPE_GAUGE, name, help, labels, nlabels, NULL, 0, flags);
}

struct metric *metrics_histogram(struct metrics *reg, const char *name, const char *help,
                                 const struct metric_label *labels, size_t nlabels, const double *bounds,
                                 size_t nbounds, unsigned flags)
{
    return declare(reg, TYPE_HISTOGRAM, name, help, labels, nlabels, bounds, nbounds, flags);
}

size_t metric_series(const struct metric *m, const size_t *v)
{
    size_t s = 0;
    if (m == NULL)
        return 0;
    for (size_t i = 0; i < m->nlabels; i++) {
        assert(v[i] < m->nvalues[i] && "metric_series: a value position past the label's list");
        s = s * m->nvalues[i] + v[i];
    }
    return s;
}

long metric_value_index(const struct metric *m, size_t label, const char *value)
{
    if (m == NULL || label >= m->nlabels)
        return -1;
    for (size_t i = 0; i < m->nvalues[label]; i++)
        if (strcmp(m->labels[label].values[i], value) == 0)
            return (long)i;
    return -1;
}

size_t metric_label_count(const struct metric *m, size_t label)
{
    return m && label < m->nlabels ? m->nvalues[label] : 0;
}

/* ---- the hot path ---- */

static double bits_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t double_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static void add_double(_Atomic uint64_t *slot, double d)
{
    uint64_t old = atomic_load_explicit(slot, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(slot, &old, double_bits(bits_double(old) + d),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

static _Atomic uint64_t *slot_of(struct metric *m, size_t series, enum metric_type type)
{
    if (m == NULL)
        return NULL;
    assert(m->type == type && "metrics: counted as another type than declared");
    assert(series < m->nseries && "metrics: series out of range");
    return &m->slots[series * m->per_series];
}

void metric_inc(struct metric *m, size_t series)
{
    metric_add(m, series, 1);
}

void metric_add(struct metric *m, size_t series, uint64_t n)
{
    _Atomic uint64_t *s = slot_of(m, series, TYPE_COUNTER);
    if (s)
        atomic_fetch_add_explicit(s, n, memory_order_relaxed);
}

void metric_set(struct metric *m, size_t series, double v)
{
    _Atomic uint64_t *s = slot_of(m, series, TYPE_GAUGE);
    if (s)
        atomic_store_explicit(s, double_bits(v), memory_order_relaxed);
}

void metric_gauge_add(struct metric *m, size_t series, double d)
{
    _Atomic uint64_t *s = slot_of(m, series, TYPE_GAUGE);
    if (s)
        add_double(s, d);
}

void metric_observe(struct metric *m, size_t series, double v)
{
    _Atomic uint64_t *s = slot_of(m, series, TYPE_HISTOGRAM);
    if (s == NULL)
        return;
    size_t b = 0;
    while (b < m->nbounds && !(v <= m->bounds[b]))   /* NaN goes to +Inf */
        b++;
    atomic_fetch_add_explicit(&s[b], 1, memory_order_relaxed);
    add_double(&s[m->nbounds + 1], v);
}

/* ---- reading ---- */

static uint64_t hist_count(const _Atomic uint64_t *s, size_t nbounds)
{
    uint64_t n = 0;
    for (size_t b = 0; b <= nbounds; b++)
        n += atomic_load_explicit(&s[b], memory_order_relaxed);
    return n;
}

uint64_t metric_count(const struct metric *m, size_t series)
{
    if (m == NULL || series >= m->nseries)
        return 0;
    const _Atomic uint64_t *s = &m->slots[series * m->per_series];
    if (m->type == TYPE_HISTOGRAM)
        return hist_count(s, m->nbounds);
    return m->type == TYPE_COUNTER ? atomic_load_explicit(s, memory_order_relaxed) : 0;
}

double metric_value(const struct metric *m, size_t series)
{
    if (m == NULL || series >= m->nseries)
        return 0;
    const _Atomic uint64_t *s = &m->slots[series * m->per_series];
    if (m->type == TYPE_HISTOGRAM)
        return bits_double(atomic_load_explicit(&s[m->nbounds + 1], memory_order_relaxed));
    if (m->type == TYPE_GAUGE)
        return bits_double(atomic_load_explicit(s, memory_order_relaxed));
    return (double)atomic_load_explicit(s, memory_order_relaxed);
}

/* ---- exposition ---- */

/* A float as Go's ParseFloat reads it: NaN, +Inf, -Inf, else the shortest
 * decimal that reads back as the same double. */
static void format_double(char t[40], double v)
{
    if (isnan(v)) {
        snprintf(t, 40, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(t, 40, "%s", v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == (double)(long long)v && v > -1e15 && v < 1e15) {   /* a count, bytes, Unix seconds */
        snprintf(t, 40, "%lld", (long long)v);
        return;
    }
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(t, 40, "%.*g", prec, v);
        if (strtod(t, NULL) == v)
            break;
    }
}

static void put_double(struct buf *out, double v)
{
    char t[40];
    format_double(t, v);
    buf_puts(out, t);
}

/* HELP text (\ and newline escaped) or, with quote, a label value (" too). */
static void put_escaped(struct buf *out, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            buf_puts(out, "\\\\");
        else if (*s == '\n')
            buf_puts(out, "\\n");
        else if (quote && *s == '"')
            buf_puts(out, "\\\"");
        else
            buf_putc(out, *s);
    }
}

/* name{labels of series[,le="bound"]} — without the value. */
static void put_series_name(struct buf *out, const struct metric *m, const char *suffix, size_t series,
                            const char *le)
{
    buf_puts(out, m->name);
    buf_puts(out, suffix);
    if (m->nlabels == 0 && le == NULL)
        return;
    size_t v[16];
    assert(m->nlabels <= 16);
    size_t rest = series;
    for (size_t i = m->nlabels; i-- > 0;) {
        v[i] = rest % m->nvalues[i];
        rest /= m->nvalues[i];
    }
    buf_putc(out, '{');
    for (size_t i = 0; i < m->nlabels; i++) {
        if (i)
            buf_putc(out, ',');
        buf_printf(out, "%s=\"", m->labels[i].name);
        put_escaped(out, m->labels[i].values[v[i]], true);
        buf_putc(out, '"');
    }
    if (le)
        buf_printf(out, "%sle=\"%s\"", m->nlabels ? "," : "", le);
    buf_putc(out, '}');
}

static bool touched(const struct metric *m, size_t series)
{
    const _Atomic uint64_t *s = &m->slots[series * m->per_series];
    if (m->type == TYPE_HISTOGRAM)
        return hist_count(s, m->nbounds) != 0;
    return atomic_load_explicit(s, memory_order_relaxed) != 0;
}

static void write_histogram_series(struct buf *out, const struct metric *m, size_t series)
{
    const _Atomic uint64_t *s = &m->slots[series * m->per_series];
    uint64_t cum = 0;
    char le[40];
    for (size_t b = 0; b <= m->nbounds; b++) {
        cum += atomic_load_explicit(&s[b], memory_order_relaxed);
        if (b < m->nbounds)
            format_double(le, m->bounds[b]);
        else
            snprintf(le, sizeof le, "+Inf");
        put_series_name(out, m, "_bucket", series, le);
        buf_printf(out, " %" PRIu64 "\n", cum);
    }
    put_series_name(out, m, "_sum", series, NULL);
    buf_putc(out, ' ');
    put_double(out, bits_double(atomic_load_explicit(&s[m->nbounds + 1], memory_order_relaxed)));
    buf_putc(out, '\n');
    put_series_name(out, m, "_count", series, NULL);
    buf_printf(out, " %" PRIu64 "\n", cum);
}

void metrics_write(const struct metrics *reg, struct buf *out)
{
    static const char *const type_names[] = { "counter", "gauge", "histogram" };
    if (reg == NULL)
        return;
    for (const struct metric *m = reg->first; m; m = m->next) {
        buf_printf(out, "# HELP %s ", m->name);
        put_escaped(out, m->help, false);
        buf_printf(out, "\n# TYPE %s %s\n", m->name, type_names[m->type]);
        for (size_t series = 0; series < m->nseries; series++) {
            if ((m->flags & METRIC_SPARSE) && !touched(m, series))
                continue;
            if (m->type == TYPE_HISTOGRAM) {
                write_histogram_series(out, m, series);
                continue;
            }
            put_series_name(out, m, "", series, NULL);
            const _Atomic uint64_t *s = &m->slots[series * m->per_series];
            if (m->type == TYPE_COUNTER) {
                buf_printf(out, " %" PRIu64 "\n", atomic_load_explicit(s, memory_order_relaxed));
            } else {
                buf_putc(out, ' ');
                put_double(out, bits_double(atomic_load_explicit(s, memory_order_relaxed)));
                buf_putc(out, '\n');
            }
        }
    }
}

void metrics_declare_process(struct metrics *reg, const char *program, const char *version)
{
    if (reg == NULL)
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct metric *start = metrics_gauge(reg, "process_start_time_seconds",
                                         "Start time of the process since the Unix epoch, in seconds.", NULL,
                                         0, 0);
    metric_set(start, 0, (double)now.tv_sec + (double)now.tv_nsec / 1e9);
    reg->process_strings[0] = xstrdup(program);
    reg->process_strings[1] = xstrdup(version);
    for (int i = 0; i < 2; i++) {
        reg->process_values[i][0] = reg->process_strings[i];
        reg->process_values[i][1] = NULL;
    }
    reg->process_labels[0] = (struct metric_label){ "program", reg->process_values[0] };
    reg->process_labels[1] = (struct metric_label){ "version", reg->process_values[1] };
    struct metric *info = metrics_gauge(reg, "smsvault_build_info",
                                        "Always 1: the program and the smsvault version it was built from.",
                                        reg->process_labels, 2, 0);
    metric_set(info, 0, 1);
}
