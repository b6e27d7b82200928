/*
 * mm7_vasp — the VASP endpoint's rules on the store (see mm7_vasp.h).
 */
#include "mm7_vasp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "core_text.h"
#include "log.h"
#include "mm7_request.h"
#include "store.h"
#include "utf8.h"

#define DELIVER_ATTEMPTS 3   /* a serialization failure or a lost connection: run it again this often */

void mm7_answer_cleanup(struct mm7_answer *a)
{
    if (a == NULL)
        return;
    free(a->body);
    a->body = NULL;
    a->len = 0;
}

/* The request's context for the answer. */
struct reply {
    const struct mmsc_config *mmsc;
    const struct mm7_envelope *env;   /* the request as far as it could be read */
    struct mm7_answer *out;
};

static const char *echo_tid(const struct reply *r)
{
    return r->env && mm7_one_line(r->env->transaction_id) ? r->env->transaction_id : NULL;
}

static const char *echo_ns(const struct reply *r)
{
    return r->env && r->env->ns && *r->env->ns && mm7_one_line(r->env->ns) ? r->env->ns : NULL;
}

static const char *echo_version(const struct reply *r)
{
    return r->env && mm7_one_line(r->env->version) ? r->env->version : NULL;
}

static void answer_ok(struct reply *r, enum mm7_op rsp)
{
    r->out->body = mm7_emit_response(rsp, echo_tid(r), echo_ns(r), echo_version(r), MM7_SUCCESS, NULL, &r->out->len);
    r->out->http_status = 200;
    r->out->status = MM7_SUCCESS;
}

static void answer_fault(struct reply *r, int status, const char *detail)
{
    r->out->body = mm7_emit_fault(echo_tid(r), echo_ns(r), echo_version(r), status, detail, &r->out->len);
    r->out->http_status = (int)r->mmsc->fault_http_status;
    r->out->status = status;
}

/* An answer recorded before (a retried DeliverReq): the same again. */
static void answer_status(struct reply *r, int status)
{
    if (status == MM7_SUCCESS)
        answer_ok(r, MM7_OP_DELIVER_RSP);
    else
        answer_fault(r, status, NULL);
}

void mm7_vasp_refuse(const struct mmsc_config *mmsc, int http_status, int status, const char *detail,
                     struct mm7_answer *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->what, sizeof out->what, "refused");
    out->body = mm7_emit_fault(NULL, NULL, NULL, status, detail, &out->len);
    out->http_status = http_status;
    out->status = status;
}

/* ---- DeliverReq ---- */

struct deliver {
    const struct mm7_vasp *v;
    const struct mmsc_config *mmsc;
    struct store *s;
    const struct mm7_request *req;
    const char *msisdn;             /* the sender as the MMSC wrote it, /TYPE=PLMN gone */
    char reply_to[LIMIT_PEER_MAX + 1];   /* where SMS go: the phone as it was bound, else msisdn */
    char digest[65];
    char *subject;                  /* cut to the store's limit */
    struct store_mms_part_new *parts;
    enum core_lang lang;            /* of the unbound hint */
    /* the outcome */
    int status;
    long long n;
    const char *what;               /* "stored", "unbound", "no-space", "again" (answered
                                       before: status is that answer), for the log */
};

static void queue_sms(struct deliver *d, const char *user_id, char *text, enum store_result *rc)
{
    struct store_outbox_new o = { .user_id = user_id, .msisdn = d->reply_to, .text = text, .text_len = strlen(text) };
    long long id;
    if (*rc == STORE_OK)
        *rc = store_outbox_enqueue(d->s, &o, &id);
    free(text);
}

/* The MMS of a bound phone: stored with the space rules, and the phone
 * told. Inside the transaction; writes d->status / d->n / d->what. */
