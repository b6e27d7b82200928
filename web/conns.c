/*
 * conns — connection deadlines and the fair per-address limit (see conns.h).
 * One list under one mutex: at most max_connections entries (512 by
 * default), scanned by the reaper four times a second and on every accept.
 */
#include "conns.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "alloc.h"
#include "log.h"
#include "web_metrics.h"

enum phase {
    PHASE_WAIT,      /* no request in progress: its head must come within the deadline */
    PHASE_BODY,      /* head read, body arriving: minimum rate */
    PHASE_BUSY,      /* the handler runs or the answer goes out: libmicrohttpd's idle timeout */
};

struct conn_slot {
    int fd;
    char addr[64];
    bool exempt;
    bool cut;
    enum phase phase;
    double since;                 /* start of the phase, monotonic seconds */
    unsigned long long body;      /* bytes of the current body */
    struct conn_slot *prev, *next;
};

struct conns {
    struct conns_limits lim;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool stop;
    pthread_t reaper;
    struct conn_slot *head;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Under the mutex. shutdown() only: the fd stays libmicrohttpd's to close,
 * and it cannot be closed meanwhile since NOTIFY_CLOSED (conns_close) takes
 * the same mutex before libmicrohttpd closes it. */
static void cut(struct conn_slot *s, const char *reason)
{
    if (s->cut)
        return;
    s->cut = true;
    if (shutdown(s->fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
        log_warn("web: shutdown failed errno=%d", errno);
    log_info("web: connection cut reason=%s client=%s", reason, s->addr);
    web_count_cut(reason);
}

static void *reaper_main(void *arg)
{
    struct conns *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 250 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->wake, &c->mu, &until);
        double t = now_s();
        for (struct conn_slot *s = c->head; s; s = s->next) {
            double age = t - s->since;
            if (s->cut || age < c->lim.header_timeout_s)
                continue;
            if (s->phase == PHASE_WAIT)
                cut(s, "header_timeout");
            else if (s->phase == PHASE_BODY && (double)s->body < (double)c->lim.body_min_rate * age)
                cut(s, "body_too_slow");
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

struct conns *conns_new(const struct conns_limits *lim)
{
    struct conns *c = xcalloc(1, sizeof *c);
    c->lim = *lim;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->reaper, NULL, reaper_main, c) != 0) {
        log_error("web: cannot start the connection reaper");
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return NULL;
    }
    return c;
}

void conns_free(struct conns *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->reaper, NULL);
    while (c->head) {
        struct conn_slot *s = c->head;
        c->head = s->next;
        free(s);
    }
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

struct conn_slot *conns_open(struct conns *c, int fd, const char *addr, bool exempt)
{
    struct conn_slot *s = xcalloc(1, sizeof *s);
    s->fd = fd;
    snprintf(s->addr, sizeof s->addr, "%s", addr);
    s->exempt = exempt;
    s->phase = PHASE_WAIT;
    s->since = now_s();
    pthread_mutex_lock(&c->mu);
    s->next = c->head;
    if (c->head)
        c->head->prev = s;
    c->head = s;
    if (!exempt) {
        /* Fair limit: the live connections of this address; if one too
         * many, the one that has waited longest without a request goes
         * (the new one is the youngest waiter, so it goes only when every
         * other is busy with a request). */
        int n = 0;
        struct conn_slot *victim = NULL;
        for (struct conn_slot *o = c->head; o; o = o->next) {
            if (o->cut || o->exempt || strcmp(o->addr, s->addr) != 0)
                continue;
            n++;
            if (o->phase == PHASE_WAIT && (victim == NULL || o->since <= victim->since))
                victim = o;
        }
        if (n > c->lim.per_address)
            cut(victim ? victim : s, "per_address_limit");
    }
    pthread_mutex_unlock(&c->mu);
    return s;
}

void conns_close(struct conns *c, struct conn_slot *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    if (s->prev)
        s->prev->next = s->next;
    else
        c->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&c->mu);
    free(s);
}

static void set_phase(struct conns *c, struct conn_slot *s, enum phase p)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    s->phase = p;
    s->since = now_s();
    s->body = 0;
    pthread_mutex_unlock(&c->mu);
}

void conns_head_done(struct conns *c, struct conn_slot *s) { set_phase(c, s, PHASE_BODY); }
void conns_body_done(struct conns *c, struct conn_slot *s) { set_phase(c, s, PHASE_BUSY); }
void conns_answer_done(struct conns *c, struct conn_slot *s) { set_phase(c, s, PHASE_WAIT); }

void conns_body_bytes(struct conns *c, struct conn_slot *s, size_t n)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    s->body += n;
    pthread_mutex_unlock(&c->mu);
}
