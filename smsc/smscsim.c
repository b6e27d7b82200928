/*
 * smscsim — an SMPP 3.4 SMSC simulator that bearerbox binds to exactly as it
 * would to an operator's SMSC, plus a loopback control port through which
 * simulated handsets (phonesim) send MO and collect the MT addressed to them.
 *
 * One thread, one epoll loop: every socket is non-blocking with TCP_NODELAY,
 * and libsmpp34 (not thread-safe: global errno) is only ever called from this
 * thread. PDU headers are read here, not by libsmpp34, so that unknown
 * commands get generic_nack and bad binds get a bind_*_resp error. It is not
 * a store-and-forward SMSC: nothing survives a restart, and MT is "delivered"
 * the moment the last part arrives. Receipts say DELIVRD unless a
 * receipt_outcomes rule for the destination prefix says otherwise (outcome.h);
 * an MT whose outcome is not DELIVRD never reaches the handset. Concatenated
 * MT is re-assembled by reassembly.c; what is still incomplete after
 * reassembly_timeout_ms is dropped and counted (mt_expired).
 *
 * Control protocol (one line per request, one line per answer):
 *   PING                              -> PONG
 *   MO <from> <to> <hex utf-8>        -> OK <id>     (text MO, GSM or UCS-2, split if long)
 *   MOBIN <from> <to> <hex udh|-> <hex data> -> OK <id>   (8-bit MO)
 *   WAIT <msisdn> <timeout_ms>        -> MT <src> <dst> TEXT <hex utf-8>
 *                                      | MT <src> <dst> BIN <dc> <hex udh|-> <hex data>
 *                                      | TIMEOUT
 *   STATS                             -> STATS key=value ...
 *   FAULT throttle=0.1 delay_ms=N drop=1 receipts=on|off outcomes=<rules>
 *                                     -> OK     (outcomes: as receipt_outcomes,
 *                                                comma-separated; "-" clears)
 *
 * A deliver_sm (MO or receipt) the ESME does not answer within
 * resp_timeout_ms, or answers with a temporary error (0x64 RX_T_APPN, 0x58,
 * 0x14, 0x08), is sent again after retry_delay_ms, for ever: STATS counts
 * resp_timeouts, temp_errors and retries.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include "alloc.h"
#include "config.h"
#include "log.h"
#include "outcome.h"
#include "reassembly.h"
#include "simcodec.h"

/* ---- settings ---------------------------------------------------------- */

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

static struct settings cfg;

/* ---- small containers --------------------------------------------------- */

struct buf {
    unsigned char *p;
    size_t off, len, cap; /* data is p[off..len) */
};

