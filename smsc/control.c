/*
 * control — smscsim's loopback control port, through which simulated
 * handsets (phonesim, the e2e tests) send MO and collect the MT addressed to
 * them, and through which a test reads counters and turns fault knobs. One
 * line per request, one line per answer:
 *
 *   PING                              -> PONG
 *   MO <from> <to> <hex utf-8>        -> OK <id>     (text MO, GSM or UCS-2, split if long)
 *   MOBIN <from> <to> <hex udh|-> <hex data> [ref16]
 *                                     -> OK <id>     (8-bit MO, esm_class UDHI when a
 *                                                     UDH is given; split if long, every
 *                                                     part with the UDH's IEs and an 8-bit
 *                                                     or 16-bit concatenation reference)
 *   MOUCS2 <from> <to> <hex octets>   -> OK <id>     (data_coding 8 with these octets as
 *                                                     they are: lone surrogates, odd length)
 *   MTBIN <src> <dst> <hex udh|-> <hex data>
 *                                     -> OK          (an 8-bit MT put straight into dst's
 *                                                     inbox, as if from another SMSC link:
 *                                                     the MMSC simulator's WAP push)
 *   WAIT <msisdn> <timeout_ms>        -> MT <src> <dst> TEXT <hex utf-8>
 *                                      | MT <src> <dst> BIN <dc> <hex udh|-> <hex data>
 *                                      | TIMEOUT
 *   STATS                             -> STATS key=value ...
 *   FAULT throttle=0.1 delay_ms=N drop=1 receipts=on|off outcomes=<rules>
 *                                     -> OK     (outcomes: as receipt_outcomes,
 *                                                comma-separated; "-" clears)
 *
 * Each handset has an inbox of finished MT lines and a queue of open WAITs;
 * a connection has at most one WAIT open, its later lines wait in its
 * buffer. Not here: SMPP (smpp_server.c turns MO into deliver_sm and hands
 * finished MT to control_mt), sockets and timers (smscsim.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "outcome.h"
#include "reassembly.h"
#include "simcodec.h"
#include "smscsim.h"
#include "smsudh.h"

/* ---- handsets ------------------------------------------------------------ */

struct waiter {
    int fd;
    uint64_t conn_id;
    uint32_t gen;
    struct waiter *next;
};

struct line {
    char *text;
    struct line *next;
};

struct phone {
    char *msisdn;
    struct line *inbox, *inbox_tail;
    struct waiter *waiters, *waiters_tail;
    struct phone *next;
};

#define PHONE_BUCKETS 16384

struct control {
    struct phone *phones[PHONE_BUCKETS];
    unsigned long long next_mo_id; /* the id in "OK <id>" */
    unsigned mo_ref;               /* concatenation reference of the last MO (16 bits) */
};

struct control *control_new(void)
{
    struct control *ctl = xcalloc(1, sizeof *ctl);
    ctl->next_mo_id = 1;
    return ctl;
}

void control_free(struct control *ctl)
{
    size_t b;

    if (!ctl)
        return;
    for (b = 0; b < PHONE_BUCKETS; b++) {
        struct phone *p = ctl->phones[b];
        while (p) {
            struct phone *pn = p->next;
            while (p->inbox) {
                struct line *l = p->inbox;
                p->inbox = l->next;
                free(l->text);
                free(l);
            }
            while (p->waiters) {
                struct waiter *w = p->waiters;
                p->waiters = w->next;
                free(w);
            }
            free(p->msisdn);
            free(p);
            p = pn;
        }
    }
    free(ctl);
}

static unsigned long strhash(const char *s)
{
    unsigned long h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

static struct phone *phone_get(struct control *ctl, const char *msisdn)
{
    struct phone **pp = &ctl->phones[strhash(msisdn) % PHONE_BUCKETS], *p;
    for (p = *pp; p; p = p->next)
        if (strcmp(p->msisdn, msisdn) == 0)
            return p;
    p = xcalloc(1, sizeof *p);
    p->msisdn = xstrdup(msisdn);
    p->next = *pp;
    *pp = p;
    return p;
}

static void ctl_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ctl_printf(struct conn *c, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        smscsim_conn_send(c, small, (size_t)n);
    } else {
        char *big = xmalloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        smscsim_conn_send(c, big, (size_t)n);
        free(big);
    }
}

/* Hand a finished MT line to the handset: the oldest live WAIT, else the
 * inbox (consumes line). */
