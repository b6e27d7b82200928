/*
 * mmsc_mm1 — mmscsim's side towards the handsets (OMA MMS MM1 over HTTP,
 * common/mms_pdu): m-send-req in (answered m-send-conf at once; the MM goes
 * to the VASP as a DeliverReq when addressed to its short code, to another
 * handset by a push otherwise), m-retrieve-conf out on the retrieval URL,
 * m-notifyresp-ind / m-acknowledge-ind in, and the WAP push itself: an
 * m-notification-ind in a WSP push (UDH 06 05 04 0B 84 23 F0) handed to
 * smscsim's control port as MTBIN, as over the MMSC's own SMSC link. The
 * sender of an m-send-req is the X-MSISDN header an operator's WAP gateway
 * adds (the PDU's From is the insert-address token).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "mmscsim.h"
#include "simcodec.h"

/* 7.1 m-send-conf X-Mms-Response-Status values used here */
#define RESPONSE_SENDING_ADDRESS_UNRESOLVED 0xE2
#define RESPONSE_CONTENT_NOT_ACCEPTED 0xE5

static enum MHD_Result answer_pdu(struct MHD_Connection *c, unsigned status,
                                  const struct mms_pdu *pdu)
{
    unsigned char *out = NULL;
    size_t n = 0;
    enum MHD_Result rc;

    if (mms_pdu_encode(pdu, &out, &n) != MMS_PDU_OK)
        return mmsc_answer(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "encode\n", 7);
    rc = mmsc_answer(c, status, MMS_PDU_CONTENT_TYPE, out, n);
    free(out);
    return rc;
}

/* ---- the WAP push ----------------------------------------------------------- */

/* One request line to smscsim's control port; true when it answered OK. */
static bool smsc_request(const char *line)
{
    const char *hp = mmsc.cfg.smsc_control, *colon = hp ? strrchr(hp, ':') : NULL;
    struct sockaddr_in a;
    char host[64], ans[64];
    size_t got = 0;
    int fd = -1, on = 1;
    bool ok = false;
    struct timeval tv = { 5, 0 };

    if (!colon || (size_t)(colon - hp) >= sizeof host)
        return false;
    snprintf(host, sizeof host, "%.*s", (int)(colon - hp), hp);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
        return false;
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return false;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line))
        goto out;
    while (got + 1 < sizeof ans) {
        ssize_t r = recv(fd, ans + got, 1, 0);
        if (r <= 0)
            goto out;
        if (ans[got] == '\n')
            break;
        got++;
    }
    ans[got] = '\0';
    ok = strcmp(ans, "OK") == 0;
out:
    close(fd);
    return ok;
}

void mmsc_notice_of(const struct mmsc_msg *m, struct mmsc_notice *n)
{
    size_t i;

    memset(n, 0, sizeof *n);
    n->id = m->id;
    snprintf(n->tid, sizeof n->tid, "%s", m->tid);
    snprintf(n->from, sizeof n->from, "%s", m->from);
    snprintf(n->to, sizeof n->to, "%s", m->to);
    snprintf(n->token, sizeof n->token, "%s", m->token);
    if (m->mm.subject) {
        snprintf(n->subject, sizeof n->subject, "%s", m->mm.subject);
        n->has_subject = true;
    }
    for (i = 0; i < m->mm.nparts; i++)
        n->size += m->mm.parts[i].len;
}

bool mmsc_push(const struct mmsc_notice *msg)
{
    struct mms_pdu ind;
    unsigned char *pdu = NULL, *push = NULL;
    size_t n = 0, pn = 0;
    char *hex = NULL, *line = NULL, from[128];
    bool pushed = false;

    mms_pdu_init(&ind, MMS_M_NOTIFICATION_IND);
    ind.transaction_id = xstrdup(msg->tid);
    snprintf(from, sizeof from, "%s/TYPE=PLMN", msg->from);
    ind.from = xstrdup(from);
    if (msg->has_subject)
        ind.subject = xstrdup(msg->subject);
    ind.message_class = MMS_CLASS_PERSONAL;
    ind.has_message_size = true;
    ind.message_size = msg->size;
    ind.has_expiry = ind.expiry_relative = true;
    ind.expiry = mmsc.cfg.expiry_s;
    ind.content_location = xasprintf("http://%s:%d/mm1/r/%s", mmsc.cfg.host, mmsc.cfg.mm1_port,
                                     msg->token);
    if (mms_pdu_encode(&ind, &pdu, &n) != MMS_PDU_OK)
        goto out;
    mms_pdu_push_encode(msg->id & 0xFF, pdu, n, &push, &pn);
    hex = xmalloc(pn * 2 + 1);
    simcodec_hex(push, pn, hex);
    /* UDH 06 05 04 0B 84 23 F0: ports 2948 (WAP push) from 9200 */
    line = xasprintf("MTBIN %s %s 0605040b8423f0 %s\n", mmsc.cfg.push_sender, msg->to, hex);
    pushed = smsc_request(line);
out:
    pthread_mutex_lock(&mmsc.lock);
    if (pushed)
        mmsc.stats.pushes++;
    else
        mmsc.stats.push_failed++;
    pthread_mutex_unlock(&mmsc.lock);
    if (pushed)
        log_info("mmscsim: push id=%u to=%s bytes=%zu", msg->id, msg->to, pn);
    else
        log_warn("mmscsim: push failed id=%u to=%s smsc=%s", msg->id, msg->to,
                 mmsc.cfg.smsc_control ? mmsc.cfg.smsc_control : "-");
    mms_pdu_cleanup(&ind);
    free(pdu);
    free(push);
    free(hex);
    free(line);
    return pushed;
}