static void buf_add(struct buf *b, const void *data, size_t n)
{
    if (b->off > 0 && b->off == b->len)
        b->off = b->len = 0;
    if (b->len + n > b->cap) {
        if (b->off > 0) {
            memmove(b->p, b->p + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
        while (b->len + n > b->cap)
            b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned long strhash(const char *s)
{
    unsigned long h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

/* ---- connections --------------------------------------------------------- */

enum conn_kind { K_SMPP_LISTEN, K_CTL_LISTEN, K_SMPP, K_CTL };

struct conn {
    int fd;
    enum conn_kind kind;
    uint64_t id;
    struct buf in, out;
    bool want_out, closing;
    /* SMPP */
    bool bound_tx, bound_rx;
    long long outstanding;
    /* control */
    bool waiting;
    uint32_t wait_gen;
};

#define MAX_FD 65536
static struct conn *conns[MAX_FD];
static int epfd = -1;
static uint64_t next_conn_id = 1;
static int max_fd; /* highest fd in conns[] + 1: loops over conns stop here */
static volatile sig_atomic_t stopping;

/* ---- faults and counters ------------------------------------------------- */

static struct {
    double throttle;       /* fraction of submit_sm answered ESME_RTHROTTLED */
    long long delay_ms;    /* delay every submit_sm_resp */
    bool receipts;         /* send delivery receipts */
} fault = { 0.0, 0, true };

static struct outcome_rules *outcomes; /* NULL: every receipt DELIVRD */
static struct reassembly *reasm;

static struct {
    unsigned long long binds, bind_fail, submits, throttled, mt_done, mt_expired, mt_undelivered,
        mo_accepted, mo_parts_acked, mo_retries, mo_rejected, resp_timeouts, temp_errors,
        receipts_sent, receipts_acked, receipts_failed, drops;
} stats;

/* ---- timers: one binary heap -------------------------------------------- */

enum timer_type { T_WAIT, T_DELAYED_WRITE, T_RESP_TIMEOUT, T_REQUEUE };

struct timer {
    int64_t due;
    enum timer_type type;
    int fd;
    uint64_t conn_id;
    uint32_t n;    /* wait generation or sequence number */
    void *owned;   /* T_DELAYED_WRITE: struct dwrite; T_REQUEUE: struct dlv */
};

static struct timer *heap;
static size_t heap_len, heap_cap;

static void heap_push(struct timer t)
{
    size_t i;
    if (heap_len == heap_cap) {
        heap_cap = heap_cap ? heap_cap * 2 : 256;
        heap = xrealloc(heap, heap_cap * sizeof *heap);
    }
    i = heap_len++;
    while (i > 0 && heap[(i - 1) / 2].due > t.due) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = t;
}

static struct timer heap_pop(void)
{
    struct timer top = heap[0], last = heap[--heap_len];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= heap_len)
            break;
        if (c + 1 < heap_len && heap[c + 1].due < heap[c].due)
            c++;
        if (heap[c].due >= last.due)
            break;
        heap[i] = heap[c];
        i = c;
    }
    if (heap_len > 0)
        heap[i] = last;
    return top;
}

/* ---- deliveries (deliver_sm to the ESME: MO parts and receipts) ---------- */

struct dlv {
    bool receipt;
    uint32_t seq;          /* while in flight */
    int fd;                /* connection it is in flight on */
    uint64_t conn_id;
    int attempts;
    size_t len;
    unsigned char *pdu;    /* packed deliver_sm; bytes 12..15 patched per send */
    struct dlv *next;      /* ready queue or seq-table chain */
};

static struct dlv *ready_head, *ready_tail;
static size_t ready_len;
#define SEQ_BUCKETS 65536
static struct dlv *inflight[SEQ_BUCKETS];
static size_t inflight_len;
static uint32_t next_seq = 1;

static void ready_push(struct dlv *d)
{
    d->next = NULL;
    if (ready_tail)
        ready_tail->next = d;
    else
        ready_head = d;
    ready_tail = d;
    ready_len++;
}

static struct dlv *inflight_take(uint32_t seq)
{
    struct dlv **pp = &inflight[seq % SEQ_BUCKETS];
    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->seq == seq) {
            struct dlv *d = *pp;
            *pp = d->next;
            inflight_len--;
            return d;
        }
    }
    return NULL;
}

static void dlv_free(struct dlv *d)
{
    if (d) {
        free(d->pdu);
        free(d);
    }
}

/* Put d back for another attempt after retry_delay_ms (consumes d). */
static void dlv_retry(struct dlv *d)
{
    struct timer t = { now_ms() + cfg.retry_delay_ms, T_REQUEUE, -1, 0, 0, d };
    stats.mo_retries++;
    heap_push(t);
}

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
static struct phone *phones[PHONE_BUCKETS];

static struct phone *phone_get(const char *msisdn)
{
    struct phone **pp = &phones[strhash(msisdn) % PHONE_BUCKETS], *p;
    for (p = *pp; p; p = p->next)
        if (strcmp(p->msisdn, msisdn) == 0)
            return p;
    p = xcalloc(1, sizeof *p);
    p->msisdn = xstrdup(msisdn);
    p->next = *pp;
    *pp = p;
    return p;
}

/* ---- output -------------------------------------------------------------- */

static void conn_close(struct conn *c);

static void conn_update_events(struct conn *c, bool want_out)
{
    struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.fd = c->fd };
    if (c->want_out == want_out)
        return;
    c->want_out = want_out;
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write as much of the output buffer as the socket takes now. */
static int conn_flush(struct conn *c)
{
    while (c->out.off < c->out.len) {
        ssize_t n = send(c->fd, c->out.p + c->out.off, c->out.len - c->out.off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            return -1;
        }
        c->out.off += (size_t)n;
    }
    if (c->out.off == c->out.len)
        c->out.off = c->out.len = 0;
    conn_update_events(c, c->out.len > 0);
    return 0;
}

static void conn_send(struct conn *c, const void *data, size_t n)
{
    buf_add(&c->out, data, n);
}

static struct conn *conn_lookup(int fd, uint64_t id)
{
    if (fd < 0 || fd >= MAX_FD || conns[fd] == NULL || conns[fd]->id != id)
        return NULL;
    return conns[fd];
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
        conn_send(c, small, (size_t)n);
    } else {
        char *big = xmalloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        conn_send(c, big, (size_t)n);
        free(big);
    }
}

