/*
 * phone_load — phonesim's load generator: --inflight handsets in parallel
 * (threads, one control connection each, one MO in flight per handset)
 * over --phones numbers for --duration seconds, optionally paced to --rate
 * MO/s; one summary line:
 *   load: sent=.. completed=.. timeouts=.. errors=.. seconds=.. rt_per_s=..
 *         p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
 * (latency = MO sent to the last of --expect replies received). It is not
 * a conformance tester: it trusts smscsim's answers.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "phonesim.h"

static atomic_ullong seq_no, ticket, sent, completed, timeouts, errors;
static int64_t load_start, load_end;

struct worker {
    pthread_t th;
    int index;
    uint32_t *lat_us; /* completed round trips */
    size_t nlat, cap; /* cap: bytes of lat_us (xgrow) */
};

/* Template: %n = sequence number, %p = the handset's number, %% = '%'. */
static char *expand(const char *tpl, unsigned long long n, const char *phone)
{
    struct buf out = { 0 };
    for (; *tpl; tpl++) {
        if (*tpl == '%' && tpl[1] == 'n') {
            buf_printf(&out, "%llu", n);
            tpl++;
        } else if (*tpl == '%' && tpl[1] == 'p') {
            buf_puts(&out, phone);
            tpl++;
        } else if (*tpl == '%' && tpl[1] == '%') {
            buf_putc(&out, '%');
            tpl++;
        } else {
            buf_putc(&out, *tpl);
        }
    }
    return buf_steal(&out, NULL);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct ctl c;
    int slot = 0;

    if (!ctl_open(&c)) {
        atomic_fetch_add(&errors, 1);
        return NULL;
    }
    for (;;) {
        int64_t t0 = phone_now_us();
        char phone[32], *text, *line;
        int got = 0;
        bool ok = true;
        if (t0 >= load_end)
            break;
        if (o.rate > 0) { /* pacing: the k-th MO of the run is due at start + k/rate */
            unsigned long long k = atomic_fetch_add(&ticket, 1);
            int64_t due = load_start + (int64_t)((double)k * 1e6 / o.rate);
            if (due >= load_end)
                break;
            if (due > t0) {
                struct timespec ts = { (time_t)((due - t0) / 1000000), (long)((due - t0) % 1000000) * 1000 };
                nanosleep(&ts, NULL);
            }
            t0 = phone_now_us();
        }
        /* this worker owns handsets index, index+inflight, ... : one MO in flight each */
        int ph = w->index + slot * o.inflight;
        if (ph >= o.phones) {
            slot = 0;
            ph = w->index;
        }
        slot++;
        snprintf(phone, sizeof phone, "%llu", o.from_base + (unsigned long long)ph);
        text = expand(o.template_text, atomic_fetch_add(&seq_no, 1) + 1, phone);
        if (ctl_send_mo(&c, phone, o.to, text) != 0) {
            free(text);
            atomic_fetch_add(&errors, 1);
            break;
        }
        free(text);
        atomic_fetch_add(&sent, 1);
        while (got < o.expect) {
            line = ctl_wait_mt(&c, phone, o.timeout_ms);
            if (!line) {
                ok = false;
                atomic_fetch_add(&errors, 1);
                break;
            }
            if (strcmp(line, "TIMEOUT") == 0) {
                free(line);
                ok = false;
                atomic_fetch_add(&timeouts, 1);
                break;
            }
            free(line);
            got++;
        }
        if (!ok) {
            if (got == 0 && phone_now_us() >= load_end)
                break;
            continue;
        }
        atomic_fetch_add(&completed, 1);
        w->lat_us = xgrow(w->lat_us, &w->cap, (w->nlat + 1) * sizeof *w->lat_us);
        int64_t us = phone_now_us() - t0;
        w->lat_us[w->nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    }
    close(c.fd);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, size_t n, double p)
{
    size_t i;
    if (n == 0)
        return 0;
    i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i] / 1000.0;
}

int phone_load(void)
{
    struct worker *ws = xcalloc((size_t)o.inflight, sizeof *ws);
    uint32_t *all = NULL;
    size_t n = 0, k;
    int i;
    double secs;

    load_start = phone_now_us();
    load_end = load_start + (int64_t)(o.duration * 1e6);
    for (i = 0; i < o.inflight; i++) {
        ws[i].index = i;
        if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) != 0) {
            fprintf(stderr, "phonesim: cannot start thread %d\n", i);
            return 2;
        }
    }
    for (i = 0; i < o.inflight; i++) {
        pthread_join(ws[i].th, NULL);
        n += ws[i].nlat;
    }
    secs = (double)(phone_now_us() - load_start) / 1e6;
    all = xmalloc((n ? n : 1) * sizeof *all);
    n = 0;
    for (i = 0; i < o.inflight; i++) {
        for (k = 0; k < ws[i].nlat; k++)
            all[n++] = ws[i].lat_us[k];
        free(ws[i].lat_us);
    }
    qsort(all, n, sizeof *all, cmp_u32);
    printf("load: sent=%llu completed=%llu timeouts=%llu errors=%llu seconds=%.2f rt_per_s=%.1f "
           "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
           (unsigned long long)sent, (unsigned long long)completed, (unsigned long long)timeouts,
           (unsigned long long)errors, secs, secs > 0 ? (double)completed / secs : 0.0,
           pct(all, n, 0.50), pct(all, n, 0.90), pct(all, n, 0.99), n ? all[n - 1] / 1000.0 : 0.0);
    fflush(stdout);
    free(all);
    free(ws);
    return (completed > 0 && errors == 0) ? 0 : 1;
}