static void phone_deliver(struct smscsim *sim, const char *msisdn, char *line)
{
    struct phone *p = phone_get(sim->control, msisdn);

    while (p->waiters) {
        struct waiter *w = p->waiters;
        struct conn *c = smscsim_conn_lookup(sim, w->fd, w->conn_id);
        p->waiters = w->next;
        if (!p->waiters)
            p->waiters_tail = NULL;
        if (c && c->waiting && c->wait_gen == w->gen) {
            free(w);
            c->waiting = false;
            smscsim_conn_send(c, line, strlen(line));
            smscsim_conn_send(c, "\n", 1);
            free(line);
            if (!smscsim_conn_flush(sim, c))
                smscsim_conn_close(sim, c);
            return;
        }
        free(w);
    }
    struct line *l = xcalloc(1, sizeof *l);
    l->text = line;
    if (p->inbox_tail)
        p->inbox_tail->next = l;
    else
        p->inbox = l;
    p->inbox_tail = l;
}

/* ---- MT to the handset ---------------------------------------------------- */

void control_mt(struct smscsim *sim, const char *src, const char *dst, unsigned dc,
                const unsigned char *udh, size_t udhlen, const unsigned char *data, size_t len)
{
    char *utf8 = NULL, *line = NULL;
    size_t ulen = 0;
    enum simcodec_kind kind = simcodec_decode(dc, data, len, &utf8, &ulen);

    if (kind == SIMCODEC_TEXT) {
        char *hex = xmalloc(ulen * 2 + 1);
        simcodec_hex((const unsigned char *)utf8, ulen, hex);
        line = xasprintf("MT %s %s TEXT %s", src, dst, hex);
        free(hex);
    } else if (kind == SIMCODEC_BINARY) {
        char *hu = xmalloc(udhlen * 2 + 2), *hd = xmalloc(len * 2 + 1);
        if (udhlen)
            simcodec_hex(udh, udhlen, hu);
        else
            strcpy(hu, "-");
        simcodec_hex(data, len, hd);
        line = xasprintf("MT %s %s BIN %u %s %s", src, dst, dc, hu, hd);
        free(hu);
        free(hd);
    } else {
        log_warn("smscsim: mt undecodable src=%s dst=%s dc=%u len=%zu", src, dst, dc, len);
        goto out;
    }
    sim->stats.mt_done++;
    phone_deliver(sim, dst, line);
    line = NULL;
out:
    free(utf8);
    free(line);
}

/* ---- requests ------------------------------------------------------------ */

static bool valid_addr(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 21;
}

enum mo_kind { MO_TEXT, MO_BIN, MO_UCS2 };

static void ctl_mo(struct smscsim *sim, struct conn *c, char **argv, int argc, enum mo_kind kind)
{
    struct control *ctl = sim->control;
    unsigned char *text = NULL, *udh = NULL;
    size_t tlen = 0, ulen = 0, n = 0;
    struct simcodec_part *parts = NULL;
    bool binary = kind == MO_BIN, ref16 = false;
    bool encoded;

    if (binary && argc == 6 && strcmp(argv[5], "ref16") == 0) {
        ref16 = true;
        argc--;
    }
    if (argc != (binary ? 5 : 4) || !valid_addr(argv[1]) || !valid_addr(argv[2])) {
        ctl_printf(c, "ERR usage\n");
        goto out;
    }
    if (!simcodec_unhex(argv[binary ? 4 : 3], strlen(argv[binary ? 4 : 3]), &text, &tlen) ||
        (binary && strcmp(argv[3], "-") != 0 &&
         !simcodec_unhex(argv[3], strlen(argv[3]), &udh, &ulen))) {
        ctl_printf(c, "ERR hex\n");
        goto out;
    }
    /* one counter: a 16-bit reference uses all of it, an 8-bit one its low octet */
    ctl->mo_ref = (ctl->mo_ref + 1) & 0xffff;
    if (kind == MO_BIN)
        encoded = simcodec_mo_encode_binary(udh, ulen, text, tlen, ref16,
                                            ref16 ? ctl->mo_ref : ctl->mo_ref & 0xff, &parts, &n);
    else if (kind == MO_UCS2)
        encoded = simcodec_mo_encode_ucs2(text, tlen, ctl->mo_ref & 0xff, &parts, &n);
    else
        encoded = simcodec_mo_encode((char *)text, tlen, ctl->mo_ref & 0xff, &parts, &n);
    if (!encoded) {
        ctl_printf(c, "ERR encoding\n");
        goto out;
    }
    smpp_server_queue_mo(sim, argv[1], argv[2], parts, n);
    sim->stats.mo_accepted++;
    ctl_printf(c, "OK %llu\n", ctl->next_mo_id++);
out:
    free(text);
    free(udh);
    free(parts);
}

