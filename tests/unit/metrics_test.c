/*
 * metrics_test — CUnit suite for common/metrics (the registry and the text
 * exposition writer) and common/metrics_http (GET /metrics on loopback):
 * exact expected text for counters, gauges and histograms with labels,
 * escaping of HELP and label values, cumulative buckets whose +Inf equals
 * _count, sparse metrics, shortest float formatting, NULL metrics counting
 * into nothing, exact totals from several threads counting at once, and the
 * HTTP answers (200 with the content type, 404, 405).
 *
 * With an argument it writes the exposition of a registry that uses every
 * feature to that file and exits: tests/unit/metrics_promtool.sh has
 * Prometheus's own promtool parse and lint it.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "metrics.h"
#include "metrics_http.h"

static const char *const kinds[] = { "reply", "code", "item", NULL };
static const char *const odd_values[] = { "plain", "quote\"back\\slash", "new\nline", NULL };
static const char *const routes[] = { "/a", "/b", NULL };
static const char *const codes[] = { "200", "404", "other", NULL };

/* The exposition of reg, NUL-terminated (free it). */
static char *written(const struct metrics *reg)
{
    struct buf b = { 0 };
    metrics_write(reg, &b);
    buf_cstr(&b);
    return buf_steal(&b, NULL);
}

static void test_counter_text(void)
{
    struct metrics *reg = metrics_new();
    struct metric_label l[] = { { "kind", kinds } };
    struct metric *c = metrics_counter(reg, "smsvault_test_sent_total", "Messages sent.", l, 1, 0);
    struct metric *plain = metrics_counter(reg, "smsvault_test_plain_total", "No labels.", NULL, 0, 0);
    metric_inc(c, 2);
    metric_add(c, 0, 41);
    metric_inc(c, 0);
    metric_add(plain, 0, 7);
    char *t = written(reg);
    CU_ASSERT_STRING_EQUAL(t, "# HELP smsvault_test_sent_total Messages sent.\n"
                              "# TYPE smsvault_test_sent_total counter\n"
                              "smsvault_test_sent_total{kind=\"reply\"} 42\n"
                              "smsvault_test_sent_total{kind=\"code\"} 0\n"
                              "smsvault_test_sent_total{kind=\"item\"} 1\n"
                              "# HELP smsvault_test_plain_total No labels.\n"
                              "# TYPE smsvault_test_plain_total counter\n"
                              "smsvault_test_plain_total 7\n");
    CU_ASSERT_EQUAL(metric_count(c, 0), 42);
    CU_ASSERT_EQUAL(metric_count(c, 1), 0);
    free(t);
    metrics_free(reg);
}

static void test_two_labels_and_sparse(void)
{
    struct metrics *reg = metrics_new();
    struct metric_label l[] = { { "route", routes }, { "code", codes } };
    struct metric *c = metrics_counter(reg, "smsvault_test_requests_total", "Requests.", l, 2, METRIC_SPARSE);
    CU_ASSERT_EQUAL(metric_value_index(c, 1, "404"), 1);
    CU_ASSERT_EQUAL(metric_value_index(c, 1, "500"), -1);
    CU_ASSERT_EQUAL(metric_label_count(c, 0), 2);
    size_t v[] = { 1, 1 };
    metric_add(c, metric_series(c, v), 3);
    size_t w[] = { 0, 2 };
    metric_inc(c, metric_series(c, w));
    char *t = written(reg);
    /* only the two series counted, in label order */
    CU_ASSERT_STRING_EQUAL(t, "# HELP smsvault_test_requests_total Requests.\n"
                              "# TYPE smsvault_test_requests_total counter\n"
                              "smsvault_test_requests_total{route=\"/a\",code=\"other\"} 1\n"
                              "smsvault_test_requests_total{route=\"/b\",code=\"404\"} 3\n");
    free(t);
    metrics_free(reg);
}