/* Hand a finished MT line to the handset: the oldest live WAIT, else the inbox. */
static void phone_deliver(const char *msisdn, char *line)
{
    struct phone *p = phone_get(msisdn);

    while (p->waiters) {
        struct waiter *w = p->waiters;
        struct conn *c = conn_lookup(w->fd, w->conn_id);
        p->waiters = w->next;
        if (!p->waiters)
            p->waiters_tail = NULL;
        if (c && c->waiting && c->wait_gen == w->gen) {
            free(w);
            c->waiting = false;
            conn_send(c, line, strlen(line));
            conn_send(c, "\n", 1);
            free(line);
            if (conn_flush(c) != 0)
                conn_close(c);
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

/* ---- SMPP: PDUs out ------------------------------------------------------ */

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A header-only PDU (generic_nack, enquire_link_resp, unbind_resp). */
static void send_header_pdu(struct conn *c, uint32_t cmd, uint32_t status, uint32_t seq)
{
    unsigned char h[16];
    put_u32(h, 16);
    put_u32(h + 4, cmd);
    put_u32(h + 8, status);
    put_u32(h + 12, seq);
    conn_send(c, h, sizeof h);
}

/* Pack a libsmpp34 struct; returns malloc'd bytes or NULL (logged). */
static unsigned char *pack_pdu(void *pdu, size_t *len)
{
    unsigned char tmp[2048];
    int n = 0;

    if (smpp34_pack2(tmp, sizeof tmp, &n, pdu) != 0) {
        log_error("smscsim: pack failed error=\"%s\"", smpp34_strerror);
        return NULL;
    }
    *len = (size_t)n;
    unsigned char *out = xmalloc((size_t)n);
    memcpy(out, tmp, (size_t)n);
    return out;
}

/* Pack a deliver_sm: MO part or receipt (copies its arguments); a receipt
 * (receipted_id set) carries receipted_message_id and message_state TLVs. */
static struct dlv *make_deliver(const char *src, const char *dst, unsigned char esm_class,
                                unsigned char dc, const unsigned char *sm, size_t smlen,
                                const char *receipted_id, unsigned char message_state, bool receipt)
{
    deliver_sm_t d;
    tlv_t tlv;
    struct dlv *out = NULL;
    size_t len = 0;
    unsigned char *bytes;

    memset(&d, 0, sizeof d);
    d.command_id = DELIVER_SM;
    d.sequence_number = 1;
    snprintf((char *)d.service_type, sizeof d.service_type, "%s", "");
    d.source_addr_ton = TON_International;
    d.source_addr_npi = NPI_ISDN_E163_E164;
    snprintf((char *)d.source_addr, sizeof d.source_addr, "%s", src);
    d.dest_addr_ton = TON_Unknown;
    d.dest_addr_npi = NPI_ISDN_E163_E164;
    snprintf((char *)d.destination_addr, sizeof d.destination_addr, "%s", dst);
    d.esm_class = esm_class;
    d.data_coding = dc;
    d.sm_length = (uint8_t)smlen;
    memcpy(d.short_message, sm, smlen);
    if (receipted_id) {
        memset(&tlv, 0, sizeof tlv);
        tlv.tag = TLVID_receipted_message_id;
        tlv.length = (uint16_t)(strlen(receipted_id) + 1);
        memcpy(tlv.value.octet, receipted_id, tlv.length);
        build_tlv(&d.tlv, &tlv);
        memset(&tlv, 0, sizeof tlv);
        tlv.tag = TLVID_message_state;
        tlv.length = 1;
        tlv.value.val08 = message_state;
        build_tlv(&d.tlv, &tlv);
    }
    bytes = pack_pdu(&d, &len);
    destroy_tlv(d.tlv);
    if (!bytes)
        goto out;
    out = xcalloc(1, sizeof *out);
    out->receipt = receipt;
    out->pdu = bytes;
    out->len = len;
    out->fd = -1;
out:
    return out;
}

/* Send ready deliveries to receiver binds, round robin, within the window. */
static void pump(void)
{
    static int rr;

    while (ready_head) {
        struct conn *c = NULL;
        int i;
        for (i = 0; i < max_fd; i++) {
            int fd = (rr + i) % max_fd;
            struct conn *k = conns[fd];
            if (k && k->kind == K_SMPP && k->bound_rx && !k->closing && k->outstanding < cfg.window) {
                c = k;
                rr = fd + 1;
                break;
            }
        }
        if (!c)
            return; /* nobody can take it now: it waits for a bind or a resp */
        struct dlv *d = ready_head;
        ready_head = d->next;
        if (!ready_head)
            ready_tail = NULL;
        ready_len--;
        d->seq = next_seq++;
        if (next_seq > 0x7fffffff)
            next_seq = 1;
        put_u32(d->pdu + 12, d->seq);
        d->fd = c->fd;
        d->conn_id = c->id;
        d->attempts++;
        d->next = inflight[d->seq % SEQ_BUCKETS];
        inflight[d->seq % SEQ_BUCKETS] = d;
        inflight_len++;
        c->outstanding++;
        if (d->receipt)
            stats.receipts_sent++;
        conn_send(c, d->pdu, d->len);
        struct timer t = { now_ms() + cfg.resp_timeout_ms, T_RESP_TIMEOUT, -1, 0, d->seq, NULL };
        heap_push(t);
        if (conn_flush(c) != 0)
            conn_close(c);
    }
}

/* ---- MT to the handset ---------------------------------------------------- */

/* Decode finished user data and hand it to the handset. */
static void mt_complete(const char *src, const char *dst, unsigned dc, const unsigned char *udh,
                        size_t udhlen, const unsigned char *data, size_t len)
{
    char *utf8 = NULL, *line = NULL;
    size_t ulen = 0;
    int kind = simcodec_decode(dc, data, len, &utf8, &ulen);

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
    stats.mt_done++;
    phone_deliver(dst, line);
    line = NULL;
out:
    free(utf8);
    free(line);
}

static void mt_part(const struct reassembly_part *part)
{
    struct reassembly_msg m;

    if (reassembly_add(reasm, now_ms(), part, &m) != REASSEMBLY_COMPLETE)
        return;
    mt_complete(m.src, m.dst, m.dc, m.udh, m.udhlen, m.data, m.len);
    reassembly_msg_cleanup(&m);
}

/* ---- SMPP: PDUs in ------------------------------------------------------- */

/* The interface_version octet of a bind (after three C-octet strings), or -1
 * if the body is too short to hold it. Read by hand: libsmpp34 refuses to
 * unpack anything but 0x34, which would make a version mismatch look like a
 * malformed PDU. */
static int bind_interface_version(const unsigned char *pdu, size_t len)
{
    size_t o = 16;
    int i;
    for (i = 0; i < 3; i++) {
        const unsigned char *nul = o < len ? memchr(pdu + o, 0, len - o) : NULL;
        if (!nul)
            return -1;
        o = (size_t)(nul - pdu) + 1;
    }
    return o < len ? pdu[o] : -1;
}

static void handle_bind(struct conn *c, uint32_t cmd, const unsigned char *pdu, size_t len,
                        uint32_t seq)
{
    int version = bind_interface_version(pdu, len);

    bind_transceiver_t req; /* bind_transmitter_t / bind_receiver_t have the same layout */
    bind_transceiver_resp_t resp;
    uint32_t status = ESME_ROK;
    unsigned char *bytes = NULL;
    size_t n = 0;

    memset(&req, 0, sizeof req);
    if (version >= 0 && version != 0x34) {
        /* SMPP 3.4 has no code of its own for this: "Bind Failed" */
        log_warn("smscsim: bind unsupported fd=%d interface_version=0x%02x", c->fd, version);
        status = ESME_RBINDFAIL;
    } else if (smpp34_unpack(cmd, &req, pdu, (int)len) != 0) {
        /* smpp34_strerror dumps every field, the password too: not logged */
        log_warn("smscsim: bind malformed fd=%d", c->fd);
        status = ESME_RBINDFAIL;
    } else if (c->bound_tx || c->bound_rx) {
        status = ESME_RALYBND;
    } else if (strcmp((char *)req.system_id, cfg.system_id) != 0) {
        status = ESME_RINVSYSID;
    } else if (strcmp((char *)req.password, cfg.password) != 0) {
        status = ESME_RINVPASWD;
    }
    memset(&resp, 0, sizeof resp);
    resp.command_id = cmd | 0x80000000u;
    resp.command_status = status;
    resp.sequence_number = seq;
    snprintf((char *)resp.system_id, sizeof resp.system_id, "%s", "smscsim");
    bytes = pack_pdu(&resp, &n);
    if (bytes) {
        conn_send(c, bytes, n);
        free(bytes);
    }
    if (status != ESME_ROK) {
        stats.bind_fail++;
        log_warn("smscsim: bind refused fd=%d status=0x%02x", c->fd, status);
        return;
    }
    stats.binds++;
    c->bound_tx = cmd == BIND_TRANSMITTER || cmd == BIND_TRANSCEIVER;
    c->bound_rx = cmd == BIND_RECEIVER || cmd == BIND_TRANSCEIVER;
    log_info("smscsim: bind ok fd=%d mode=%s", c->fd,
             cmd == BIND_TRANSCEIVER ? "trx" : cmd == BIND_TRANSMITTER ? "tx" : "rx");
}

static tlv_t *find_tlv(tlv_t *list, uint16_t tag)
{
    for (; list; list = list->next)
        if (list->tag == tag)
            return list;
    return NULL;
}

struct dwrite {
    size_t len;
    unsigned char data[];
};

static void send_or_delay(struct conn *c, const unsigned char *bytes, size_t n)
{
    if (fault.delay_ms <= 0) {
        conn_send(c, bytes, n);
        return;
    }
    struct dwrite *w = xmalloc(sizeof *w + n);
    w->len = n;
    memcpy(w->data, bytes, n);
    struct timer t = { now_ms() + fault.delay_ms, T_DELAYED_WRITE, c->fd, c->id, 0, w };
    heap_push(t);
}

static void handle_submit(struct conn *c, const unsigned char *pdu, size_t len, uint32_t seq)
{
    static unsigned long long next_msgid = 1;
    submit_sm_t *req = NULL;
    submit_sm_resp_t resp;
    unsigned char *bytes = NULL, *udh = NULL, *data;
    size_t n = 0, dlen, udhlen = 0;
    char msgid[24];
    struct simcodec_udh u;
    tlv_t *t;
    unsigned ref = 0, rd;
    int total = 1, part = 1;
    const struct outcome *oc;

    memset(&resp, 0, sizeof resp);
    resp.command_id = SUBMIT_SM_RESP;
    resp.sequence_number = seq;
    stats.submits++;
    req = xcalloc(1, sizeof *req);
    if (!c->bound_tx) {
        resp.command_status = ESME_RINVBNDSTS;
        goto respond;
    }
    if (smpp34_unpack(SUBMIT_SM, req, pdu, (int)len) != 0) {
        log_warn("smscsim: submit malformed fd=%d", c->fd);
        /* the dump holds the message body: debug level only */
        log_debug("smscsim: submit unpack error=\"%s\"", smpp34_strerror);
        resp.command_status = ESME_RSUBMITFAIL; /* permanent: Kannel must not retry it */
        goto respond;
    }
    /* fault knob: refuse a fraction of submits as throttled */
    if (fault.throttle > 0 && (double)rand() / RAND_MAX < fault.throttle) {
        stats.throttled++;
        resp.command_status = ESME_RTHROTTLED;
        goto respond;
    }
    snprintf(msgid, sizeof msgid, "%llu", next_msgid++);
    snprintf((char *)resp.message_id, sizeof resp.message_id, "%s", msgid);

    data = req->short_message;
    dlen = req->sm_length;
    if (dlen == 0 && (t = find_tlv(req->tlv, TLVID_message_payload)) != NULL) {
        data = t->value.octet;
        dlen = t->length;
    }
    if ((req->esm_class & 0x40) && dlen > 0 && (size_t)data[0] + 1 <= dlen) {
        udhlen = (size_t)data[0] + 1;
        udh = data;
        if (simcodec_udh_parse(udh, udhlen, &u) == 0 && u.concat) {
            ref = u.ref;
            total = u.total;
            part = u.seq;
        }
        data += udhlen;
        dlen -= udhlen;
    }
    if ((t = find_tlv(req->tlv, TLVID_sar_msg_ref_num)) != NULL) {
        tlv_t *tt = find_tlv(req->tlv, TLVID_sar_total_segments);
        tlv_t *ts = find_tlv(req->tlv, TLVID_sar_segment_seqnum);
        if (tt && ts) {
            ref = t->value.val16 | 0x10000u; /* SAR refs never collide with UDH refs */
            total = tt->value.val08;
            part = ts->value.val08;
        }
    }
    /* the destination prefix decides the outcome (outcome.h): only a
     * delivered MT reaches the handset */
    oc = outcome_for(outcomes, (char *)req->destination_addr);
    if (oc->delivered) {
        struct reassembly_part rp = {
            (char *)req->source_addr, (char *)req->destination_addr, req->data_coding, udh,
            udhlen, ref, total, part, data, dlen,
        };
        mt_part(&rp);
    } else {
        stats.mt_undelivered++;
        log_info("smscsim: mt not delivered msgid=%s stat=%s", msgid, oc->stat);
    }

    /* delivery receipt: registered_delivery bits 0-1 == 1 (success or
     * failure) or 2 (failure only) */
    rd = req->registered_delivery & 0x03;
    if (fault.receipts && (rd == 1 || (rd == 2 && !oc->delivered))) {
        char text[200], *utf8 = NULL;
        size_t ulen = 0, tl;
        time_t now = time(NULL);
        if (simcodec_decode(req->data_coding, data, dlen, &utf8, &ulen) != SIMCODEC_TEXT)
            ulen = 0;
        tl = simcodec_receipt_text(text, sizeof text, msgid, now, now, oc->stat, oc->err,
                                   utf8 ? utf8 : "", ulen);
        free(utf8);
        struct dlv *d = make_deliver((char *)req->destination_addr, (char *)req->source_addr,
                                     0x04, 0, (unsigned char *)text, tl, msgid,
                                     oc->message_state, true);
        if (d) {
            if (!oc->delivered)
                stats.receipts_failed++;
            if (cfg.receipt_delay_ms > 0) {
                struct timer tm = { now_ms() + cfg.receipt_delay_ms, T_REQUEUE, -1, 0, 0, d };
                heap_push(tm);
            } else {
                ready_push(d);
            }
        }
    }
respond:
    if (req)
        destroy_tlv(req->tlv);
    free(req);
    bytes = pack_pdu(&resp, &n);
    if (bytes) {
        send_or_delay(c, bytes, n);
        free(bytes);
    }
}

static void handle_deliver_resp(struct conn *c, uint32_t status, uint32_t seq)
{
    struct dlv *d = inflight_take(seq);

    if (!d) {
        log_debug("smscsim: late deliver_sm_resp fd=%d seq=%u", c->fd, seq);
        return;
    }
    if (c->outstanding > 0)
        c->outstanding--;
    if (status == ESME_ROK) {
        if (d->receipt)
            stats.receipts_acked++;
        else
            stats.mo_parts_acked++;
        dlv_free(d);
        return;
    }
    /* Kannel: 0x64 temporary (store full, box queue full), 0x66 reject */
    if (status == ESME_RX_T_APPN || status == ESME_RTHROTTLED || status == ESME_RMSGQFUL ||
        status == ESME_RSYSERR) {
        log_info("smscsim: deliver_sm temporary error status=0x%02x seq=%u attempts=%d", status,
                 seq, d->attempts);
        stats.temp_errors++;
        dlv_retry(d);
        return;
    }
    log_warn("smscsim: deliver_sm rejected status=0x%02x seq=%u", status, seq);
    stats.mo_rejected++;
    dlv_free(d);
}

/* One complete PDU (len bytes, header included). */
static void smpp_pdu(struct conn *c, const unsigned char *pdu, size_t len)
{
    uint32_t cmd = get_u32(pdu + 4), status = get_u32(pdu + 8), seq = get_u32(pdu + 12);

    switch (cmd) {
    case BIND_TRANSMITTER:
    case BIND_RECEIVER:
    case BIND_TRANSCEIVER:
        handle_bind(c, cmd, pdu, len, seq);
        break;
    case SUBMIT_SM:
        handle_submit(c, pdu, len, seq);
        break;
    case DELIVER_SM_RESP:
        handle_deliver_resp(c, status, seq);
        break;
    case ENQUIRE_LINK:
        send_header_pdu(c, ENQUIRE_LINK_RESP, ESME_ROK, seq);
        break;
    case ENQUIRE_LINK_RESP:
    case GENERIC_NACK:
        break;
    case UNBIND:
        send_header_pdu(c, UNBIND_RESP, ESME_ROK, seq);
        log_info("smscsim: unbind fd=%d", c->fd);
        c->bound_rx = c->bound_tx = false;
        c->closing = true;
        break;
    case UNBIND_RESP:
        c->closing = true;
        break;
    default:
        if (cmd & 0x80000000u)
            break; /* a response we did not ask for: ignore */
        log_warn("smscsim: unknown command fd=%d command_id=0x%08x", c->fd, cmd);
        send_header_pdu(c, GENERIC_NACK, ESME_RINVCMDID, seq);
        break;
    }
}

static int smpp_input(struct conn *c)
{
    while (c->in.len - c->in.off >= 16 && !c->closing) {
        const unsigned char *p = c->in.p + c->in.off;
        uint32_t len = get_u32(p);
        if (len < 16 || len > 65536) {
            log_warn("smscsim: bad command_length fd=%d len=%u", c->fd, len);
            send_header_pdu(c, GENERIC_NACK, ESME_RINVCMDLEN, get_u32(p + 12));
            c->closing = true;
            break;
        }
        if (c->in.len - c->in.off < len)
            break;
        smpp_pdu(c, p, len);
        c->in.off += len;
    }
    return 0;
}

/* ---- control protocol ---------------------------------------------------- */

static unsigned long long next_mo_id = 1;

static void queue_mo_parts(const char *from, const char *to, struct simcodec_part *parts, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        struct dlv *d = make_deliver(from, to, parts[i].esm_class, parts[i].data_coding,
                                     parts[i].sm, parts[i].sm_len, NULL, 0, false);
        if (d)
            ready_push(d);
    }
}

static bool valid_addr(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 21;
}

static void ctl_mo(struct conn *c, char **argv, int argc, bool binary)
{
    unsigned char *text = NULL, *udh = NULL;
    size_t tlen = 0, ulen = 0, n = 0;
    struct simcodec_part *parts = NULL;
    static unsigned ref = 0;

    if (argc != (binary ? 5 : 4) || !valid_addr(argv[1]) || !valid_addr(argv[2])) {
        ctl_printf(c, "ERR usage\n");
        goto out;
    }
    if (simcodec_unhex(argv[binary ? 4 : 3], strlen(argv[binary ? 4 : 3]), &text, &tlen) != 0 ||
        (binary && strcmp(argv[3], "-") != 0 &&
         simcodec_unhex(argv[3], strlen(argv[3]), &udh, &ulen) != 0)) {
        ctl_printf(c, "ERR hex\n");
        goto out;
    }
    ref = (ref + 1) & 0xff;
    if ((binary ? simcodec_mo_encode_binary(udh, ulen, text, tlen, ref, &parts, &n)
                : simcodec_mo_encode((char *)text, tlen, ref, &parts, &n)) != 0) {
        ctl_printf(c, "ERR encoding\n");
        goto out;
    }
    queue_mo_parts(argv[1], argv[2], parts, n);
    stats.mo_accepted++;
    ctl_printf(c, "OK %llu\n", next_mo_id++);
out:
    free(text);
    free(udh);
    free(parts);
}

static void ctl_wait(struct conn *c, char **argv, int argc)
{
    struct phone *p;
    long timeout;

    if (argc != 3 || !valid_addr(argv[1]) || (timeout = strtol(argv[2], NULL, 10)) < 0) {
        ctl_printf(c, "ERR usage\n");
        return;
    }
    p = phone_get(argv[1]);
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
    struct timer t = { now_ms() + timeout, T_WAIT, c->fd, c->id, c->wait_gen, NULL };
    heap_push(t);
}

static void drop_smpp_connections(void);

static void ctl_fault(struct conn *c, char **argv, int argc)
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
            fault.throttle = strtod(eq, NULL);
        else if (strcmp(argv[i], "delay_ms") == 0)
            fault.delay_ms = strtoll(eq, NULL, 10);
        else if (strcmp(argv[i], "drop") == 0)
            drop = strcmp(eq, "0") != 0;
        else if (strcmp(argv[i], "receipts") == 0)
            fault.receipts = strcmp(eq, "off") != 0 && strcmp(eq, "0") != 0;
        else if (strcmp(argv[i], "outcomes") == 0) {
            struct outcome_rules *r = NULL;
            char err[160];
            if (outcome_rules_parse(strcmp(eq, "-") == 0 ? "" : eq, &r, err, sizeof err) !=
                OUTCOME_OK) {
                ctl_printf(c, "ERR outcomes: %s\n", err);
                return;
            }
            outcome_rules_free(outcomes);
            outcomes = r;
        } else {
            ctl_printf(c, "ERR unknown knob %s\n", argv[i]);
            return;
        }
    }
    log_info("smscsim: fault throttle=%.3f delay_ms=%lld receipts=%s drop=%d", fault.throttle,
             fault.delay_ms, fault.receipts ? "on" : "off", drop);
    if (drop)
        drop_smpp_connections();
    ctl_printf(c, "OK\n");
}

