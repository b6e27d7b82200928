/*
 * smpp_server — smscsim's SMSC side of SMPP 3.4: the PDUs an ESME
 * (bearerbox) sends us (bind_*, submit_sm, deliver_sm_resp, enquire_link,
 * unbind, anything else gets generic_nack) and the deliver_sm we send it,
 * MO parts and delivery receipts, each kept until answered: one the ESME does
 * not answer within resp_timeout_ms, or answers with a temporary error (0x64
 * RX_T_APPN, 0x58, 0x14, 0x08), is sent again after retry_delay_ms, for ever.
 *
 * PDU headers are read here, not by libsmpp34, so that unknown commands get
 * generic_nack and bad binds get a bind_*_resp error; libsmpp34 packs and
 * unpacks the bodies. A submit_sm's destination prefix decides its outcome
 * (outcome.h); a delivered MT is re-assembled (reassembly.h) and handed to
 * control.c. Not here: sockets, the loop and timers (smscsim.c), handsets
 * and the control protocol (control.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include "alloc.h"
#include "log.h"
#include "outcome.h"
#include "reassembly.h"
#include "simcodec.h"
#include "smscsim.h"
#include "smsudh.h"

/* An ESME that unbound and keeps its connection open past this is closed. */
#define UNBOUND_CLOSE_MS 10000

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

#define SEQ_BUCKETS 65536

struct smpp_server {
    struct dlv *ready_head, *ready_tail;
    size_t ready_len;
    struct dlv *inflight[SEQ_BUCKETS];
    size_t inflight_len;
    uint32_t next_seq;
    int rr;                         /* round robin over receiver binds */
    unsigned long long next_msgid;  /* submit_sm_resp message_id */
};

struct smpp_server *smpp_server_new(void)
{
    struct smpp_server *srv = xcalloc(1, sizeof *srv);
    srv->next_seq = 1;
    srv->next_msgid = 1;
    return srv;
}

static void dlv_free(struct dlv *d)
{
    if (d) {
        free(d->pdu);
        free(d);
    }
}

static void dlv_list_free(struct dlv *d)
{
    while (d) {
        struct dlv *next = d->next;
        dlv_free(d);
        d = next;
    }
}

void smpp_server_free(struct smpp_server *srv)
{
    size_t b;

    if (!srv)
        return;
    dlv_list_free(srv->ready_head);
    for (b = 0; b < SEQ_BUCKETS; b++)
        dlv_list_free(srv->inflight[b]);
    free(srv);
}

static void ready_push(struct smpp_server *srv, struct dlv *d)
{
    d->next = NULL;
    if (srv->ready_tail)
        srv->ready_tail->next = d;
    else
        srv->ready_head = d;
    srv->ready_tail = d;
    srv->ready_len++;
}

static struct dlv *inflight_take(struct smpp_server *srv, uint32_t seq)
{
    struct dlv **pp = &srv->inflight[seq % SEQ_BUCKETS];
    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->seq == seq) {
            struct dlv *d = *pp;
            *pp = d->next;
            srv->inflight_len--;
            return d;
        }
    }
    return NULL;
}

/* Put d back for another attempt after retry_delay_ms (consumes d). */
static void dlv_retry(struct smscsim *sim, struct dlv *d)
{
    struct timer t = { smscsim_now_ms() + sim->cfg.retry_delay_ms, T_REQUEUE, -1, 0, 0, d };
    sim->stats.mo_retries++;
    smscsim_timer_add(sim, t);
}

void smpp_server_requeue(struct smscsim *sim, void *owned)
{
    ready_push(sim->smpp, owned);
}