static void test_escaping(void)
{
    struct metrics *reg = metrics_new();
    struct metric_label l[] = { { "v", odd_values } };
    struct metric *g = metrics_gauge(reg, "smsvault_test_odd", "Back\\slash and\nnewline \"quoted\".", l, 1, 0);
    metric_set(g, 1, 2);
    char *t = written(reg);
    CU_ASSERT_STRING_EQUAL(t, "# HELP smsvault_test_odd Back\\\\slash and\\nnewline \"quoted\".\n"
                              "# TYPE smsvault_test_odd gauge\n"
                              "smsvault_test_odd{v=\"plain\"} 0\n"
                              "smsvault_test_odd{v=\"quote\\\"back\\\\slash\"} 2\n"
                              "smsvault_test_odd{v=\"new\\nline\"} 0\n");
    free(t);
    metrics_free(reg);
}

static void test_gauge_values(void)
{
    struct metrics *reg = metrics_new();
    struct metric *g = metrics_gauge(reg, "smsvault_test_level", "A level.", NULL, 0, 0);
    struct buf b = { 0 };
    const struct { double v; const char *text; } cases[] = {
        { 0.1, "0.1" }, { 1e21, "1e+21" }, { -3, "-3" }, { 1.0 / 3, "0.3333333333333333" },
        { 10485760, "10485760" }, { 1796141200, "1796141200" }, { -0.25, "-0.25" },
        { NAN, "NaN" }, { INFINITY, "+Inf" }, { -INFINITY, "-Inf" }, { 1234567, "1234567" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        metric_set(g, 0, cases[i].v);
        buf_clear(&b);
        metrics_write(reg, &b);
        char want[200];
        snprintf(want, sizeof want, "\nsmsvault_test_level %s\n", cases[i].text);
        CU_ASSERT_PTR_NOT_NULL(strstr(buf_cstr(&b), want));
    }
    metric_set(g, 0, 2.5);
    metric_gauge_add(g, 0, -1);
    CU_ASSERT_DOUBLE_EQUAL(metric_value(g, 0), 1.5, 1e-12);
    buf_cleanup(&b);
    metrics_free(reg);
}

static void test_histogram_text(void)
{
    struct metrics *reg = metrics_new();
    static const double bounds[] = { 0.005, 0.1, 1 };
    struct metric_label l[] = { { "route", routes } };
    struct metric *h = metrics_histogram(reg, "smsvault_test_duration_seconds", "How long.", l, 1, bounds, 3,
                                         METRIC_SPARSE);
    metric_observe(h, 0, 0.005);   /* on a bound: that bucket (le is <=) */
    metric_observe(h, 0, 0.05);
    metric_observe(h, 0, 0.5);
    metric_observe(h, 0, 7);       /* past every bound: +Inf only */
    char *t = written(reg);
    CU_ASSERT_STRING_EQUAL(t, "# HELP smsvault_test_duration_seconds How long.\n"
                              "# TYPE smsvault_test_duration_seconds histogram\n"
                              "smsvault_test_duration_seconds_bucket{route=\"/a\",le=\"0.005\"} 1\n"
                              "smsvault_test_duration_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n"
                              "smsvault_test_duration_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"
                              "smsvault_test_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
                              "smsvault_test_duration_seconds_sum{route=\"/a\"} 7.555\n"
                              "smsvault_test_duration_seconds_count{route=\"/a\"} 4\n");
    CU_ASSERT_EQUAL(metric_count(h, 0), 4);
    CU_ASSERT_EQUAL(metric_count(h, 1), 0);
    free(t);
    metrics_free(reg);
}

static void test_null_counts_into_nothing(void)
{
    struct metric *none = metrics_counter(NULL, "smsvault_x_total", "x", NULL, 0, 0);
    CU_ASSERT_PTR_NULL(none);
    metric_inc(none, 0);
    metric_add(none, 3, 5);
    metric_set(NULL, 0, 1);
    metric_observe(NULL, 0, 1);
    CU_ASSERT_EQUAL(metric_count(none, 0), 0);
    struct buf b = { 0 };
    metrics_write(NULL, &b);
    CU_ASSERT_EQUAL(b.len, 0);
    metrics_free(NULL);
}

static void test_process_metrics(void)
{
    struct metrics *reg = metrics_new();
    metrics_declare_process(reg, "vault\"box", "1.2.3");
    char *t = written(reg);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "smsvault_build_info{program=\"vault\\\"box\",version=\"1.2.3\"} 1\n"));
    free(t);
    metrics_free(reg);
}

