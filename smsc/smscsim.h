/*
 * smscsim.h — what the three files of the smscsim executable share; private
 * to it (not in a library, included by nothing else). smscsim.c owns the
 * epoll loop, the connections and the timer heap; smpp_server.c answers the
 * ESME's PDUs and sends it deliver_sm (MO parts and receipts) with retries;
 * control.c speaks the loopback control line protocol and keeps the
 * handsets' inboxes.
 *
 * All state is one struct smscsim, passed explicitly. What more than one file
 * reads or writes (settings, fault knobs, outcome rules, re-assembly,
 * counters, the connection table) is in the open here, and so are the
 * loop's own fields (epoll fd, timer heap: smscsim.c owns the struct); what
 * smpp_server.c or control.c alone keeps (the delivery queues, the handsets)
 * is behind an opaque pointer only that file dereferences. Everything runs
 * on the loop's one thread.
 */
#ifndef SMSVAULT_SMSCSIM_H
#define SMSVAULT_SMSCSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct outcome_rules;
struct reassembly;
struct simcodec_part;

/* ---- settings ([smscsim] keys; read-only once the loop runs) ------------- */

struct settings {
    long long smpp_port, control_port;
    char *system_id, *password;
    long long window;           /* deliver_sm in flight per receiver bind */
    long long resp_timeout_ms;  /* deliver_sm_resp wait before a retry */
    long long retry_delay_ms;   /* pause before re-sending after a temporary error */
    long long receipt_delay_ms;
    long long reassembly_timeout_ms; /* incomplete concatenated MT is dropped after this */
    char *receipt_outcomes;     /* prefix=STAT rules (outcome.h) */
    bool quickack;              /* TCP_QUICKACK after each read (see LATENCY.md) */
    char *log_level;
};

/* ---- connections (smscsim.c creates and closes them) --------------------- */

/* A byte queue: bytes.data[off..bytes.len) are still to be sent or
 * parsed; what is before off goes when more bytes are added. */
struct queue {
    struct buf bytes;
    size_t off;
};

enum conn_kind { K_SMPP_LISTEN, K_CTL_LISTEN, K_SMPP, K_CTL };

struct conn {
    int fd;
    enum conn_kind kind;
    uint64_t id;            /* tells a reused fd from the connection a timer meant */
    struct queue in, out;
    bool want_out, closing;
    /* SMPP (smpp_server.c) */
    bool bound_tx, bound_rx;
    bool unbound;           /* the ESME unbound: only its resps are read until it closes */
    long long outstanding;  /* deliver_sm sent, no resp yet */
    /* control (control.c) */
    bool waiting;           /* a WAIT is open: later lines stay in the buffer */
    uint32_t wait_gen;
};

#define SMSCSIM_MAX_FD 65536

/* ---- timers: one binary heap in smscsim.c, fired by kind ----------------- */

enum timer_type {
    T_WAIT,          /* control.c: a WAIT ran out (n = wait generation) */
    T_DELAYED_WRITE, /* smscsim.c: bytes held back by FAULT delay_ms */
    T_RESP_TIMEOUT,  /* smpp_server.c: no deliver_sm_resp for sequence n */
    T_REQUEUE,       /* smpp_server.c: owned deliver_sm goes back to the ready queue */
    T_UNBOUND_CLOSE, /* smscsim.c: an ESME that unbound has not closed its connection */
};

struct timer {
    int64_t due;
    enum timer_type type;
    int fd;
    uint64_t conn_id;
    uint32_t n;    /* wait generation or sequence number */
    void *owned;   /* T_DELAYED_WRITE: smscsim.c's bytes; T_REQUEUE: a delivery */
};

/* ---- the simulator --------------------------------------------------------- */

struct smscsim {
    struct settings cfg;

    /* fault knobs: set by control.c (FAULT), obeyed by smpp_server.c */
    struct {
        double throttle;       /* fraction of submit_sm answered ESME_RTHROTTLED */
        long long delay_ms;    /* delay every submit_sm_resp */
        bool receipts;         /* send delivery receipts */
    } fault;
    struct outcome_rules *outcomes; /* NULL: every receipt DELIVRD; FAULT outcomes= replaces */
    struct reassembly *reasm;       /* MT parts waiting for their siblings */