void smpp_server_resp_timeout(struct smscsim *sim, uint32_t seq)
{
    struct dlv *d = inflight_take(sim->smpp, seq);
    struct conn *c;

    if (!d)
        return;
    c = smscsim_conn_lookup(sim, d->fd, d->conn_id);
    if (c && c->unbound) {
        /* the ESME unbound and is answering what it holds before it closes
         * (a busy bearerbox takes longer than resp_timeout_ms then): wait
         * on; what is still unanswered when the link closes — by the ESME,
         * or after UNBOUND_CLOSE_MS — goes back to the ready queue. Sent
         * again now, an answer that comes late would make it twice. */
        d->next = sim->smpp->inflight[seq % SEQ_BUCKETS];
        sim->smpp->inflight[seq % SEQ_BUCKETS] = d;
        sim->smpp->inflight_len++;
        smscsim_timer_add(sim, (struct timer){ .due = smscsim_now_ms() + sim->cfg.resp_timeout_ms,
                                               .type = T_RESP_TIMEOUT, .fd = -1, .n = seq });
        return;
    }
    if (c && c->outstanding > 0)
        c->outstanding--;
    log_info("smscsim: deliver_sm_resp timeout seq=%u attempts=%d", seq, d->attempts);
    sim->stats.resp_timeouts++;
    dlv_retry(sim, d);
}

void smpp_server_conn_closed(struct smscsim *sim, const struct conn *c)
{
    struct smpp_server *srv = sim->smpp;
    size_t b;

    /* everything in flight on this bind goes back to the ready queue */
    for (b = 0; b < SEQ_BUCKETS && srv->inflight_len > 0; b++) {
        struct dlv **pp = &srv->inflight[b];
        while (*pp) {
            struct dlv *d = *pp;
            if (d->fd == c->fd && d->conn_id == c->id) {
                *pp = d->next;
                srv->inflight_len--;
                ready_push(srv, d);
            } else {
                pp = &d->next;
            }
        }
    }
}

void smpp_server_queue_lengths(const struct smscsim *sim, size_t *ready, size_t *inflight)
{
    *ready = sim->smpp->ready_len;
    *inflight = sim->smpp->inflight_len;
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
    smscsim_conn_send(c, h, sizeof h);
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

void smpp_server_queue_mo(struct smscsim *sim, const char *from, const char *to,
                          const struct simcodec_part *parts, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        struct dlv *d = make_deliver(from, to, parts[i].esm_class, parts[i].data_coding,
                                     parts[i].sm, parts[i].sm_len, NULL, 0, false);
        if (d)
            ready_push(sim->smpp, d);
    }
}

void smpp_server_pump(struct smscsim *sim)
{
    struct smpp_server *srv = sim->smpp;

    while (srv->ready_head) {
        struct conn *c = NULL;
        int i;
        for (i = 0; i < sim->max_fd; i++) {
            int fd = (srv->rr + i) % sim->max_fd;
            struct conn *k = sim->conns[fd];
            if (k && k->kind == K_SMPP && k->bound_rx && !k->closing &&
                k->outstanding < sim->cfg.window) {
                c = k;
                srv->rr = fd + 1;
                break;
            }
        }
        if (!c)
            return; /* nobody can take it now: it waits for a bind or a resp */
        struct dlv *d = srv->ready_head;
        srv->ready_head = d->next;
        if (!srv->ready_head)
            srv->ready_tail = NULL;
        srv->ready_len--;
        d->seq = srv->next_seq++;
        if (srv->next_seq > 0x7fffffff)
            srv->next_seq = 1;
        put_u32(d->pdu + 12, d->seq);
        d->fd = c->fd;
        d->conn_id = c->id;
        d->attempts++;
        d->next = srv->inflight[d->seq % SEQ_BUCKETS];
        srv->inflight[d->seq % SEQ_BUCKETS] = d;
        srv->inflight_len++;
        c->outstanding++;
        if (d->receipt)
            sim->stats.receipts_sent++;
        smscsim_conn_send(c, d->pdu, d->len);
        struct timer t = { smscsim_now_ms() + sim->cfg.resp_timeout_ms, T_RESP_TIMEOUT, -1, 0,
                           d->seq, NULL };
        smscsim_timer_add(sim, t);
        if (!smscsim_conn_flush(sim, c))
            smscsim_conn_close(sim, c);
    }
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

static void handle_bind(struct smscsim *sim, struct conn *c, uint32_t cmd,
                        const unsigned char *pdu, size_t len, uint32_t seq)
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
    } else if (c->unbound) {
        status = ESME_RINVBNDSTS;   /* this session ended with its unbind */
    } else if (c->bound_tx || c->bound_rx) {
        status = ESME_RALYBND;
    } else if (strcmp((char *)req.system_id, sim->cfg.system_id) != 0) {
        status = ESME_RINVSYSID;
    } else if (strcmp((char *)req.password, sim->cfg.password) != 0) {
        status = ESME_RINVPASWD;
    }
    memset(&resp, 0, sizeof resp);
    resp.command_id = cmd | 0x80000000u;
    resp.command_status = status;
    resp.sequence_number = seq;
    snprintf((char *)resp.system_id, sizeof resp.system_id, "%s", "smscsim");
    bytes = pack_pdu(&resp, &n);
    if (bytes) {
        smscsim_conn_send(c, bytes, n);
        free(bytes);
    }
    if (status != ESME_ROK) {
        sim->stats.bind_fail++;
        log_warn("smscsim: bind refused fd=%d status=0x%02x", c->fd, status);
        return;
    }
    sim->stats.binds++;
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