/* ---- m-send-req -------------------------------------------------------------- */

static void copy_mm(struct mms_pdu *to, const struct mms_pdu *from)
{
    size_t i;
    mms_pdu_init(to, MMS_M_RETRIEVE_CONF);
    if (from->subject)
        to->subject = xstrdup(from->subject);
    for (i = 0; i < from->nparts; i++) {
        const struct mms_part *p = &from->parts[i];
        mms_pdu_add_part(to, p->content_type, p->charset, p->name, p->content_id,
                         p->content_location, p->data, p->len);
    }
}

static enum MHD_Result send_req(struct MHD_Connection *c, struct mms_pdu *req)
{
    struct mms_pdu conf;
    const char *sender = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-MSISDN");
    struct mmsc_notice *pushes = xcalloc(MMS_PDU_MAX_ADDRESSES, sizeof *pushes);
    size_t i, np = 0, size = 0;
    char *all[MMS_PDU_MAX_ADDRESSES];
    size_t nall = 0;
    enum MHD_Result rc;

    mms_pdu_init(&conf, MMS_M_SEND_CONF);
    conf.transaction_id = xstrdup(req->transaction_id ? req->transaction_id : "");
    for (i = 0; i < req->nparts; i++)
        size += req->parts[i].len;
    for (i = 0; i < req->nto && nall < MMS_PDU_MAX_ADDRESSES; i++)
        all[nall++] = req->to[i];
    for (i = 0; i < req->ncc && nall < MMS_PDU_MAX_ADDRESSES; i++)
        all[nall++] = req->cc[i];
    for (i = 0; i < req->nbcc && nall < MMS_PDU_MAX_ADDRESSES; i++)
        all[nall++] = req->bcc[i];

    pthread_mutex_lock(&mmsc.lock);
    mmsc.stats.mm1_send_req++;
    if (!sender || !*sender || nall == 0) {
        conf.response_status = RESPONSE_SENDING_ADDRESS_UNRESOLVED;
        conf.response_text = xstrdup(!sender || !*sender ? "no X-MSISDN" : "no recipient");
    } else if ((long long)size > mmsc.cfg.max_message) {
        conf.response_status = RESPONSE_CONTENT_NOT_ACCEPTED;
        conf.response_text = xstrdup("message too large");
    } else {
        unsigned first = mmsc.next_id;
        for (i = 0; i < nall; i++) {
            char to[64];
            mmsc_msisdn(all[i], to, sizeof to);
            if (mmsc_is_short_code(to)) {
                mmsc_vasp_deliver(sender, to, req);
            } else if (to[0]) {
                struct mmsc_msg *m = mmsc_msg_new();
                char from[96];
                snprintf(from, sizeof from, "%s%s", sender[0] == '+' ? "" : "+", sender);
                snprintf(m->from, sizeof m->from, "%s", from);
                snprintf(m->to, sizeof m->to, "%s", to);
                copy_mm(&m->mm, req);
                mmsc_notice_of(m, &pushes[np++]);
            }
        }
        conf.response_status = MMS_RESPONSE_OK;
        conf.message_id = xasprintf("mmscsim-%06u", first);
    }
    if (conf.response_status != MMS_RESPONSE_OK)
        mmsc.stats.mm1_send_refused++;
    pthread_mutex_unlock(&mmsc.lock);
    log_info("mmscsim: m-send-req from=%s recipients=%zu parts=%zu bytes=%zu status=0x%02x",
             sender ? sender : "-", nall, req->nparts, size, conf.response_status);
    rc = answer_pdu(c, MHD_HTTP_OK, &conf);
    /* handset to handset: notify after answering */
    for (i = 0; i < np; i++)
        mmsc_push(&pushes[i]);
    free(pushes);
    mms_pdu_cleanup(&conf);
    return rc;
}

/* ---- acknowledgements ----------------------------------------------------------- */