static void ctl_stats(struct conn *c)
{
    int fd, bound = 0;
    for (fd = 0; fd < max_fd; fd++)
        if (conns[fd] && conns[fd]->kind == K_SMPP && (conns[fd]->bound_rx || conns[fd]->bound_tx))
            bound++;
    /* mo_retries counts every re-sent deliver_sm, receipts included (the
     * name predates receipts); resp_timeouts + temp_errors say why */
    ctl_printf(c,
               "STATS bound=%d binds=%llu bind_fail=%llu submits=%llu throttled=%llu mt_done=%llu "
               "mt_pending=%zu mt_expired=%llu mt_undelivered=%llu "
               "mo_accepted=%llu mo_parts_acked=%llu mo_retries=%llu mo_rejected=%llu "
               "resp_timeouts=%llu temp_errors=%llu "
               "receipts_sent=%llu receipts_acked=%llu receipts_failed=%llu drops=%llu "
               "ready=%zu inflight=%zu\n",
               bound, stats.binds, stats.bind_fail, stats.submits, stats.throttled, stats.mt_done,
               reassembly_pending(reasm), stats.mt_expired, stats.mt_undelivered,
               stats.mo_accepted, stats.mo_parts_acked, stats.mo_retries, stats.mo_rejected,
               stats.resp_timeouts, stats.temp_errors, stats.receipts_sent, stats.receipts_acked,
               stats.receipts_failed, stats.drops, ready_len, inflight_len);
}