/* One MT part whose outcome is "delivered": to the handset once complete. */
static void mt_part(struct smscsim *sim, const struct reassembly_part *part)
{
    struct reassembly_msg m;

    if (reassembly_add(sim->reasm, smscsim_now_ms(), part, &m) != REASSEMBLY_COMPLETE)
        return;
    control_mt(sim, m.src, m.dst, m.dc, m.udh, m.udhlen, m.data, m.len);
    reassembly_msg_cleanup(&m);
}

static void handle_submit(struct smscsim *sim, struct conn *c, const unsigned char *pdu,
                          size_t len, uint32_t seq)
{
    submit_sm_t *req = NULL;
    submit_sm_resp_t resp;
    unsigned char *bytes = NULL, *udh = NULL, *data;
    size_t n = 0, dlen, udhlen = 0;
    char msgid[24];
    struct smsudh u;
    tlv_t *t;
    unsigned ref = 0, rd;
    int total = 1, part = 1;
    const struct outcome *oc;

    memset(&resp, 0, sizeof resp);
    resp.command_id = SUBMIT_SM_RESP;
    resp.sequence_number = seq;
    sim->stats.submits++;
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
    if (sim->fault.throttle > 0 && (double)rand() / RAND_MAX < sim->fault.throttle) {
        sim->stats.throttled++;
        resp.command_status = ESME_RTHROTTLED;
        goto respond;
    }
    snprintf(msgid, sizeof msgid, "%llu", sim->smpp->next_msgid++);
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
        if (smsudh_parse(udh, udhlen, &u) && u.concat) {
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
    oc = outcome_for(sim->outcomes, (char *)req->destination_addr);
    if (oc->delivered) {
        struct reassembly_part rp = {
            (char *)req->source_addr, (char *)req->destination_addr, req->data_coding, udh,
            udhlen, ref, total, part, data, dlen,
        };
        mt_part(sim, &rp);
    } else {
        sim->stats.mt_undelivered++;
        log_info("smscsim: mt not delivered msgid=%s stat=%s", msgid, oc->stat);
    }

    /* delivery receipt: registered_delivery bits 0-1 == 1 (success or
     * failure) or 2 (failure only) */
    rd = req->registered_delivery & 0x03;
    if (sim->fault.receipts && (rd == 1 || (rd == 2 && !oc->delivered))) {
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
                sim->stats.receipts_failed++;
            if (sim->cfg.receipt_delay_ms > 0) {
                struct timer tm = { smscsim_now_ms() + sim->cfg.receipt_delay_ms, T_REQUEUE, -1,
                                    0, 0, d };
                smscsim_timer_add(sim, tm);
            } else {
                ready_push(sim->smpp, d);
            }
        }
    }
respond:
    if (req)
        destroy_tlv(req->tlv);
    free(req);
    bytes = pack_pdu(&resp, &n);
    if (bytes) {
        /* fault knob: hold every submit_sm_resp back by delay_ms */
        if (sim->fault.delay_ms <= 0)
            smscsim_conn_send(c, bytes, n);
        else
            smscsim_conn_send_later(sim, c, bytes, n, sim->fault.delay_ms);
        free(bytes);
    }
}