static void acknowledged(const struct mms_pdu *ind)
{
    struct mmsc_msg *m;
    const char *st = "Retrieved";

    if (ind->type == MMS_M_NOTIFYRESP_IND && ind->status == MMS_STATUS_DEFERRED)
        return; /* it will fetch later */
    if (ind->type == MMS_M_NOTIFYRESP_IND && ind->status == MMS_STATUS_REJECTED)
        st = "Rejected";
    pthread_mutex_lock(&mmsc.lock);
    if (ind->type == MMS_M_NOTIFYRESP_IND)
        mmsc.stats.mm1_notifyresp++;
    else
        mmsc.stats.mm1_ack++;
    for (m = mmsc.msgs; m; m = m->next)
        if (ind->transaction_id && strcmp(m->tid, ind->transaction_id) == 0)
            break;
    if (m) {
        m->retrieved = true;
        if (m->want_report && !m->reported) {
            m->reported = true;
            mmsc_vasp_report(m, strcmp(mmsc.fault.dlr_status, "Retrieved") == 0 ? st
                                                                              : mmsc.fault.dlr_status);
        }
    }
    pthread_mutex_unlock(&mmsc.lock);
    log_info("mmscsim: %s tid=%s known=%d", mms_pdu_type_name(ind->type),
             ind->transaction_id ? ind->transaction_id : "-", m != NULL);
}

/* ---- retrieval -------------------------------------------------------------------- */

static enum MHD_Result retrieve(struct MHD_Connection *c, const char *token)
{
    struct mms_pdu conf;
    struct mmsc_msg *m;
    char to[80];
    unsigned status = MHD_HTTP_OK;
    enum MHD_Result rc;

    mms_pdu_init(&conf, MMS_M_RETRIEVE_CONF);
    pthread_mutex_lock(&mmsc.lock);
    for (m = mmsc.msgs; m; m = m->next)
        if (strcmp(m->token, token) == 0)
            break;
    if (!m) {
        mmsc.stats.mm1_retrieve_unknown++;
        conf.retrieve_status = MMS_RETRIEVE_ERROR_MESSAGE_NOT_FOUND;
        conf.retrieve_text = xstrdup("no such message");
        status = MHD_HTTP_NOT_FOUND;
    } else {
        size_t i;
        mmsc.stats.mm1_retrieve++;
        m->fetched = true;
        conf.transaction_id = xstrdup(m->tid);
        conf.message_id = xstrdup(m->message_id);
        conf.date = time(NULL);
        conf.has_date = true;
        conf.from = xasprintf("%s/TYPE=PLMN", m->from);
        snprintf(to, sizeof to, "+%s/TYPE=PLMN", m->to);
        mms_pdu_add_address(&conf.to, &conf.nto, to);
        if (m->mm.subject)
            conf.subject = xstrdup(m->mm.subject);
        conf.message_class = MMS_CLASS_PERSONAL;
        conf.retrieve_status = MMS_RETRIEVE_OK;
        for (i = 0; i < m->mm.nparts; i++) {
            const struct mms_part *p = &m->mm.parts[i];
            mms_pdu_add_part(&conf, p->content_type, p->charset, p->name, p->content_id,
                             p->content_location, p->data, p->len);
        }
    }
    pthread_mutex_unlock(&mmsc.lock);
    log_info("mmscsim: retrieve found=%d", m != NULL);
    rc = answer_pdu(c, status, &conf);
    mms_pdu_cleanup(&conf);
    return rc;
}

enum MHD_Result mmsc_mm1_handler(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_len, void **con_cls)
{
    struct mmsc_req *r;
    struct mms_pdu pdu;
    enum mms_pdu_result dr;
    enum MHD_Result rc;

    if (strcmp(method, "GET") == 0 && strncmp(url, "/mm1/r/", 7) == 0)
        return retrieve(c, url + 7);
    /* PDUs are posted to /mm1; an acknowledgement to the retrieval URL is
     * taken too (a handset whose MMSC setting is not this host sends it
     * where it fetched from: phonesim on the direct path) */
    if (strcmp(method, "POST") != 0 || (strcmp(url, "/mm1") != 0 && strncmp(url, "/mm1/r/", 7) != 0))
        return mmsc_answer(c, MHD_HTTP_NOT_FOUND, "text/plain", "not here\n", 9);
    if (!mmsc_collect(&r, con_cls, upload, upload_len, (size_t)mmsc.cfg.max_message + 65536))
        return MHD_YES;
    if (r->too_big)
        return mmsc_answer(c, 413, "text/plain", "too large\n", 10);
    if ((dr = mms_pdu_decode(r->body, r->len, &pdu)) != MMS_PDU_OK) {
        log_warn("mmscsim: MM1 PDU refused: %s", mms_pdu_result_text(dr));
        return mmsc_answer(c, MHD_HTTP_BAD_REQUEST, "text/plain", "not an MMS PDU\n", 15);
    }
    switch (pdu.type) {
    case MMS_M_SEND_REQ:
        rc = strcmp(url, "/mm1") == 0
                 ? send_req(c, &pdu)
                 : mmsc_answer(c, MHD_HTTP_BAD_REQUEST, "text/plain", "send to /mm1\n", 13);
        break;
    case MMS_M_NOTIFYRESP_IND:
    case MMS_M_ACKNOWLEDGE_IND:
        acknowledged(&pdu);
        rc = mmsc_answer(c, MHD_HTTP_OK, NULL, "", 0);
        break;
    default:
        rc = mmsc_answer(c, MHD_HTTP_BAD_REQUEST, "text/plain", "unexpected PDU\n", 15);
        break;
    }
    mms_pdu_cleanup(&pdu);
    return rc;
}