static void ctl_line(struct conn *c, char *line)
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
        ctl_mo(c, argv, argc, false);
    else if (strcmp(argv[0], "MOBIN") == 0)
        ctl_mo(c, argv, argc, true);
    else if (strcmp(argv[0], "WAIT") == 0)
        ctl_wait(c, argv, argc);
    else if (strcmp(argv[0], "STATS") == 0)
        ctl_stats(c);
    else if (strcmp(argv[0], "FAULT") == 0)
        ctl_fault(c, argv, argc);
    else
        ctl_printf(c, "ERR unknown command\n");
}

static int ctl_input(struct conn *c)
{
    /* one WAIT at a time per connection: later lines wait in the buffer */
    while (!c->waiting && !c->closing && c->in.len > c->in.off) {
        unsigned char *start = c->in.p + c->in.off;
        unsigned char *nl = memchr(start, '\n', c->in.len - c->in.off);
        if (!nl) {
            if (c->in.len - c->in.off > 1 << 20)
                return -1; /* a line over 1 MiB is not a handset */
            break;
        }
        *nl = '\0';
        c->in.off += (size_t)(nl - start) + 1;
        ctl_line(c, (char *)start);
    }
    return 0;
}

/* ---- the loop ------------------------------------------------------------ */

static void set_nodelay(int fd)
{
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

static void conn_close(struct conn *c)
{
    int fd = c->fd;
    size_t b;

    if (c->kind == K_SMPP) {
        /* everything in flight on this bind goes back to the ready queue */
        for (b = 0; b < SEQ_BUCKETS && inflight_len > 0; b++) {
            struct dlv **pp = &inflight[b];
            while (*pp) {
                struct dlv *d = *pp;
                if (d->fd == fd && d->conn_id == c->id) {
                    *pp = d->next;
                    inflight_len--;
                    ready_push(d);
                } else {
                    pp = &d->next;
                }
            }
        }
        log_info("smscsim: connection closed fd=%d", fd);
    }
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    conns[fd] = NULL;
    free(c->in.p);
    free(c->out.p);
    free(c);
}

static void drop_smpp_connections(void)
{
    int fd;
    for (fd = 0; fd < max_fd; fd++) {
        if (conns[fd] && conns[fd]->kind == K_SMPP) {
            stats.drops++;
            conn_close(conns[fd]);
        }
    }
}

static struct conn *conn_add(int fd, enum conn_kind kind)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    struct conn *c;

    if (fd >= MAX_FD) {
        close(fd);
        return NULL;
    }
    c = xcalloc(1, sizeof *c);
    c->fd = fd;
    c->kind = kind;
    c->id = next_conn_id++;
    conns[fd] = c;
    if (fd + 1 > max_fd)
        max_fd = fd + 1;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        log_error("smscsim: epoll_ctl failed fd=%d errno=%d", fd, errno);
        conns[fd] = NULL;
        free(c);
        close(fd);
        return NULL;
    }
    return c;
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

