/*
 * phonesim — a handset on smscsim's control port, and a load generator.
 *
 * One-shot: send one MO (text, or 8-bit with --bin-udh/--bin-data) and print
 * each reply that comes back to the sending number, whole (smscsim has
 * re-assembled concatenated MT), one per line; --hex prints the UTF-8 bytes
 * in hex instead (byte-exact comparisons in tests). Exits 1 when fewer than
 * --expect replies arrived within --timeout.
 *
 * Load: --load runs --inflight handsets in parallel (threads, one control
 * connection each, one MO in flight per handset) over --phones numbers for
 * --duration seconds, optionally paced to --rate MO/s, and prints one line:
 *   load: sent=.. completed=.. timeouts=.. errors=.. seconds=.. rt_per_s=..
 *         p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
 * (latency = MO sent to the last expected reply received). It is not a
 * conformance tester: it trusts smscsim's answers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "simcodec.h"

struct opts {
    char host[64];
    int port;
    const char *from, *to, *text, *template_text, *bin_udh, *bin_data;
    int expect;
    long timeout_ms;
    bool hex, load;
    int phones, inflight;
    double rate, duration;
    unsigned long long from_base;
};

static struct opts o;

/* ---- a control connection ----------------------------------------------- */

struct ctl {
    int fd;
    char buf[1 << 16];
    size_t len;
    char *big;  /* a line longer than buf */
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int ctl_open(struct ctl *c)
{
    struct sockaddr_in a;
    int on = 1;

    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)o.port);
    if (inet_pton(AF_INET, o.host, &a.sin_addr) != 1 ||
        connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static int ctl_write(struct ctl *c, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read one line; returns malloc'd text without the newline, or NULL on EOF. */
static char *ctl_read_line(struct ctl *c)
{
    struct buf line = { 0 };

    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            size_t k = (size_t)(nl - c->buf);
            buf_append(&line, c->buf, k);
            memmove(c->buf, nl + 1, c->len - k - 1);
            c->len -= k + 1;
            return buf_steal(&line, NULL);
        }
        if (c->len == sizeof c->buf) { /* long line: move what we have aside */
            buf_append(&line, c->buf, c->len);
            c->len = 0;
        }
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            buf_cleanup(&line);
            return NULL;
        }
        c->len += (size_t)r;
    }
}

/* Send an MO; 0 when smscsim accepted it. */
static int send_mo(struct ctl *c, const char *from, const char *to, const char *text)
{
    size_t tl = strlen(text);
    char *hex = xmalloc(tl * 2 + 1), *cmd, *ans;
    int rc = -1;

    simcodec_hex((const unsigned char *)text, tl, hex);
    cmd = xasprintf("MO %s %s %s\n", from, to, hex);
    if (ctl_write(c, cmd, strlen(cmd)) == 0 && (ans = ctl_read_line(c)) != NULL) {
        rc = strncmp(ans, "OK ", 3) == 0 ? 0 : -1;
        if (rc != 0)
            fprintf(stderr, "phonesim: smscsim refused the MO: %s\n", ans);
        free(ans);
    }
    free(hex);
    free(cmd);
    return rc;
}

/* WAIT for the next MT to msisdn; returns the MT line, "TIMEOUT", or NULL. */
static char *wait_mt(struct ctl *c, const char *msisdn, long timeout_ms)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "WAIT %s %ld\n", msisdn, timeout_ms < 0 ? 0 : timeout_ms);
    if (ctl_write(c, cmd, strlen(cmd)) != 0)
        return NULL;
    return ctl_read_line(c);
}

/* ---- one-shot ------------------------------------------------------------ */