static void handle_deliver_resp(struct smscsim *sim, struct conn *c, uint32_t status,
                                uint32_t seq)
{
    struct dlv *d = inflight_take(sim->smpp, seq);

    if (!d) {
        log_debug("smscsim: late deliver_sm_resp fd=%d seq=%u", c->fd, seq);
        return;
    }
    if (c->outstanding > 0)
        c->outstanding--;
    if (status == ESME_ROK) {
        if (d->receipt)
            sim->stats.receipts_acked++;
        else
            sim->stats.mo_parts_acked++;
        dlv_free(d);
        return;
    }
    /* Kannel: 0x64 temporary (store full, box queue full), 0x66 reject */
    if (status == ESME_RX_T_APPN || status == ESME_RTHROTTLED || status == ESME_RMSGQFUL ||
        status == ESME_RSYSERR) {
        log_info("smscsim: deliver_sm temporary error status=0x%02x seq=%u attempts=%d", status,
                 seq, d->attempts);
        sim->stats.temp_errors++;
        dlv_retry(sim, d);
        return;
    }
    log_warn("smscsim: deliver_sm rejected status=0x%02x seq=%u", status, seq);
    sim->stats.mo_rejected++;
    dlv_free(d);
}

/* One complete PDU (len bytes, header included). */
static void smpp_pdu(struct smscsim *sim, struct conn *c, const unsigned char *pdu, size_t len)
{
    uint32_t cmd = get_u32(pdu + 4), status = get_u32(pdu + 8), seq = get_u32(pdu + 12);

    switch (cmd) {
    case BIND_TRANSMITTER:
    case BIND_RECEIVER:
    case BIND_TRANSCEIVER:
        handle_bind(sim, c, cmd, pdu, len, seq);
        break;
    case SUBMIT_SM:
        handle_submit(sim, c, pdu, len, seq);
        break;
    case DELIVER_SM_RESP:
        handle_deliver_resp(sim, c, status, seq);
        break;
    case ENQUIRE_LINK:
        send_header_pdu(c, ENQUIRE_LINK_RESP, ESME_ROK, seq);
        break;
    case ENQUIRE_LINK_RESP:
    case GENERIC_NACK:
        break;
    case UNBIND:
        /* SMPP 3.4 §2.2 and §4.2: the ESME that unbinds closes the
         * connection once it has our unbind_resp. Until it does, what it
         * still sends is read: above all the deliver_sm_resp it owes for
         * deliver_sm it took before its unbind (bearerbox answers them
         * after it) — closing at once lost those and delivered the MO a
         * second time on the next bind. Nothing more is delivered on it
         * (not bound), nor submitted; a bind is refused. */
        send_header_pdu(c, UNBIND_RESP, ESME_ROK, seq);
        log_info("smscsim: unbind fd=%d outstanding=%lld", c->fd, c->outstanding);
        c->bound_rx = c->bound_tx = false;
        c->unbound = true;
        smscsim_timer_add(sim, (struct timer){ .due = smscsim_now_ms() + UNBOUND_CLOSE_MS,
                                               .type = T_UNBOUND_CLOSE, .fd = c->fd, .conn_id = c->id });
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

bool smpp_server_input(struct smscsim *sim, struct conn *c)
{
    while (c->in.bytes.len - c->in.off >= 16 && !c->closing) {
        const unsigned char *p = (const unsigned char *)c->in.bytes.data + c->in.off;
        uint32_t len = get_u32(p);
        if (len < 16 || len > 65536) {
            log_warn("smscsim: bad command_length fd=%d len=%u", c->fd, len);
            send_header_pdu(c, GENERIC_NACK, ESME_RINVCMDLEN, get_u32(p + 12));
            c->closing = true;
            break;
        }
        if (c->in.bytes.len - c->in.off < len)
            break;
        smpp_pdu(sim, c, p, len);
        c->in.off += len;
    }
    return true;
}