static enum store_result store_for_user(struct deliver *d, const char *uid)
{
    struct store_user before = { 0 }, after = { 0 };
    enum store_result rc = store_user_get(d->s, uid, &before);
    if (rc != STORE_OK)
        goto out;
    enum core_lang lang = strcmp(before.lang, "zh") == 0 ? CORE_ZH : CORE_EN;
    /* An MMS the phone sends to the service is the user's own, as SAVE's
     * text is: no peer (the phone is not a correspondent of itself); the
     * source says it came from the MMSC. In the archive's terms (issue 10)
     * it is one the phone sent: msg_box sent, From the phone (as bound) */
    struct store_mms_addr_new from = { .address = d->reply_to, .type = STORE_ADDR_FROM };
    struct store_mms_new in = { .peer = NULL, .subject = d->subject, .sent_at = d->req->env.timestamp,
                                .msg_box = STORE_MMS_SENT, .source = "mm7", .parts = d->parts,
                                .nparts = d->req->nparts, .addrs = &from, .naddrs = 1 };
    long long n = 0;
    rc = store_mms_add(d->s, uid, &in, &n);
    char used[32], alloc[32], size[32];
    if (rc == STORE_NO_SPACE) {
        /* nothing of the MMS is written; the phone is told, the MMSC refused */
        core_text_bytes((long long)d->req->bytes, size, sizeof size);
        rc = STORE_OK;
        queue_sms(d, uid, core_text_reply(T_MMS_NO_SPACE, lang, size), &rc);
        d->status = MM7_SERVICE_DENIED;
        d->what = "no-space";
        goto out;
    }
    if (rc != STORE_OK)
        goto out;
    rc = store_user_get(d->s, uid, &after);
    if (rc != STORE_OK)
        goto out;
    core_text_bytes(after.used_bytes, used, sizeof used);
    core_text_bytes(after.allocated_bytes, alloc, sizeof alloc);
    if (after.allocated_bytes > before.allocated_bytes)
        queue_sms(d, uid, core_text_reply(T_MMS_SAVE_GREW, lang, n, alloc), &rc);
    else
        queue_sms(d, uid, core_text_reply(T_MMS_SAVE_OK, lang, n, used, alloc), &rc);
    d->status = MM7_SUCCESS;
    d->n = n;
    d->what = "stored";
out:
    store_user_cleanup(&before);
    store_user_cleanup(&after);
    return rc;
}

/* One attempt in one transaction. STORE_OK: committed (or a replay, rolled
 * back) and d holds the outcome; anything else: rolled back. */
static enum store_result deliver_once(struct deliver *d)
{
    const struct mm7_envelope *e = &d->req->env;
    d->n = 0;
    enum store_result rc = store_tx_begin(d->s);
    if (rc != STORE_OK)
        return rc;
    struct store_mm7_seen prev;
    bool claimed = true;
    rc = store_mm7_seen_claim(d->s, d->mmsc->name, e->transaction_id, d->digest, &prev);
    if (rc == STORE_CONFLICT && prev.same_content) {
        store_tx_rollback(d->s);
        d->status = prev.status;
        d->n = prev.mms_n;
        d->what = "again";
        return STORE_OK;
    }
    if (rc == STORE_CONFLICT) {
        log_warn("mm7: transaction id used again for other content mmsc=%s tid=%s: stored as a new MMS",
                 d->mmsc->name, e->transaction_id);
        claimed = false;
        rc = STORE_OK;
    }
    struct store_phone_owner owner = { 0 };
    snprintf(d->reply_to, sizeof d->reply_to, "%s", d->msisdn);
    if (rc == STORE_OK)
        rc = store_phone_owner(d->s, d->msisdn, &owner);
    if (rc == STORE_NOT_FOUND) {
        /* an unbound phone: success for the MMSC, the hint for the phone */
        rc = STORE_OK;
        owner.user_id[0] = '\0';
        queue_sms(d, NULL, core_text_reply(T_UNBOUND, d->lang), &rc);
        d->status = MM7_SUCCESS;
        d->what = "unbound";
    } else if (rc == STORE_OK) {
        snprintf(d->reply_to, sizeof d->reply_to, "%s", owner.msisdn);
        rc = store_for_user(d, owner.user_id);
    }
    if (rc == STORE_OK && claimed)
        rc = store_mm7_seen_finish(d->s, d->mmsc->name, e->transaction_id, d->status,
                                   owner.user_id[0] ? owner.user_id : NULL, d->n, e->linked_id);
    if (rc == STORE_OK)
        rc = store_tx_commit(d->s);
    else
        store_tx_rollback(d->s);
    if (rc == STORE_OK && d->v->after_commit)
        d->v->after_commit(d->v->hook_ctx);
    return rc;
}

