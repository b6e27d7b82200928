/*
 * mmsc_mm7 — mmscsim's MM7 server: the VASP's SubmitReq (mm7_parse: any
 * namespace, any element order), answered in the request's own namespace
 * and MM7Version with SubmitRsp 1000 and a MessageID, or a SOAP Fault: 2004
 * for an MM over the size cap, 2007 for what cannot be read, 4004 for a
 * request without recipients or content, 4003 for another operation, 4001
 * for wrong credentials (with HTTP 401). Each recipient gets the MM stored
 * and a WAP push. The fault knobs decide the answer instead when set: any
 * status (nothing delivered), an HTTP status, an empty 200, a delay, a
 * body trickled slowly, for the next `count` requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "mm7_parse.h"
#include "mmscsim.h"

#define MM7_BODY_MAX (16u << 20)

/* A body sent a few bytes at a time (the slow_bps knob). */
struct trickle {
    unsigned char *body;
    size_t len, off, chunk;
    useconds_t pause_us;
};

static ssize_t trickle_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct trickle *t = cls;
    size_t n;

    if (t->off >= t->len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (t->off > 0)
        usleep(t->pause_us);
    n = t->len - t->off < t->chunk ? t->len - t->off : t->chunk;
    if (n > max)
        n = max;
    memcpy(buf, t->body + t->off, n);
    t->off += n;
    return (ssize_t)n;
}

static void trickle_free(void *cls)
{
    struct trickle *t = cls;
    free(t->body);
    free(t);
}

/* Queue the answer, slowly when asked to. */
static enum MHD_Result send_answer(struct MHD_Connection *c, unsigned status,
                                   const struct mm7_http *h, long slow_bps)
{
    struct MHD_Response *resp;
    enum MHD_Result rc;

    if (slow_bps <= 0 || h->len == 0)
        return mmsc_answer(c, status, h->len ? h->content_type : NULL, h->body, h->len);
    struct trickle *t = xcalloc(1, sizeof *t);
    t->body = xmalloc(h->len);
    memcpy(t->body, h->body, h->len);
    t->len = h->len;
    /* ten chunks a second */
    t->chunk = slow_bps >= 10 ? (size_t)slow_bps / 10 : 1;
    t->pause_us = slow_bps >= 10 ? 100000 : (useconds_t)(1000000 / slow_bps);
    resp = MHD_create_response_from_callback(h->len, 64, trickle_read, t, trickle_free);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, h->content_type);
    rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static bool auth_ok(struct MHD_Connection *c)
{
    char *pass = NULL, *user;
    bool ok;

    if (!mmsc.cfg.mm7_user)
        return true;
    user = MHD_basic_auth_get_username_password(c, &pass);
    ok = user && pass && strcmp(user, mmsc.cfg.mm7_user) == 0 &&
         strcmp(pass, mmsc.cfg.mm7_password) == 0;
    MHD_free(user);
    MHD_free(pass);
    return ok;
}

/* The fault knobs for this request (consumes one of `count`). */
static struct mmsc_faults take_faults(void)
{
    struct mmsc_faults f;

    pthread_mutex_lock(&mmsc.lock);
    mmsc.stats.mm7_requests++;
    f = mmsc.fault;
    if (f.count == 0) {
        f.status = f.http = 0;
        f.empty = false;
        f.delay_ms = f.slow_bps = 0;
    } else if (mmsc.fault.count > 0 && --mmsc.fault.count == 0) {
        /* that was the last one: the answer faults are off again */
        mmsc.fault.status = mmsc.fault.http = 0;
        mmsc.fault.empty = false;
        mmsc.fault.delay_ms = mmsc.fault.slow_bps = 0;
    }
    pthread_mutex_unlock(&mmsc.lock);
    return f;
}

/* Store the MM for each recipient and push a notification to each. */
static void deliver(const struct mm7_msg *m, char *message_id, size_t cap)
{
    struct mmsc_notice *n = xcalloc(m->nrecipients ? m->nrecipients : 1, sizeof *n);
    size_t i, k, np = 0;

    pthread_mutex_lock(&mmsc.lock);
    snprintf(message_id, cap, "mmscsim-%06u", mmsc.next_id);
    for (i = 0; i < m->nrecipients; i++) {
        struct mmsc_msg *msg;
        char to[64], from[96];
        mmsc_msisdn(m->recipients[i], to, sizeof to);
        if (!to[0])
            continue;
        msg = mmsc_msg_new();
        snprintf(msg->message_id, sizeof msg->message_id, "%s", message_id);
        if (!mms_pdu_address_value(m->sender, from, sizeof from))
            from[0] = '\0';
        snprintf(msg->from, sizeof msg->from, "%s", from[0] ? from : mmsc.cfg.short_codes);
        msg->from[strcspn(msg->from, ",")] = '\0';
        snprintf(msg->to, sizeof msg->to, "%s", to);
        msg->from_vasp = true;
        msg->want_report = m->delivery_report;
        mms_pdu_init(&msg->mm, MMS_M_RETRIEVE_CONF);
        if (m->subject)
            msg->mm.subject = xstrdup(m->subject);
        for (k = 0; k < m->content.nparts; k++) {
            const struct mms_part *p = &m->content.parts[k];
            mms_pdu_add_part(&msg->mm, p->content_type, p->charset, p->name, p->content_id,
                             p->content_location, p->data, p->len);
        }
        mmsc_notice_of(msg, &n[np++]);
    }
    mmsc.stats.mm7_submit_ok++;
    pthread_mutex_unlock(&mmsc.lock);
    for (i = 0; i < np; i++)
        mmsc_push(&n[i]);
    free(n);
}