static void print_mt(char *line)
{
    char *argv[8], *save = NULL, *tok;
    int argc = 0;

    for (tok = strtok_r(line, " ", &save); tok && argc < 8; tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    if (argc == 5 && strcmp(argv[3], "TEXT") == 0) {
        unsigned char *text = NULL;
        size_t n = 0;
        if (o.hex) {
            printf("%s\n", argv[4]);
        } else if (simcodec_unhex(argv[4], strlen(argv[4]), &text, &n) == 0) {
            fwrite(text, 1, n, stdout);
            putchar('\n');
        }
        free(text);
    } else if (argc == 7 && strcmp(argv[3], "BIN") == 0) {
        printf("BIN dc=%s udh=%s data=%s\n", argv[4], argv[5], argv[6]);
    } else {
        printf("?\n");
    }
    fflush(stdout);
}

static int run_once(void)
{
    struct ctl c;
    int got = 0, rc = 1;
    int64_t deadline = now_us() + o.timeout_ms * 1000;

    if (ctl_open(&c) != 0) {
        fprintf(stderr, "phonesim: cannot connect to smscsim control %s:%d: %s\n", o.host, o.port,
                strerror(errno));
        return 2;
    }
    if (o.bin_data) {
        char *cmd = xasprintf("MOBIN %s %s %s %s\n", o.from, o.to, o.bin_udh ? o.bin_udh : "-",
                              o.bin_data), *ans;
        int ok = ctl_write(&c, cmd, strlen(cmd)) == 0 && (ans = ctl_read_line(&c)) != NULL &&
                 strncmp(ans, "OK ", 3) == 0;
        free(cmd);
        if (!ok) {
            fprintf(stderr, "phonesim: smscsim refused the binary MO\n");
            goto out;
        }
    } else if (o.text && send_mo(&c, o.from, o.to, o.text) != 0) {
        goto out;
    }
    while (got < o.expect) {
        long left = (long)((deadline - now_us()) / 1000);
        char *line;
        if (left <= 0)
            break;
        line = wait_mt(&c, o.from, left);
        if (!line) {
            fprintf(stderr, "phonesim: control connection lost\n");
            goto out;
        }
        if (strcmp(line, "TIMEOUT") == 0) {
            free(line);
            break;
        }
        print_mt(line);
        free(line);
        got++;
    }
    if (got < o.expect) {
        fprintf(stderr, "phonesim: timeout: %d of %d replies to %s within %ld ms\n", got, o.expect,
                o.from, o.timeout_ms);
        goto out;
    }
    rc = 0;
out:
    close(c.fd);
    return rc;
}

/* ---- load ---------------------------------------------------------------- */

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

    if (ctl_open(&c) != 0) {
        atomic_fetch_add(&errors, 1);
        return NULL;
    }
    for (;;) {
        int64_t t0 = now_us();
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
            t0 = now_us();
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
        if (send_mo(&c, phone, o.to, text) != 0) {
            free(text);
            atomic_fetch_add(&errors, 1);
            break;
        }
        free(text);
        atomic_fetch_add(&sent, 1);
        while (got < o.expect) {
            line = wait_mt(&c, phone, o.timeout_ms);
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
            if (got == 0 && now_us() >= load_end)
                break;
            continue;
        }
        atomic_fetch_add(&completed, 1);
        w->lat_us = xgrow(w->lat_us, &w->cap, (w->nlat + 1) * sizeof *w->lat_us);
        int64_t us = now_us() - t0;
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

static int run_load(void)
{
    struct worker *ws = xcalloc((size_t)o.inflight, sizeof *ws);
    uint32_t *all = NULL;
    size_t n = 0, k;
    int i;
    double secs;

    load_start = now_us();
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
    secs = (double)(now_us() - load_start) / 1e6;
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

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phonesim --control HOST:PORT --from MSISDN --to SHORTCODE [--expect N]\n"
            "                [--timeout MS] [--hex] TEXT\n"
            "       phonesim --control HOST:PORT --from MSISDN --to CODE --bin-data HEX [--bin-udh HEX]\n"
            "       phonesim --control HOST:PORT --load --to CODE [--phones N] [--inflight M]\n"
            "                [--rate MO_PER_S] [--duration S] [--template 'SAVE load %%n']\n"
            "                [--from-base MSISDN] [--expect N] [--timeout MS]\n");
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "control", required_argument, NULL, 'c' }, { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 't' },      { "expect", required_argument, NULL, 'e' },
        { "timeout", required_argument, NULL, 'T' }, { "hex", no_argument, NULL, 'x' },
        { "load", no_argument, NULL, 'L' },          { "phones", required_argument, NULL, 'P' },
        { "inflight", required_argument, NULL, 'I' }, { "rate", required_argument, NULL, 'r' },
        { "duration", required_argument, NULL, 'd' }, { "template", required_argument, NULL, 'm' },
        { "from-base", required_argument, NULL, 'b' }, { "bin-udh", required_argument, NULL, 'u' },
        { "bin-data", required_argument, NULL, 'D' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *control = NULL;
    char *colon;
    int opt;

    o.expect = 1;
    o.timeout_ms = 10000;
    o.phones = 100;
    o.inflight = 50;
    o.duration = 10;
    o.template_text = "SAVE load %n";
    o.from_base = 8613900000000ULL;
    while ((opt = getopt_long(argc, argv, "c:f:t:e:T:xLP:I:r:d:m:b:u:D:h", lo, NULL)) != -1) {
        switch (opt) {
        case 'c': control = optarg; break;
        case 'f': o.from = optarg; break;
        case 't': o.to = optarg; break;
        case 'e': o.expect = atoi(optarg); break;
        case 'T': o.timeout_ms = atol(optarg); break;
        case 'x': o.hex = true; break;
        case 'L': o.load = true; break;
        case 'P': o.phones = atoi(optarg); break;
        case 'I': o.inflight = atoi(optarg); break;
        case 'r': o.rate = atof(optarg); break;
        case 'd': o.duration = atof(optarg); break;
        case 'm': o.template_text = optarg; break;
        case 'b': o.from_base = strtoull(optarg, NULL, 10); break;
        case 'u': o.bin_udh = optarg; break;
        case 'D': o.bin_data = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!control || !(colon = strrchr(control, ':')) || (size_t)(colon - control) >= sizeof o.host ||
        !o.to || o.expect < 0) {
        usage(stderr);
        return 2;
    }
    memcpy(o.host, control, (size_t)(colon - control));
    o.port = atoi(colon + 1);
    if (o.load) {
        if (o.phones < 1 || o.inflight < 1 || o.duration <= 0) {
            usage(stderr);
            return 2;
        }
        if (o.inflight > o.phones)
            o.inflight = o.phones; /* one MO in flight per handset */
        return run_load();
    }
    if (!o.from || (optind < argc) == (o.bin_data != NULL)) {
        usage(stderr);
        return 2;
    }
    o.text = optind < argc ? argv[optind] : NULL;
    return run_once();
}
