/*
 * vaultctl_status — `vaultctl status [--metrics HOST:PORT]...`: the figures
 * of issue 13's /metrics at a glance, for an operator at a terminal. From
 * the database: users, space, the outbox on its way (store_gauges_get, the
 * same statement vaultbox's poller runs). From each daemon's metrics
 * endpoint given: which program and version, how long it has been up, and
 * every metric it serves, one line each, its total with the series that are
 * not zero ("kind=reply 5, kind=item 1"); a histogram as its count and mean.
 * The endpoint is fetched with libcurl (2 s timeout) and read as the text
 * exposition format; it is not a Prometheus: no rates, no history.
 *
 * Exit status 0 when the database and every endpoint answered, 1 otherwise
 * (each failure is said on its line).
 */
#include "vaultctl_status.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"

/* ---- bytes for people ---- */

static void human_bytes(long long v, char *out, size_t cap)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    double d = (double)v;
    int u = 0;
    while (d >= 1024 && u < 5) {
        d /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, cap, "%lld B", v);
    else
        snprintf(out, cap, "%.1f %s", d, units[u]);
}

static int database_lines(struct store *s)
{
    struct store_gauges g;
    enum store_result rc = store_gauges_get(s, &g);
    if (rc != STORE_OK) {
        printf("database   unreachable: %s\n", store_result_name(rc));
        return 1;
    }
    char alloc[32], used[32], cap[32];
    human_bytes(g.allocated_bytes, alloc, sizeof alloc);
    human_bytes(g.used_bytes, used, sizeof used);
    human_bytes(g.capacity_bytes, cap, sizeof cap);
    printf("database   users %lld  space used %s of %s allocated (capacity %s)\n", g.users, used, alloc, cap);
    printf("outbox     queued %lld  sending %lld  submitted %lld (awaiting a report)  oldest queued %.0f s\n",
           g.outbox_queued, g.outbox_sending, g.outbox_submitted, g.oldest_queued_age_s);
    return 0;
}

/* ---- one endpoint ---- */

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    buf_append(ctx, p, size * n);
    return size * n;
}

/* GET url into body; 0, or -1 with a reason in err. */
static int fetch(const char *url, struct buf *body, char *err, size_t errlen)
{
    CURL *c = curl_easy_init();
    if (c == NULL) {
        snprintf(err, errlen, "libcurl could not start");
        return -1;
    }
    char cerr[CURL_ERROR_SIZE] = "";
    long code = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
        return -1;
    }
    if (code != 200) {
        snprintf(err, errlen, "HTTP status %ld", code);
        return -1;
    }
    return 0;
}

/* One metric family as read: the total over its series, and the series
 * that are not zero. */
struct family {
    char name[128];
    bool histogram;
    double total, sum, count;
    struct buf series;
};

#define FAMILIES_MAX 128

static struct family *family_of(struct family *f, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(f[i].name, name) == 0)
            return &f[i];
    if (*n == FAMILIES_MAX)
        return NULL;
    struct family *x = &f[(*n)++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    return x;
}

static bool cut_suffix(char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    if (n <= k || strcmp(name + n - k, suffix) != 0)
        return false;
    name[n - k] = '\0';
    return true;
}

/* Read the text format: "# TYPE name histogram" lines and samples
 * "name{labels} value". */
static size_t read_families(char *text, struct family *f, double *started, char *info, size_t infolen)
{
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char name[128];
        if (strncmp(line, "# TYPE ", 7) == 0) {
            char type[16];
            if (sscanf(line + 7, "%127s %15s", name, type) == 2 && strcmp(type, "histogram") == 0) {
                struct family *x = family_of(f, &n, name);
                if (x)
                    x->histogram = true;
            }
            continue;
        }
        if (line[0] == '#' || line[0] == '\0')
            continue;
        size_t nl = strcspn(line, "{ ");
        if (nl == 0 || nl >= sizeof name)
            continue;
        memcpy(name, line, nl);
        name[nl] = '\0';
        const char *labels = "";
        char lab[256] = "";
        if (line[nl] == '{') {
            char *close = strrchr(line, '}');
            if (close == NULL)
                continue;
            size_t ll = (size_t)(close - line) - nl - 1;
            snprintf(lab, sizeof lab, "%.*s", (int)ll, line + nl + 1);
            labels = lab;
        }
        const char *sp = strrchr(line, ' ');
        if (sp == NULL)
            continue;
        double v = strtod(sp + 1, NULL);
        if (strcmp(name, "process_start_time_seconds") == 0) {
            *started = v;
            continue;
        }
        if (strcmp(name, "smsvault_build_info") == 0) {
            snprintf(info, infolen, "%s", labels);
            continue;
        }
        /* a histogram's series: _count and _sum count, _bucket is left out */
        char base[128];
        snprintf(base, sizeof base, "%s", name);
        if (cut_suffix(base, "_bucket") || cut_suffix(base, "_count") || cut_suffix(base, "_sum")) {
            struct family *h = NULL;
            for (size_t i = 0; i < n; i++)
                if (f[i].histogram && strcmp(f[i].name, base) == 0)
                    h = &f[i];
            if (h) {
                if (cut_suffix(name, "_count"))
                    h->count += v;
                else if (cut_suffix(name, "_sum"))
                    h->sum += v;
                continue;
            }
        }
        struct family *x = family_of(f, &n, name);
        if (x == NULL)
            continue;
        x->total += v;
        if (v != 0 && labels[0]) {
            buf_printf(&x->series, "%s%s %.15g", x->series.len ? ", " : "", labels, v);
        }
    }
    return n;
}

static int endpoint_lines(const char *hostport)
{
    char url[300], err[CURL_ERROR_SIZE + 64];
    snprintf(url, sizeof url, "http://%s/metrics", hostport);
    struct buf body = { 0 };
    if (fetch(url, &body, err, sizeof err) != 0) {
        printf("%s  unreachable: %s\n", url, err);
        buf_cleanup(&body);
        return 1;
    }
    buf_cstr(&body);
    struct family *f = xcalloc(FAMILIES_MAX, sizeof *f);
    double started = 0;
    char info[256] = "";
    size_t n = read_families(body.data, f, &started, info, sizeof info);
    printf("%s  %s", url, info[0] ? info : "(no smsvault_build_info)");
    if (started > 0)
        printf("  up %.0f s", (double)time(NULL) - started);
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        if (f[i].histogram)
            printf("  %-44s count %.0f, mean %.4f s\n", f[i].name, f[i].count,
                   f[i].count > 0 ? f[i].sum / f[i].count : 0);
        else
            printf("  %-44s %.15g%s%s\n", f[i].name, f[i].total, f[i].series.len ? "  " : "",
                   f[i].series.len ? buf_cstr(&f[i].series) : "");
        buf_cleanup(&f[i].series);
    }
    free(f);
    buf_cleanup(&body);
    return 0;
}

int vaultctl_status(struct store *s, const char *const *endpoints, size_t nendpoints)
{
    int failed = database_lines(s);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (size_t i = 0; i < nendpoints; i++)
        failed |= endpoint_lines(endpoints[i]);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