enum MHD_Result mmsc_mm7_handler(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_len, void **con_cls)
{
    struct mmsc_req *r;
    struct mm7_msg m;
    struct mm7_http h;
    struct mmsc_faults f;
    struct mm7_answer a;
    const char *ct;
    char err[160], message_id[40] = "";
    size_t size = 0, i;
    unsigned http = MHD_HTTP_OK;
    enum MHD_Result rc;
    int status;

    if (strcmp(method, "POST") != 0)
        return mmsc_answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "POST only\n", 10);
    if (!mmsc_collect(&r, con_cls, upload, upload_len, MM7_BODY_MAX))
        return MHD_YES;
    if (!auth_ok(c)) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
                                                                    MHD_RESPMEM_PERSISTENT);
        pthread_mutex_lock(&mmsc.lock);
        mmsc.stats.mm7_auth_fail++;
        pthread_mutex_unlock(&mmsc.lock);
        log_warn("mmscsim: SubmitReq without the right credentials");
        rc = MHD_queue_basic_auth_fail_response(c, "mmscsim", resp);
        MHD_destroy_response(resp);
        return rc;
    }
    if (r->too_big)
        return mmsc_answer(c, 413, "text/plain", "too large\n", 10);
    f = take_faults();
    ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    status = mm7_parse(ct, r->body, r->len, &m, err, sizeof err);
    memset(&a, 0, sizeof a);
    a.ns = m.ns[0] ? m.ns : mm7_dialect_ns(mmsc.dialect);
    a.version = m.version[0] ? m.version : mm7_dialect_version(mmsc.dialect);
    a.transaction_id = m.transaction_id;
    a.req_kind = m.kind[0] ? m.kind : "SubmitReq";
    if (status == 0 && strcmp(m.kind, "SubmitReq") != 0) {
        status = 4003;
        snprintf(err, sizeof err, "%s is not an operation of this MMSC", m.kind);
    }
    if (status == 0 && m.nrecipients == 0) {
        status = 4004;
        snprintf(err, sizeof err, "no recipient");
    }
    if (status == 0 && (!m.has_content || m.content.nparts == 0)) {
        status = 4004;
        snprintf(err, sizeof err, "no content");
    }
    for (i = 0; status == 0 && i < m.content.nparts; i++)
        size += m.content.parts[i].len;
    pthread_mutex_lock(&mmsc.lock);
    if (status == 0 && (long long)size > mmsc.cfg.max_message) {
        status = 2004;
        snprintf(err, sizeof err, "content of %zu bytes over %lld", size, mmsc.cfg.max_message);
    }
    pthread_mutex_unlock(&mmsc.lock);
    if (status == 0 && f.status) {
        status = f.status; /* the knob: nothing delivered */
        snprintf(err, sizeof err, "fault knob");
    } else if (status == 0 && (f.empty || f.http)) {
        status = f.empty ? -1 : 3000;
        snprintf(err, sizeof err, "fault knob");
    }
    if (status == 0) {
        deliver(&m, message_id, sizeof message_id);
        a.status = 1000;
        a.message_id = message_id;
    } else {
        a.status = status;
        pthread_mutex_lock(&mmsc.lock);
        mmsc.stats.mm7_faults++;
        pthread_mutex_unlock(&mmsc.lock);
    }
    log_info("mmscsim: %s tid=%s recipients=%zu parts=%zu bytes=%zu status=%d%s%s", a.req_kind,
             m.transaction_id, m.nrecipients, m.content.nparts, size, status == 0 ? 1000 : status,
             err[0] ? " reason=" : "", err);
    if (f.delay_ms > 0)
        usleep((useconds_t)(f.delay_ms * 1000)); /* a thread per connection: only this one waits */
    if (status == -1) {
        memset(&h, 0, sizeof h); /* an empty 200 */
    } else {
        mm7_emit_answer(mmsc.dialect, &a, &h);
        /* SOAP 1.1: a fault goes with HTTP 500, unless the knob says otherwise */
        http = f.http ? (unsigned)f.http : status == 0 ? MHD_HTTP_OK
                                                        : MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    rc = send_answer(c, http, &h, f.slow_bps);
    mm7_http_cleanup(&h);
    mm7_msg_cleanup(&m);
    return rc;
}