/* MTBIN: a binary MT delivered to the handset without SMPP, as the
 * operator's MMSC would send its WAP push over its own SMSC link. */
static void ctl_mtbin(struct smscsim *sim, struct conn *c, char **argv, int argc)
{
    unsigned char *data = NULL, *udh = NULL;
    size_t dlen = 0, ulen = 0;
    struct smsudh u;

    if (argc != 5 || !valid_addr(argv[1]) || !valid_addr(argv[2])) {
        ctl_printf(c, "ERR usage\n");
        goto out;
    }
    if (!simcodec_unhex(argv[4], strlen(argv[4]), &data, &dlen) ||
        (strcmp(argv[3], "-") != 0 && !simcodec_unhex(argv[3], strlen(argv[3]), &udh, &ulen))) {
        ctl_printf(c, "ERR hex\n");
        goto out;
    }
    if (ulen > 0 && !smsudh_parse(udh, ulen, &u)) {
        ctl_printf(c, "ERR udh\n");
        goto out;
    }
    sim->stats.mt_injected++;
    control_mt(sim, argv[1], argv[2], 4, udh, ulen, data, dlen);
    ctl_printf(c, "OK\n");
out:
    free(data);
    free(udh);
}

static void ctl_wait(struct smscsim *sim, struct conn *c, char **argv, int argc)
{
    struct phone *p;
    long timeout;

    if (argc != 3 || !valid_addr(argv[1]) || (timeout = strtol(argv[2], NULL, 10)) < 0) {
        ctl_printf(c, "ERR usage\n");
        return;
    }
    p = phone_get(sim->control, argv[1]);
    if (p->inbox) {
        struct line *l = p->inbox;
        p->inbox = l->next;
        if (!p->inbox)
            p->inbox_tail = NULL;
        ctl_printf(c, "%s\n", l->text);
        free(l->text);
        free(l);
        return;
    }
    if (timeout == 0) {
        ctl_printf(c, "TIMEOUT\n");
        return;
    }
    struct waiter *w = xcalloc(1, sizeof *w);
    c->waiting = true;
    c->wait_gen++;
    w->fd = c->fd;
    w->conn_id = c->id;
    w->gen = c->wait_gen;
    if (p->waiters_tail)
        p->waiters_tail->next = w;
    else
        p->waiters = w;
    p->waiters_tail = w;
    struct timer t = { smscsim_now_ms() + timeout, T_WAIT, c->fd, c->id, c->wait_gen, NULL };
    smscsim_timer_add(sim, t);
}

static void ctl_fault(struct smscsim *sim, struct conn *c, char **argv, int argc)
{
    int i;
    bool drop = false;

    for (i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            ctl_printf(c, "ERR usage\n");
            return;
        }
        *eq++ = '\0';
        if (strcmp(argv[i], "throttle") == 0)
            sim->fault.throttle = strtod(eq, NULL);
        else if (strcmp(argv[i], "delay_ms") == 0)
            sim->fault.delay_ms = strtoll(eq, NULL, 10);
        else if (strcmp(argv[i], "drop") == 0)
            drop = strcmp(eq, "0") != 0;
        else if (strcmp(argv[i], "receipts") == 0)
            sim->fault.receipts = strcmp(eq, "off") != 0 && strcmp(eq, "0") != 0;
        else if (strcmp(argv[i], "outcomes") == 0) {
            struct outcome_rules *r = NULL;
            char err[160];
            if (outcome_rules_parse(strcmp(eq, "-") == 0 ? "" : eq, &r, err, sizeof err) !=
                OUTCOME_OK) {
                ctl_printf(c, "ERR outcomes: %s\n", err);
                return;
            }
            outcome_rules_free(sim->outcomes);
            sim->outcomes = r;
        } else {
            ctl_printf(c, "ERR unknown knob %s\n", argv[i]);
            return;
        }
    }
    log_info("smscsim: fault throttle=%.3f delay_ms=%lld receipts=%s drop=%d",
             sim->fault.throttle, sim->fault.delay_ms, sim->fault.receipts ? "on" : "off", drop);
    if (drop)
        smscsim_drop_smpp(sim);
    ctl_printf(c, "OK\n");
}

