/*
 * smscsim — an SMPP 3.4 SMSC simulator that bearerbox binds to exactly as it
 * would to an operator's SMSC, plus a loopback control port through which
 * simulated handsets (phonesim) send MO and collect the MT addressed to them.
 *
 * This file is the program: settings, the epoll loop, connections and the
 * timer heap. The SMPP side (binds, submit_sm, deliver_sm with retries) is
 * smpp_server.c, the control line protocol and the handsets control.c; what
 * the three share is struct smscsim (smscsim.h).
 *
 * One thread, one epoll loop: every socket is non-blocking with TCP_NODELAY,
 * and libsmpp34 (not thread-safe: global errno) is only ever called from this
 * thread. It is not a store-and-forward SMSC: nothing survives a restart, and
 * MT is "delivered" the moment the last part arrives. Receipts say DELIVRD
 * unless a receipt_outcomes rule for the destination prefix says otherwise
 * (outcome.h); an MT whose outcome is not DELIVRD never reaches the handset.
 * Concatenated MT is re-assembled by reassembly.c; what is still incomplete
 * after reassembly_timeout_ms is dropped and counted (mt_expired).
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "log.h"
#include "outcome.h"
#include "reassembly.h"
#include "smscsim.h"

/* ---- settings ---------------------------------------------------------- */

#define OFF(f) offsetof(struct settings, f)
static const struct config_key sim_keys[] = {
    { "smscsim", "smpp_port", CONFIG_INT, "2775", 1, 65535, OFF(smpp_port), "SMPP listen port (127.0.0.1)" },
    { "smscsim", "control_port", CONFIG_INT, "2776", 1, 65535, OFF(control_port), "control listen port (127.0.0.1)" },
    { "smscsim", "system_id", CONFIG_STRING, "smsvault", 0, 0, OFF(system_id), "system_id an ESME must bind with" },
    { "smscsim", "password", CONFIG_STRING, "secret", 0, 0, OFF(password), "password an ESME must bind with (<= 8 chars)" },
    { "smscsim", "window", CONFIG_INT, "256", 1, 100000, OFF(window), "deliver_sm in flight per receiver bind" },
    { "smscsim", "resp_timeout_ms", CONFIG_INT, "5000", 10, 600000, OFF(resp_timeout_ms), "deliver_sm_resp timeout" },
    { "smscsim", "retry_delay_ms", CONFIG_INT, "1000", 0, 600000, OFF(retry_delay_ms), "delay before re-sending a deliver_sm" },
    { "smscsim", "receipt_delay_ms", CONFIG_INT, "0", 0, 600000, OFF(receipt_delay_ms), "delay of delivery receipts" },
    { "smscsim", "reassembly_timeout_ms", CONFIG_INT, "300000", 10, 86400000, OFF(reassembly_timeout_ms), "drop a concatenated MT whose parts are incomplete after this" },
    { "smscsim", "receipt_outcomes", CONFIG_STRING, "", 0, 0, OFF(receipt_outcomes), "receipt stat by destination prefix, e.g. 4479=UNDELIV,555=EXPIRED (or smppsim)" },
    { "smscsim", "quickack", CONFIG_BOOL, "yes", 0, 0, OFF(quickack), "ACK every SMPP read at once (TCP_QUICKACK)" },
    { "smscsim", "log_level", CONFIG_STRING, "info", 0, 0, OFF(log_level), "debug|info|warn|error" },
};
#undef OFF

/* The one simulator (static: its tables are too big for a stack, and what
 * is left at exit stays reachable). */
static struct smscsim the_sim = {
    .fault = { 0.0, 0, true },
    .epfd = -1,
    .next_conn_id = 1,
};
static volatile sig_atomic_t stopping;

/* ---- small things --------------------------------------------------------- */

/* Add n bytes; what was consumed is dropped first when the storage would
 * have to grow (or when everything was), not on every read. */
static void queue_add(struct queue *q, const void *data, size_t n)
{
    if (q->off > 0 && (q->off == q->bytes.len || q->bytes.len + n + 1 > q->bytes.cap)) {
        buf_consume(&q->bytes, q->off);
        q->off = 0;
    }
    buf_append(&q->bytes, data, n);
}

int64_t smscsim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- timers: one binary heap -------------------------------------------- */

void smscsim_timer_add(struct smscsim *sim, struct timer t)
{
    size_t i;
    sim->heap = xgrow(sim->heap, &sim->heap_cap, (sim->heap_len + 1) * sizeof *sim->heap);
    i = sim->heap_len++;
    while (i > 0 && sim->heap[(i - 1) / 2].due > t.due) {
        sim->heap[i] = sim->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    sim->heap[i] = t;
}

static struct timer heap_pop(struct smscsim *sim)
{
    struct timer *heap = sim->heap;
    struct timer top = heap[0], last = heap[--sim->heap_len];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= sim->heap_len)
            break;
        if (c + 1 < sim->heap_len && heap[c + 1].due < heap[c].due)
            c++;
        if (heap[c].due >= last.due)
            break;
        heap[i] = heap[c];
        i = c;
    }
    if (sim->heap_len > 0)
        heap[i] = last;
    return top;
}