/* ---- several threads at once: nothing lost ---- */

#define THREADS 4
#define ROUNDS 100000

struct hammer {
    struct metric *c, *g, *h;
};

static void *hammer_main(void *arg)
{
    struct hammer *x = arg;
    for (int i = 0; i < ROUNDS; i++) {
        metric_inc(x->c, (size_t)(i % 3));
        metric_gauge_add(x->g, 0, 1);
        metric_observe(x->h, 0, (i % 2) ? 0.5 : 2);
    }
    return NULL;
}

static void test_threads_lose_nothing(void)
{
    struct metrics *reg = metrics_new();
    static const double bounds[] = { 1 };
    struct metric_label l[] = { { "kind", kinds } };
    struct hammer x = {
        metrics_counter(reg, "smsvault_test_hits_total", "Hits.", l, 1, 0),
        metrics_gauge(reg, "smsvault_test_sum", "Sum.", NULL, 0, 0),
        metrics_histogram(reg, "smsvault_test_size_bytes", "Sizes.", NULL, 0, bounds, 1, 0),
    };
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CU_ASSERT_FATAL(pthread_create(&t[i], NULL, hammer_main, &x) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    uint64_t total = metric_count(x.c, 0) + metric_count(x.c, 1) + metric_count(x.c, 2);
    CU_ASSERT_EQUAL(total, (uint64_t)THREADS * ROUNDS);
    CU_ASSERT_EQUAL(metric_count(x.c, 0), (uint64_t)THREADS * ((ROUNDS + 2) / 3));
    CU_ASSERT_DOUBLE_EQUAL(metric_value(x.g, 0), (double)THREADS * ROUNDS, 0.5);
    CU_ASSERT_EQUAL(metric_count(x.h, 0), (uint64_t)THREADS * ROUNDS);
    CU_ASSERT_DOUBLE_EQUAL(metric_value(x.h, 0), THREADS * (ROUNDS / 2 * 0.5 + ROUNDS / 2 * 2.0), 1e-6);
    char *text = written(reg);
    char want[160];
    snprintf(want, sizeof want, "smsvault_test_size_bytes_bucket{le=\"1\"} %d\n", THREADS * ROUNDS / 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
    free(text);
    metrics_free(reg);
}

/* ---- GET /metrics ---- */

/* One HTTP/1.0 request to 127.0.0.1:port; the whole answer (free it). */
static char *http(unsigned port, const char *request)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct timeval tv = { 10, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
        close(fd);
        return NULL;
    }
    struct buf b = { 0 };
    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        buf_append(&b, chunk, (size_t)n);
    close(fd);
    buf_cstr(&b);
    return buf_steal(&b, NULL);
}

/* A port free on 127.0.0.1 now (the kernel's choice). */
static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_http(void)
{
    struct metrics *reg = metrics_new();
    struct metric *c = metrics_counter(reg, "smsvault_test_scrapes_total", "Scrapes.", NULL, 0, 0);
    metric_add(c, 0, 5);
    char err[200];
    unsigned port = free_port();
    struct metrics_http *h = metrics_http_start(reg, port, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    char *a = http(port, "GET /metrics HTTP/1.0\r\n\r\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_EQUAL(strncmp(a, "HTTP/1.0 200", 12) == 0 || strncmp(a, "HTTP/1.1 200", 12) == 0, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "\r\n\r\n# HELP smsvault_test_scrapes_total Scrapes.\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "\nsmsvault_test_scrapes_total 5\n"));
    free(a);
    metric_inc(c, 0);   /* each scrape reads the counters as they are now */
    a = http(port, "GET /metrics HTTP/1.0\r\n\r\n");
    CU_ASSERT_PTR_NOT_NULL(a && strstr(a, "\nsmsvault_test_scrapes_total 6\n"));
    free(a);
    a = http(port, "GET /other HTTP/1.0\r\n\r\n");
    CU_ASSERT_PTR_NOT_NULL(a && strstr(a, " 404 "));
    free(a);
    a = http(port, "POST /metrics HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
    CU_ASSERT_PTR_NOT_NULL(a && strstr(a, " 405 "));
    free(a);
    /* the port is taken now: a second server says so */
    struct metrics_http *again = metrics_http_start(reg, port, err, sizeof err);
    CU_ASSERT_PTR_NULL(again);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "127.0.0.1:"));
    CU_ASSERT_PTR_NULL(metrics_http_start(reg, 0, err, sizeof err));
    metrics_http_stop(h);
    CU_ASSERT_PTR_NULL(http(port, "GET /metrics HTTP/1.0\r\n\r\n"));   /* stopped: nobody listens */
    metrics_free(reg);
}

/* Every feature, for promtool (metrics_promtool.sh). */
static int write_sample(const char *path)
{
    struct metrics *reg = metrics_new();
    metrics_declare_process(reg, "metrics_test", "0.0.0");
    struct metric_label k[] = { { "kind", kinds } };
    struct metric_label odd[] = { { "value", odd_values } };
    struct metric_label rc[] = { { "route", routes }, { "code", codes } };
    metric_add(metrics_counter(reg, "smsvault_sample_messages_total", "Messages by kind.", k, 1, 0), 1, 3);
    metric_set(metrics_gauge(reg, "smsvault_sample_odd_labels", "Label values with \"quotes\",\nnewlines and \\.",
                             odd, 1, 0), 1, -0.25);
    struct metric *r = metrics_counter(reg, "smsvault_sample_requests_total", "Requests.", rc, 2, METRIC_SPARSE);
    size_t v[] = { 1, 0 };
    metric_inc(r, metric_series(r, v));
    struct metric *h = metrics_histogram(reg, "smsvault_sample_request_duration_seconds", "Latency.", rc, 1,
                                         metrics_latency_buckets, metrics_latency_nbuckets, 0);
    metric_observe(h, 0, 0.003);
    metric_observe(h, 1, 42);
    metric_set(metrics_gauge(reg, "smsvault_sample_nan", "Not a number.", NULL, 0, 0), 0, NAN);
    FILE *f = fopen(path, "w");
    char *t = written(reg);
    int rc_out = f && fputs(t, f) >= 0 ? 0 : 1;
    if (f)
        fclose(f);
    free(t);
    metrics_free(reg);
    return rc_out;
}

int main(int argc, char **argv)
{
    if (argc == 2)
        return write_sample(argv[1]);
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("metrics", NULL, NULL);
    CU_add_test(s, "counter text with and without labels", test_counter_text);
    CU_add_test(s, "two labels, sparse series", test_two_labels_and_sparse);
    CU_add_test(s, "HELP and label values escaped", test_escaping);
    CU_add_test(s, "gauge values as Go reads floats", test_gauge_values);
    CU_add_test(s, "histogram buckets cumulative, +Inf = count", test_histogram_text);
    CU_add_test(s, "a NULL metric counts into nothing", test_null_counts_into_nothing);
    CU_add_test(s, "process start time and build info", test_process_metrics);
    CU_add_test(s, "threads counting at once lose nothing", test_threads_lose_nothing);
    CU_add_test(s, "GET /metrics on loopback", test_http);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