static void ctl_stats(struct smscsim *sim, struct conn *c)
{
    int fd, bound = 0;
    size_t ready, inflight;

    for (fd = 0; fd < sim->max_fd; fd++)
        if (sim->conns[fd] && sim->conns[fd]->kind == K_SMPP &&
            (sim->conns[fd]->bound_rx || sim->conns[fd]->bound_tx))
            bound++;
    smpp_server_queue_lengths(sim, &ready, &inflight);
    /* mo_retries counts every re-sent deliver_sm, receipts included (the
     * name predates receipts); resp_timeouts + temp_errors say why */
    ctl_printf(c,
               "STATS bound=%d binds=%llu bind_fail=%llu submits=%llu throttled=%llu mt_done=%llu "
               "mt_pending=%zu mt_expired=%llu mt_undelivered=%llu "
               "mo_accepted=%llu mo_parts_acked=%llu mo_retries=%llu mo_rejected=%llu "
               "resp_timeouts=%llu temp_errors=%llu "
               "receipts_sent=%llu receipts_acked=%llu receipts_failed=%llu drops=%llu "
               "mt_injected=%llu ready=%zu inflight=%zu\n",
               bound, sim->stats.binds, sim->stats.bind_fail, sim->stats.submits,
               sim->stats.throttled, sim->stats.mt_done, reassembly_pending(sim->reasm),
               sim->stats.mt_expired, sim->stats.mt_undelivered, sim->stats.mo_accepted,
               sim->stats.mo_parts_acked, sim->stats.mo_retries, sim->stats.mo_rejected,
               sim->stats.resp_timeouts, sim->stats.temp_errors, sim->stats.receipts_sent,
               sim->stats.receipts_acked, sim->stats.receipts_failed, sim->stats.drops,
               sim->stats.mt_injected, ready, inflight);
}

static void ctl_line(struct smscsim *sim, struct conn *c, char *line)
{
    char *argv[8], *save = NULL, *tok;
    int argc = 0;

    for (tok = strtok_r(line, " \t\r", &save); tok && argc < 8; tok = strtok_r(NULL, " \t\r", &save))
        argv[argc++] = tok;
    if (argc == 0)
        return;
    if (strcmp(argv[0], "PING") == 0)
        ctl_printf(c, "PONG\n");
    else if (strcmp(argv[0], "MO") == 0)
        ctl_mo(sim, c, argv, argc, MO_TEXT);
    else if (strcmp(argv[0], "MOBIN") == 0)
        ctl_mo(sim, c, argv, argc, MO_BIN);
    else if (strcmp(argv[0], "MOUCS2") == 0)
        ctl_mo(sim, c, argv, argc, MO_UCS2);
    else if (strcmp(argv[0], "MTBIN") == 0)
        ctl_mtbin(sim, c, argv, argc);
    else if (strcmp(argv[0], "WAIT") == 0)
        ctl_wait(sim, c, argv, argc);
    else if (strcmp(argv[0], "STATS") == 0)
        ctl_stats(sim, c);
    else if (strcmp(argv[0], "FAULT") == 0)
        ctl_fault(sim, c, argv, argc);
    else
        ctl_printf(c, "ERR unknown command\n");
}

bool control_input(struct smscsim *sim, struct conn *c)
{
    /* one WAIT at a time per connection: later lines wait in the buffer */
    while (!c->waiting && !c->closing && c->in.bytes.len > c->in.off) {
        char *start = c->in.bytes.data + c->in.off;
        char *nl = memchr(start, '\n', c->in.bytes.len - c->in.off);
        if (!nl) {
            if (c->in.bytes.len - c->in.off > 1 << 20)
                return false; /* a line over 1 MiB is not a handset */
            break;
        }
        *nl = '\0';
        c->in.off += (size_t)(nl - start) + 1;
        ctl_line(sim, c, start);
    }
    return true;
}

void control_wait_expired(struct smscsim *sim, struct conn *c, uint32_t gen)
{
    if (!c->waiting || c->wait_gen != gen)
        return; /* answered already, or a later WAIT is open */
    c->waiting = false;
    ctl_printf(c, "TIMEOUT\n");
    control_input(sim, c); /* lines that queued behind the WAIT */
    if (!smscsim_conn_flush(sim, c))
        smscsim_conn_close(sim, c);
}