/* ---- connections ----------------------------------------------------------- */

static void conn_update_events(struct smscsim *sim, struct conn *c, bool want_out)
{
    struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.fd = c->fd };
    if (c->want_out == want_out)
        return;
    c->want_out = want_out;
    epoll_ctl(sim->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

bool smscsim_conn_flush(struct smscsim *sim, struct conn *c)
{
    while (c->out.off < c->out.bytes.len) {
        ssize_t n = send(c->fd, c->out.bytes.data + c->out.off, c->out.bytes.len - c->out.off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            return false;
        }
        c->out.off += (size_t)n;
    }
    if (c->out.off == c->out.bytes.len) {
        buf_clear(&c->out.bytes);
        c->out.off = 0;
    }
    conn_update_events(sim, c, c->out.bytes.len > 0);
    return true;
}

void smscsim_conn_send(struct conn *c, const void *data, size_t n)
{
    queue_add(&c->out, data, n);
}

/* Bytes a T_DELAYED_WRITE timer owns. */
struct dwrite {
    size_t len;
    unsigned char data[];
};

void smscsim_conn_send_later(struct smscsim *sim, struct conn *c, const unsigned char *data,
                             size_t n, long long delay_ms)
{
    struct dwrite *w = xmalloc(sizeof *w + n);
    w->len = n;
    memcpy(w->data, data, n);
    struct timer t = { smscsim_now_ms() + delay_ms, T_DELAYED_WRITE, c->fd, c->id, 0, w };
    smscsim_timer_add(sim, t);
}

struct conn *smscsim_conn_lookup(struct smscsim *sim, int fd, uint64_t id)
{
    if (fd < 0 || fd >= SMSCSIM_MAX_FD || sim->conns[fd] == NULL || sim->conns[fd]->id != id)
        return NULL;
    return sim->conns[fd];
}

void smscsim_conn_close(struct smscsim *sim, struct conn *c)
{
    int fd = c->fd;

    if (c->kind == K_SMPP) {
        smpp_server_conn_closed(sim, c);
        log_info("smscsim: connection closed fd=%d", fd);
    }
    epoll_ctl(sim->epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    sim->conns[fd] = NULL;
    buf_cleanup(&c->in.bytes);
    buf_cleanup(&c->out.bytes);
    free(c);
}

void smscsim_drop_smpp(struct smscsim *sim)
{
    int fd;
    for (fd = 0; fd < sim->max_fd; fd++) {
        if (sim->conns[fd] && sim->conns[fd]->kind == K_SMPP) {
            sim->stats.drops++;
            smscsim_conn_close(sim, sim->conns[fd]);
        }
    }
}

static struct conn *conn_add(struct smscsim *sim, int fd, enum conn_kind kind)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    struct conn *c;

    if (fd >= SMSCSIM_MAX_FD) {
        close(fd);
        return NULL;
    }
    c = xcalloc(1, sizeof *c);
    c->fd = fd;
    c->kind = kind;
    c->id = sim->next_conn_id++;
    sim->conns[fd] = c;
    if (fd + 1 > sim->max_fd)
        sim->max_fd = fd + 1;
    if (epoll_ctl(sim->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        log_error("smscsim: epoll_ctl failed fd=%d errno=%d", fd, errno);
        sim->conns[fd] = NULL;
        free(c);
        close(fd);
        return NULL;
    }
    return c;
}

/* ---- the loop ------------------------------------------------------------ */

static void set_nodelay(int fd)
{
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

static int listen_on(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only */
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 1024) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void on_accept(struct smscsim *sim, struct conn *l)
{
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        set_nodelay(fd);
        struct conn *c = conn_add(sim, fd, l->kind == K_SMPP_LISTEN ? K_SMPP : K_CTL);
        if (c && c->kind == K_SMPP)
            log_info("smscsim: connection accepted fd=%d", fd);
    }
}

static void on_readable(struct smscsim *sim, struct conn *c)
{
    unsigned char tmp[65536];
    bool eof = false;

    for (;;) {
        ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
        if (n > 0) {
            queue_add(&c->in, tmp, (size_t)n);
            if ((size_t)n < sizeof tmp)
                break;
            continue;
        }
        if (n == 0)
            eof = true;
        else if (errno == EINTR)
            continue;
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            eof = true;
        break;
    }
    if (c->kind == K_SMPP && sim->cfg.quickack) {
        /* Kannel's SMPP socket runs Nagle: its next small PDU waits for our
         * ACK. Linux leaves quick-ack mode on its own, so re-arm it per read. */
        int on = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
    }
    if (!(c->kind == K_SMPP ? smpp_server_input(sim, c) : control_input(sim, c)))
        eof = true;
    if (!smscsim_conn_flush(sim, c) || eof || (c->closing && c->out.bytes.len == 0))
        smscsim_conn_close(sim, c);
}

static void run_timers(struct smscsim *sim)
{
    int64_t now = smscsim_now_ms();

    while (sim->heap_len > 0 && sim->heap[0].due <= now) {
        struct timer t = heap_pop(sim);
        struct conn *c;
        switch (t.type) {
        case T_WAIT:
            c = smscsim_conn_lookup(sim, t.fd, t.conn_id);
            if (c)
                control_wait_expired(sim, c, t.n);
            break;
        case T_DELAYED_WRITE:
            c = smscsim_conn_lookup(sim, t.fd, t.conn_id);
            if (c) {
                struct dwrite *w = t.owned;
                smscsim_conn_send(c, w->data, w->len);
                if (!smscsim_conn_flush(sim, c))
                    smscsim_conn_close(sim, c);
            }
            free(t.owned);
            break;
        case T_RESP_TIMEOUT:
            smpp_server_resp_timeout(sim, t.n);
            break;
        case T_REQUEUE:
            smpp_server_requeue(sim, t.owned);
            break;
        case T_UNBOUND_CLOSE:
            c = smscsim_conn_lookup(sim, t.fd, t.conn_id);
            if (c) {
                log_info("smscsim: unbound ESME did not close fd=%d: closing", c->fd);
                smscsim_conn_close(sim, c);
            }
            break;
        }
    }
}

static void on_signal(int sig)
{
    stopping = sig;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: smscsim [--config FILE] [--port N] [--control-port N] [--system-id S]\n"
            "               [--password P] [--outcomes RULES] [--no-quickack] [--check-config]\n"
            "\n"
            "  --outcomes RULES  receipt outcome by destination prefix (overrides the\n"
            "                    [smscsim] receipt_outcomes key), e.g.\n"
            "                      4479=UNDELIV,4478=EXPIRED,555=REJECTD\n"
            "                    longest prefix wins, '+' ignored; stats DELIVRD EXPIRED\n"
            "                    DELETED UNDELIV ACCEPTD UNKNOWN REJECTD; \"smppsim\" = first\n"
            "                    digit 1 EXPIRED 2 DELETED 3 UNDELIV 4 ACCEPTD 5 REJECTD.\n"
            "                    Unmatched destinations are DELIVRD. An MT that is not\n"
            "                    DELIVRD never reaches the handset; its receipt carries\n"
            "                    the stat, the message_state TLV and err: 000 for DELIVRD\n"
            "                    and ACCEPTD, else the message_state (EXPIRED 003 ...).\n"
            "                    registered_delivery=2 asks for failure receipts only.\n"
            "                    At run time: control port FAULT outcomes=RULES (- clears).\n"
            "\n"
            "  Concatenated MT whose parts are still incomplete after\n"
            "  reassembly_timeout_ms (default 300000) is dropped: STATS mt_expired.\n"
            "  An unanswered deliver_sm is re-sent after resp_timeout_ms, one answered\n"
            "  0x64/0x58/0x14/0x08 after retry_delay_ms: STATS resp_timeouts,\n"
            "  temp_errors, mo_retries.\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "port", required_argument, NULL, 'p' },
        { "control-port", required_argument, NULL, 'C' },
        { "system-id", required_argument, NULL, 's' },
        { "password", required_argument, NULL, 'w' },
        { "outcomes", required_argument, NULL, 'o' },
        { "no-quickack", no_argument, NULL, 'Q' },
        { "check-config", no_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct smscsim *sim = &the_sim;
    struct config_part part = { sim_keys, sizeof sim_keys / sizeof sim_keys[0], &sim->cfg };
    static const char *const others[] = { "database", "box", "web", "quota", "vaultbox", "vaultweb", "store", NULL };
    const char *path = NULL, *port = NULL, *cport = NULL, *sysid = NULL, *pass = NULL,
               *ocs = NULL;
    bool check = false, noquick = false;
    char err[512];
    int opt, rc = 1, lfd = -1, cfd = -1;
    enum log_level lvl;
    struct epoll_event evs[256];

    while ((opt = getopt_long(argc, argv, "c:p:C:s:w:o:Qkh", opts, NULL)) != -1) {
        switch (opt) {
        case 'c': path = optarg; break;
        case 'p': port = optarg; break;
        case 'C': cport = optarg; break;
        case 's': sysid = optarg; break;
        case 'w': pass = optarg; break;
        case 'o': ocs = optarg; break;
        case 'Q': noquick = true; break;
        case 'k': check = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (config_load(path, &part, 1, others, err, sizeof err) != CONFIG_OK) {
        fprintf(stderr, "smscsim: %s\n", err);
        goto out;
    }
    if (port)
        sim->cfg.smpp_port = strtol(port, NULL, 10);
    if (cport)
        sim->cfg.control_port = strtol(cport, NULL, 10);
    if (sysid) {
        free(sim->cfg.system_id);
        sim->cfg.system_id = xstrdup(sysid);
    }
    if (pass) {
        free(sim->cfg.password);
        sim->cfg.password = xstrdup(pass);
    }
    if (noquick)
        sim->cfg.quickack = false;
    if (ocs) {
        free(sim->cfg.receipt_outcomes);
        sim->cfg.receipt_outcomes = xstrdup(ocs);
    }
    if (outcome_rules_parse(sim->cfg.receipt_outcomes, &sim->outcomes, err, sizeof err) !=
        OUTCOME_OK) {
        fprintf(stderr, "smscsim: receipt_outcomes: %s\n", err);
        goto out;
    }
    if (sim->cfg.smpp_port < 1 || sim->cfg.smpp_port > 65535 || sim->cfg.control_port < 1 ||
        sim->cfg.control_port > 65535 || strlen(sim->cfg.system_id) > 15 ||
        strlen(sim->cfg.password) > 8 ||
        !log_level_parse(sim->cfg.log_level, &lvl)) {
        fprintf(stderr, "smscsim: bad setting: ports 1-65535, system_id <= 15 chars, password <= 8 chars, log_level\n");
        goto out;
    }
    if (check) {
        config_print(&part, 1);
        rc = 0;
        goto out;
    }
    log_set_level(lvl);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    srand((unsigned)time(NULL));
    sim->reasm = reassembly_new(sim->cfg.reassembly_timeout_ms);
    sim->smpp = smpp_server_new();
    sim->control = control_new();

    sim->epfd = epoll_create1(EPOLL_CLOEXEC);
    lfd = listen_on((int)sim->cfg.smpp_port);
    cfd = listen_on((int)sim->cfg.control_port);
    if (sim->epfd < 0 || lfd < 0 || cfd < 0) {
        log_error("smscsim: listen failed smpp_port=%lld control_port=%lld errno=%d",
                  sim->cfg.smpp_port, sim->cfg.control_port, errno);
        goto out;
    }
    if (!conn_add(sim, lfd, K_SMPP_LISTEN) || !conn_add(sim, cfd, K_CTL_LISTEN))
        goto out;
    lfd = cfd = -1; /* owned by conns[] now */
    log_info("smscsim: ready smpp_port=%lld control_port=%lld quickack=%s",
             sim->cfg.smpp_port, sim->cfg.control_port, sim->cfg.quickack ? "on" : "off");

    while (!stopping) {
        int timeout = -1, n, i;
        int64_t due = sim->heap_len > 0 ? sim->heap[0].due : -1,
                exp = reassembly_next_expiry(sim->reasm);
        if (exp >= 0 && (due < 0 || exp < due))
            due = exp;
        if (due >= 0) {
            int64_t d = due - smscsim_now_ms();
            timeout = d < 0 ? 0 : d > 1000 ? 1000 : (int)d;
        }
        n = epoll_wait(sim->epfd, evs, sizeof evs / sizeof evs[0], timeout);
        if (n < 0 && errno != EINTR) {
            log_error("smscsim: epoll_wait failed errno=%d", errno);
            goto out;
        }
        for (i = 0; i < n; i++) {
            struct conn *c = sim->conns[evs[i].data.fd];
            if (!c)
                continue;
            if (c->kind == K_SMPP_LISTEN || c->kind == K_CTL_LISTEN) {
                on_accept(sim, c);
            } else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                on_readable(sim, c);
            } else if (evs[i].events & EPOLLOUT) {
                if (!smscsim_conn_flush(sim, c) || (c->closing && c->out.bytes.len == 0))
                    smscsim_conn_close(sim, c);
            }
        }
        run_timers(sim);
        sim->stats.mt_expired += reassembly_expire(sim->reasm, smscsim_now_ms());
        smpp_server_pump(sim);
    }
    log_info("smscsim: stopping signal=%d", (int)stopping);
    rc = 0;
out:
    if (lfd >= 0)
        close(lfd);
    if (cfd >= 0)
        close(cfd);
    control_free(sim->control);
    smpp_server_free(sim->smpp);
    reassembly_free(sim->reasm);
    outcome_rules_free(sim->outcomes);
    config_free(&part, 1);
    return rc;
}
