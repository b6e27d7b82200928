/*
 * mms_retrieve — the retrieval URL's rules (see mms_retrieve.h).
 */
#include "mms_retrieve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mms_direct.h"
#include "mms_pdu.h"
#include "store.h"

void mms_retrieve_answer_cleanup(struct mms_retrieve_answer *a)
{
    if (a == NULL)
        return;
    free(a->body);
    a->body = NULL;
    a->len = 0;
}

static void not_found(struct mms_retrieve_answer *out)
{
    out->http_status = 404;
    out->content_type = MMS_PDU_CONTENT_TYPE;
    mms_direct_not_found(&out->body, &out->len);
    snprintf(out->what, sizeof out->what, "not-found");
    out->outcome = "unknown";
}

static void try_later(struct mms_retrieve_answer *out, enum store_result rc)
{
    out->http_status = 503;
    out->content_type = MMS_PDU_CONTENT_TYPE;
    mms_direct_try_later(&out->body, &out->len);
    snprintf(out->what, sizeof out->what, "store-%s", store_result_name(rc));
    out->outcome = "unavailable";
}

/* The fetch and the reading of the MMS, in one transaction: STORE_OK with
 * the PDU in out, or nothing done. */
static enum store_result fetch_once(const struct mms_retrieve *r, struct store *s, const char *token,
                                    struct mms_retrieve_answer *out)
{
    struct store_mms_retrieval d = { 0 };
    struct store_mms m = { 0 };
    struct store_mms_part *parts = NULL;
    size_t nparts = 0;
    bool have_mms = false;
    enum store_result rc = store_tx_begin(s);
    if (rc != STORE_OK)
        return rc;
    rc = store_mms_retrieval_fetch(s, token, &d);
    if (rc == STORE_OK) {
        rc = store_mms_get(s, d.user_id, d.mms_n, &m);
        have_mms = rc == STORE_OK;
    }
    if (rc == STORE_OK)
        rc = store_mms_parts(s, d.user_id, d.mms_n, &parts, &nparts);
    if (rc == STORE_OK) {
        struct mms_direct_message msg = { d.id, r->sender, d.msisdn, &m, parts, nparts };
        if (mms_direct_retrieve_conf(&msg, &out->body, &out->len) != MMS_DIRECT_OK) {
            log_warn("mms: retrieve delivery=%lld: the archived MMS cannot be encoded", d.id);
            rc = STORE_INVALID;
        }
    }
    if (rc == STORE_OK)
        rc = store_tx_commit(s);
    else
        store_tx_rollback(s);
    if (rc != STORE_OK) {
        mms_retrieve_answer_cleanup(out);
    } else {
        log_info("mms: retrieve delivery=%lld n=%lld parts=%zu bytes=%zu fetched", d.id, d.mms_n, nparts,
                 out->len);
        snprintf(out->what, sizeof out->what, "fetched d=%lld", d.id);
    }
    if (have_mms)
        store_mms_cleanup(&m);
    store_mms_parts_free(parts, nparts);
    return rc;
}

void mms_retrieve_get(const struct mms_retrieve *r, struct store *s, const char *token,
                      struct mms_retrieve_answer *out)
{
    memset(out, 0, sizeof *out);
    enum store_result rc = STORE_RETRY;
    /* a serialization failure or a lost connection: once more */
    for (int attempt = 0; s && attempt < 2 && rc == STORE_RETRY; attempt++)
        rc = fetch_once(r, s, token, out);
    if (rc == STORE_OK) {
        out->http_status = 200;
        out->content_type = MMS_PDU_CONTENT_TYPE;
        out->outcome = "fetched";
    } else if (rc == STORE_NOT_FOUND || rc == STORE_INVALID) {
        /* unknown, used, expired — or an MMS that cannot be sent: one answer */
        not_found(out);
    } else {
        try_later(out, rc);
    }
}

void mms_retrieve_post(const struct mms_retrieve *r, struct store *s, const char *token, const void *body,
                       size_t len, struct mms_retrieve_answer *out)
{
    (void)r;
    memset(out, 0, sizeof *out);
    struct mms_pdu pdu;
    if (mms_pdu_decode(body, len, &pdu) != MMS_PDU_OK ||
        (pdu.type != MMS_M_NOTIFYRESP_IND && pdu.type != MMS_M_ACKNOWLEDGE_IND)) {
        mms_pdu_cleanup(&pdu);   /* zeroed when it did not decode: safe */
        out->http_status = 400;
        snprintf(out->what, sizeof out->what, "not-an-answer");
        out->outcome = "not-an-answer";
        return;
    }
    enum store_mms_handset what = STORE_MMS_RETRIEVED;
    if (pdu.type == MMS_M_NOTIFYRESP_IND) {
        if (pdu.status == MMS_STATUS_DEFERRED)
            what = STORE_MMS_DEFERRED;
        else if (pdu.status != MMS_STATUS_RETRIEVED)
            what = STORE_MMS_REJECTED;   /* Rejected, Unrecognised, anything else */
    }
    long long id = mms_direct_tid_id(pdu.transaction_id);
    long long outbox_id = 0;
    enum store_result rc = STORE_RETRY;
    for (int attempt = 0; s && attempt < 2 && rc == STORE_RETRY; attempt++)
        rc = id ? store_mms_retrieval_answer(s, token, id, what, &outbox_id) : STORE_NOT_FOUND;
    static const char *const names[] = { "delivered", "rejected", "deferred" };
    if (rc == STORE_OK) {
        log_info("mms: retrieve delivery=%lld %s by the handset (%s) outbox=%lld", id, names[what],
                 mms_pdu_type_name(pdu.type), outbox_id);
        out->http_status = 200;
        snprintf(out->what, sizeof out->what, "%s d=%lld", names[what], id);
        out->outcome = names[what];
    } else if (rc == STORE_NOT_FOUND) {
        not_found(out);
    } else {
        try_later(out, rc);
    }
    mms_pdu_cleanup(&pdu);
}