static void on_accept(struct conn *l)
{
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        set_nodelay(fd);
        struct conn *c = conn_add(fd, l->kind == K_SMPP_LISTEN ? K_SMPP : K_CTL);
        if (c && c->kind == K_SMPP)
            log_info("smscsim: connection accepted fd=%d", fd);
    }
}

static void on_readable(struct conn *c)
{
    unsigned char tmp[65536];
    bool eof = false;

    for (;;) {
        ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
        if (n > 0) {
            buf_add(&c->in, tmp, (size_t)n);
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
    if (c->kind == K_SMPP && cfg.quickack) {
        /* Kannel's SMPP socket runs Nagle: its next small PDU waits for our
         * ACK. Linux leaves quick-ack mode on its own, so re-arm it per read. */
        int on = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
    }
    if ((c->kind == K_SMPP ? smpp_input(c) : ctl_input(c)) != 0)
        eof = true;
    if (conn_flush(c) != 0 || eof || (c->closing && c->out.len == 0))
        conn_close(c);
}

static void run_timers(void)
{
    int64_t now = now_ms();

    while (heap_len > 0 && heap[0].due <= now) {
        struct timer t = heap_pop();
        struct conn *c;
        struct dlv *d;
        switch (t.type) {
        case T_WAIT:
            c = conn_lookup(t.fd, t.conn_id);
            if (c && c->waiting && c->wait_gen == t.n) {
                c->waiting = false;
                ctl_printf(c, "TIMEOUT\n");
                ctl_input(c); /* lines that queued behind the WAIT */
                if (conn_flush(c) != 0)
                    conn_close(c);
            }
            break;
        case T_DELAYED_WRITE:
            c = conn_lookup(t.fd, t.conn_id);
            if (c) {
                struct dwrite *w = t.owned;
                conn_send(c, w->data, w->len);
                if (conn_flush(c) != 0)
                    conn_close(c);
            }
            free(t.owned);
            break;
        case T_RESP_TIMEOUT:
            d = inflight_take(t.n);
            if (d) {
                c = conn_lookup(d->fd, d->conn_id);
                if (c && c->outstanding > 0)
                    c->outstanding--;
                log_info("smscsim: deliver_sm_resp timeout seq=%u attempts=%d", t.n, d->attempts);
                stats.resp_timeouts++;
                dlv_retry(d);
            }
            break;
        case T_REQUEUE:
            ready_push(t.owned);
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
    struct config_part part = { sim_keys, sizeof sim_keys / sizeof sim_keys[0], &cfg };
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
    if (config_load(path, &part, 1, others, err, sizeof err) != 0) {
        fprintf(stderr, "smscsim: %s\n", err);
        goto out;
    }
    if (port)
        cfg.smpp_port = strtol(port, NULL, 10);
    if (cport)
        cfg.control_port = strtol(cport, NULL, 10);
    if (sysid) {
        free(cfg.system_id);
        cfg.system_id = xstrdup(sysid);
    }
    if (pass) {
        free(cfg.password);
        cfg.password = xstrdup(pass);
    }
    if (noquick)
        cfg.quickack = false;
    if (ocs) {
        free(cfg.receipt_outcomes);
        cfg.receipt_outcomes = xstrdup(ocs);
    }
    if (outcome_rules_parse(cfg.receipt_outcomes, &outcomes, err, sizeof err) != OUTCOME_OK) {
        fprintf(stderr, "smscsim: receipt_outcomes: %s\n", err);
        goto out;
    }
    if (cfg.smpp_port < 1 || cfg.smpp_port > 65535 || cfg.control_port < 1 ||
        cfg.control_port > 65535 || strlen(cfg.system_id) > 15 || strlen(cfg.password) > 8 ||
        log_level_parse(cfg.log_level, &lvl) != 0) {
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
    reasm = reassembly_new(cfg.reassembly_timeout_ms);

    epfd = epoll_create1(EPOLL_CLOEXEC);
    lfd = listen_on((int)cfg.smpp_port);
    cfd = listen_on((int)cfg.control_port);
    if (epfd < 0 || lfd < 0 || cfd < 0) {
        log_error("smscsim: listen failed smpp_port=%lld control_port=%lld errno=%d", cfg.smpp_port,
                  cfg.control_port, errno);
        goto out;
    }
    if (!conn_add(lfd, K_SMPP_LISTEN) || !conn_add(cfd, K_CTL_LISTEN))
        goto out;
    lfd = cfd = -1; /* owned by conns[] now */
    log_info("smscsim: ready smpp_port=%lld control_port=%lld quickack=%s", cfg.smpp_port,
             cfg.control_port, cfg.quickack ? "on" : "off");

    while (!stopping) {
        int timeout = -1, n, i;
        int64_t due = heap_len > 0 ? heap[0].due : -1, exp = reassembly_next_expiry(reasm);
        if (exp >= 0 && (due < 0 || exp < due))
            due = exp;
        if (due >= 0) {
            int64_t d = due - now_ms();
            timeout = d < 0 ? 0 : d > 1000 ? 1000 : (int)d;
        }
        n = epoll_wait(epfd, evs, sizeof evs / sizeof evs[0], timeout);
        if (n < 0 && errno != EINTR) {
            log_error("smscsim: epoll_wait failed errno=%d", errno);
            goto out;
        }
        for (i = 0; i < n; i++) {
            struct conn *c = conns[evs[i].data.fd];
            if (!c)
                continue;
            if (c->kind == K_SMPP_LISTEN || c->kind == K_CTL_LISTEN) {
                on_accept(c);
            } else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                on_readable(c);
            } else if (evs[i].events & EPOLLOUT) {
                if (conn_flush(c) != 0 || (c->closing && c->out.len == 0))
                    conn_close(c);
            }
        }
        run_timers();
        stats.mt_expired += reassembly_expire(reasm, now_ms());
        pump();
    }
    log_info("smscsim: stopping signal=%d", (int)stopping);
    rc = 0;
out:
    if (lfd >= 0)
        close(lfd);
    if (cfd >= 0)
        close(cfd);
    reassembly_free(reasm);
    outcome_rules_free(outcomes);
    config_free(&part, 1);
    return rc;
}