static void deliver(const struct mm7_vasp *v, const struct mmsc_config *mmsc, struct store *s,
                    const struct mm7_request *req, struct reply *r)
{
    const struct mm7_envelope *e = &req->env;
    snprintf(r->out->what, sizeof r->out->what, "DeliverReq");
    if (e->sender.kind == MM7_ADDR_NONE) {
        answer_fault(r, MM7_VALIDATION_ERROR, "no Sender");
        return;
    }
    if (e->sender.msisdn[0] == '\0') {
        /* an e-mail address or a name: no phone to look up, none to tell */
        log_info("mm7: deliver mmsc=%s tid=%s sender is no phone number: not stored", mmsc->name,
                 e->transaction_id);
        answer_ok(r, MM7_OP_DELIVER_RSP);
        return;
    }
    struct deliver d = { .v = v, .mmsc = mmsc, .s = s, .req = req, .msisdn = e->sender.msisdn };
    mm7_request_digest(req, d.digest);
    if (e->subject) {
        size_t cut = utf8_truncate(e->subject, strlen(e->subject), LIMIT_TEXT_FIELD_MAX);
        d.subject = xstrndup(e->subject, cut);
    }
    /* the hint to an unbound phone speaks Chinese when its MMS does */
    d.lang = d.subject ? core_text_lang_of(d.subject, strlen(d.subject)) : CORE_EN;
    d.parts = xcalloc(req->nparts, sizeof *d.parts);
    for (size_t i = 0; i < req->nparts; i++) {
        const struct mm7_part *p = &req->parts[i];
        d.parts[i] = (struct store_mms_part_new){ .content_type = p->content_type, .name = p->name,
                                                  .data = p->data, .len = p->len, .content_id = p->content_id };
        if (d.lang == CORE_EN && strncmp(p->content_type, "text/plain", 10) == 0)
            d.lang = core_text_lang_of((const char *)p->data, p->len);
    }
    enum store_result rc = STORE_RETRY;
    for (int attempt = 1; attempt <= DELIVER_ATTEMPTS && rc == STORE_RETRY; attempt++)
        rc = deliver_once(&d);
    if (rc == STORE_OK) {
        log_info("mm7: deliver mmsc=%s tid=%s from=%s %s status=%d n=%lld parts=%zu bytes=%zu", mmsc->name,
                 e->transaction_id, d.msisdn, d.what, d.status, d.n, req->nparts, req->bytes);
        answer_status(r, d.status);
        snprintf(r->out->outcome, sizeof r->out->outcome, "%s", d.what);
    } else if (rc == STORE_INVALID) {
        /* the archive refuses these parts (a content type it cannot keep) */
        log_warn("mm7: deliver mmsc=%s tid=%s refused by the store", mmsc->name, e->transaction_id);
        answer_fault(r, MM7_CONTENT_REFUSED, "content not storable");
    } else {
        log_warn("mm7: deliver mmsc=%s tid=%s store=%s: not stored, the MMSC will try again", mmsc->name,
                 e->transaction_id, store_result_name(rc));
        answer_fault(r, rc == STORE_RETRY ? MM7_SERVICE_UNAVAILABLE : MM7_SERVER_ERROR, NULL);
    }
    free(d.subject);
    free(d.parts);
}

/* ---- DeliveryReportReq ---- */

static enum store_mm7_outcome report_outcome(const char *mm_status)
{
    static const char *const delivered[] = { "Retrieved", "Forwarded" };
    static const char *const failed[] = { "Rejected", "Expired", "Unrecognised", "Unrecognized" };
    for (size_t i = 0; mm_status && i < sizeof delivered / sizeof delivered[0]; i++)
        if (strcasecmp(mm_status, delivered[i]) == 0)
            return STORE_MM7_DELIVERED;
    for (size_t i = 0; mm_status && i < sizeof failed / sizeof failed[0]; i++)
        if (strcasecmp(mm_status, failed[i]) == 0)
            return STORE_MM7_FAILED;
    return STORE_MM7_PENDING;   /* Deferred, Indeterminate, anything new */
}