    struct {
        unsigned long long binds, bind_fail, submits, throttled, mt_done, mt_expired,
            mt_undelivered, mo_accepted, mo_parts_acked, mo_retries, mo_rejected, resp_timeouts,
            temp_errors, receipts_sent, receipts_acked, receipts_failed, drops, mt_injected;
    } stats;

    /* connections by fd; loops over them stop at max_fd (highest fd + 1) */
    struct conn *conns[SMSCSIM_MAX_FD];
    int max_fd;
    int epfd;
    uint64_t next_conn_id;

    struct timer *heap; /* smscsim.c only: use smscsim_timer_add */
    size_t heap_len, heap_cap; /* heap_cap: bytes of heap (xgrow) */

    struct smpp_server *smpp; /* smpp_server.c's delivery queues */
    struct control *control;  /* control.c's handsets */
};

/* ---- smscsim.c ------------------------------------------------------------- */

int64_t smscsim_now_ms(void);
void smscsim_timer_add(struct smscsim *sim, struct timer t);
/* Queue bytes for c (sent by the next smscsim_conn_flush). */
void smscsim_conn_send(struct conn *c, const void *data, size_t n);
/* Queue bytes for c after delay_ms, unless c is gone by then. */
void smscsim_conn_send_later(struct smscsim *sim, struct conn *c, const unsigned char *data,
                             size_t n, long long delay_ms);
/* Write what the socket takes now; false: the connection is broken (close it). */
bool smscsim_conn_flush(struct smscsim *sim, struct conn *c);
/* Close and free c (in-flight deliver_sm go back to the ready queue). */
void smscsim_conn_close(struct smscsim *sim, struct conn *c);
/* The connection on fd if it is still the one with this id, else NULL. */
struct conn *smscsim_conn_lookup(struct smscsim *sim, int fd, uint64_t id);
/* Close every SMPP connection, counted as drops (FAULT drop=1). */
void smscsim_drop_smpp(struct smscsim *sim);

/* ---- smpp_server.c --------------------------------------------------------- */

struct smpp_server *smpp_server_new(void);
void smpp_server_free(struct smpp_server *srv);
/* Handle every complete PDU in c->in; true, or false to close c (a PDU it
 * cannot answer sets c->closing instead, so that its nack goes out first). */
bool smpp_server_input(struct smscsim *sim, struct conn *c);
/* Send ready deliver_sm to receiver binds, round robin, within the window. */
void smpp_server_pump(struct smscsim *sim);
/* Queue MO parts as deliver_sm (copies them). */
void smpp_server_queue_mo(struct smscsim *sim, const char *from, const char *to,
                          const struct simcodec_part *parts, size_t n);
/* Put c's in-flight deliver_sm back in the ready queue (c is closing). */
void smpp_server_conn_closed(struct smscsim *sim, const struct conn *c);
/* Timers: no resp for sequence seq; a delivery due again (consumes owned). */
void smpp_server_resp_timeout(struct smscsim *sim, uint32_t seq);
void smpp_server_requeue(struct smscsim *sim, void *owned);
void smpp_server_queue_lengths(const struct smscsim *sim, size_t *ready, size_t *inflight);

/* ---- control.c ------------------------------------------------------------- */

struct control *control_new(void);
void control_free(struct control *ctl);
/* Answer every complete line in c->in (stops at an open WAIT); true, or
 * false to close c. */
bool control_input(struct smscsim *sim, struct conn *c);
/* Timer: WAIT generation gen on c ran out. */
void control_wait_expired(struct smscsim *sim, struct conn *c, uint32_t gen);
/* A finished MT (re-assembled user data) for the handset dst. */
void control_mt(struct smscsim *sim, const char *src, const char *dst, unsigned dc,
                const unsigned char *udh, size_t udhlen, const unsigned char *data, size_t len);

#endif