static void delivery_report(const struct mmsc_config *mmsc, struct store *s, const struct mm7_envelope *e,
                            struct reply *r)
{
    snprintf(r->out->what, sizeof r->out->what, "DeliveryReportReq");
    if (!mm7_one_line(e->message_id) || (e->mm_status && !mm7_one_line(e->mm_status))) {
        answer_fault(r, MM7_VALIDATION_ERROR, "MessageID / MMStatus");
        return;
    }
    long long id = 0;
    bool moved = false;
    enum store_mm7_outcome outcome = report_outcome(e->mm_status);
    enum store_result rc = store_mm7_report(s, mmsc->name, e->message_id, outcome, e->mm_status, &id, &moved);
    log_info("mm7: report mmsc=%s message=%s mm_status=%s outbox=%lld store=%s", mmsc->name, e->message_id,
             e->mm_status ? e->mm_status : "", id, store_result_name(rc));
    static const char *const results[] = {
        [STORE_MM7_DELIVERED] = "delivered", [STORE_MM7_FAILED] = "failed", [STORE_MM7_PENDING] = "pending" };
    /* a final outcome reported again (an MMSC's retry) was counted the first time */
    if (rc == STORE_OK)
        snprintf(r->out->outcome, sizeof r->out->outcome, "%s",
                 outcome != STORE_MM7_PENDING && !moved ? "again" : results[outcome]);
    else if (rc == STORE_NOT_FOUND)
        snprintf(r->out->outcome, sizeof r->out->outcome, "unknown");
    if (rc == STORE_OK)
        answer_ok(r, MM7_OP_DELIVERY_REPORT_RSP);
    else if (rc == STORE_NOT_FOUND)
        answer_fault(r, MM7_MESSAGE_ID_NOT_FOUND, NULL);
    else if (rc == STORE_INVALID)
        answer_fault(r, MM7_VALIDATION_ERROR, NULL);
    else
        answer_fault(r, rc == STORE_RETRY ? MM7_SERVICE_UNAVAILABLE : MM7_SERVER_ERROR, NULL);
}

void mm7_vasp_handle(const struct mm7_vasp *v, const struct mmsc_config *mmsc, struct store *s,
                     const char *content_type, const void *body, size_t len, struct mm7_answer *out)
{
    memset(out, 0, sizeof *out);
    struct mm7_request req;
    enum mm7_result pr = mm7_request_parse(content_type, body, len, &v->lim, &req);
    struct reply r = { mmsc, &req.env, out };
    snprintf(out->what, sizeof out->what, "%s", req.env.op ? mm7_op_name(req.env.op) : "unreadable");
    if (pr == MM7_OK && req.env.op != MM7_OP_UNKNOWN && !mm7_one_line(req.env.transaction_id)) {
        pr = MM7_E_MISSING;   /* a TransactionID we could not store or echo */
    }
    if (pr != MM7_OK) {
        log_info("mm7: refused mmsc=%s op=%s tid=%s why=%s status=%d", mmsc->name, out->what,
                 echo_tid(&r) ? echo_tid(&r) : "-", mm7_result_name(pr), mm7_result_status(pr));
        answer_fault(&r, mm7_result_status(pr), mm7_result_name(pr));
        goto out;
    }
    if (req.env.ns && strstr(req.env.ns, "23.140") == NULL)
        log_warn("mm7: namespace is not 3GPP MM7 mmsc=%s ns=%.100s: read anyway", mmsc->name,
                 mm7_one_line(req.env.ns) ? req.env.ns : "?");
    switch (req.env.op) {
    case MM7_OP_DELIVER_REQ:
        deliver(v, mmsc, s, &req, &r);
        break;
    case MM7_OP_DELIVERY_REPORT_REQ:
        delivery_report(mmsc, s, &req.env, &r);
        break;
    case MM7_OP_READ_REPLY_REQ:
        log_info("mm7: read reply mmsc=%s tid=%s mm_status=%s", mmsc->name, req.env.transaction_id,
                 mm7_one_line(req.env.mm_status) ? req.env.mm_status : "-");
        answer_ok(&r, MM7_OP_READ_REPLY_RSP);
        break;
    default:
        answer_fault(&r, MM7_UNSUPPORTED_OPERATION, req.env.op_name);
        break;
    }
out:
    mm7_request_cleanup(&req);
}
