/*
 * mm7 — what vaultmms keeps about its MM7 exchanges with operator MMSCs
 * (migration 005): the DeliverReq already answered (mm7_seen, so that a
 * retried DeliverReq takes effect once, like mo_seen for vaultbox) and the
 * SubmitReq an MMSC accepted (mm7_submissions, so that its
 * DeliveryReportReq finds the outbox row). It does not parse MM7 nor store
 * the MMS itself (mms.c does); it never decides what a status means — the
 * caller says delivered, failed or pending.
 */
#include "store_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

static bool valid_id(const char *s)
{
    return st_valid_line(s, LIMIT_MM7_ID_MAX, false);
}

enum store_result store_mm7_seen_claim(struct store *s, const char *mmsc, const char *transaction_id,
                                       const char *digest, struct store_mm7_seen *prev)
{
    /* outside a transaction the claim would commit alone: a programmer
     * error, as misusing the transaction frame is (store.c) */
    assert(s->explicit_tx && "store_mm7_seen_claim: no store_tx_begin");
    if (!valid_id(mmsc) || !valid_id(transaction_id) || !valid_id(digest))
        return STORE_INVALID;
    const char *p[] = { mmsc, transaction_id, digest };
    PGresult *r = NULL;
    /* status 0 until store_mm7_seen_finish; nobody outside this transaction
     * sees the row before it commits, and a concurrent claim of the same key
     * waits on the primary key until then. ON CONFLICT keeps the caller's
     * transaction usable (no error to roll back to). */
    enum store_result rc = st_exec(s, "mm7-seen-claim",
                                   "INSERT INTO mm7_seen (mmsc, transaction_id, digest, status)"
                                   " VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING", 3, p, &r);
    if (rc != STORE_OK)
        return rc;
    bool claimed = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (claimed)
        return STORE_OK;
    rc = st_exec(s, "mm7-seen-get",
                 "SELECT status, coalesce(mms_n, 0), digest = $3 FROM mm7_seen"
                 " WHERE mmsc = $1 AND transaction_id = $2", 3, p, &r);
    if (rc != STORE_OK)
        return rc;
    if (PQntuples(r) == 0) {
        rc = STORE_RETRY;   /* the other claim rolled back between the two statements */
    } else {
        prev->status = (int)st_getll(r, 0, 0);
        prev->mms_n = st_getll(r, 0, 1);
        prev->same_content = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
        rc = STORE_CONFLICT;
    }
    PQclear(r);
    return rc;
}

enum store_result store_mm7_seen_finish(struct store *s, const char *mmsc, const char *transaction_id,
                                        int status, const char *user_id, long long mms_n,
                                        const char *linked_id)
{
    if (!valid_id(mmsc) || !valid_id(transaction_id) || status < 1000 || status > 9999 ||
        (user_id && !st_valid_id(user_id)) || mms_n < 0)
        return STORE_INVALID;
    char sb[24], nb[24];
    st_lld(sb, status);
    st_lld(nb, mms_n);
    const char *p[] = { mmsc, transaction_id, sb, user_id, mms_n ? nb : NULL,
                        linked_id && valid_id(linked_id) ? linked_id : NULL };
    return st_exec_some(s, "mm7-seen-finish",
                        "UPDATE mm7_seen SET status = $3, user_id = $4, mms_n = $5, linked_id = $6"
                        " WHERE mmsc = $1 AND transaction_id = $2", 6, p, NULL, NULL);
}

enum store_result store_mm7_submitted(struct store *s, long long outbox_id, const char *mmsc,
                                      const char *message_id)
{
    if (!valid_id(mmsc) || !valid_id(message_id))
        return STORE_INVALID;
    char ib[24];
    st_lld(ib, outbox_id);
    const char *p[] = { ib, mmsc, message_id };
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    /* FROM outbox: a row that does not exist inserts nothing (NOT_FOUND)
     * instead of failing its foreign key */
    rc = st_exec_some(s, "mm7-submitted",
                      "INSERT INTO mm7_submissions (outbox_id, mmsc, message_id)"
                      " SELECT id, $2, $3 FROM outbox WHERE id = $1::bigint"
                      " ON CONFLICT (outbox_id) DO UPDATE SET mmsc = EXCLUDED.mmsc,"
                      " message_id = EXCLUDED.message_id, mm_status = NULL, submitted_at = now(),"
                      " reported_at = NULL", 3, p, NULL, NULL);
    if (rc == STORE_OK)
        rc = store_outbox_mark_submitted(s, outbox_id, NULL, NULL);
    return st_tx_finish(s, rc);
}

enum store_result store_mm7_report(struct store *s, const char *mmsc, const char *message_id,
                                   enum store_mm7_outcome outcome, const char *mm_status,
                                   long long *outbox_id_out, bool *moved_out)
{
    if (!valid_id(mmsc) || !valid_id(message_id) || !st_valid_line(mm_status, LIMIT_TEXT_FIELD_MAX, true))
        return STORE_INVALID;
    const char *p[] = { mmsc, message_id, mm_status ? mm_status : "" };
    PGresult *r = NULL;
    long long id = 0;
    enum store_result rc = st_tx_start(s);
    if (rc != STORE_OK)
        return rc;
    rc = st_exec(s, "mm7-report",
                 "UPDATE mm7_submissions SET mm_status = $3, reported_at = now()"
                 " WHERE mmsc = $1 AND message_id = $2 RETURNING outbox_id", 3, p, &r);
    if (rc == STORE_OK) {
        if (PQntuples(r) == 0)
            rc = STORE_NOT_FOUND;
        else
            id = st_getll(r, 0, 0);
        PQclear(r);
    }
    if (rc == STORE_NOT_FOUND) {
        /* An MMSC may report before our SubmitReq's answer is recorded
         * (the handset fetched at once): while a submission is in flight
         * the MessageID may be its, and the MMSC is asked to try again.
         * This statement sees what committed since the UPDATE's: the
         * submission recorded meanwhile, or its request still sending. */
        PGresult *q = NULL;
        const char *pm[] = { mmsc, message_id };
        if (st_exec(s, "mm7-report-inflight",
                    "SELECT 1 WHERE EXISTS (SELECT 1 FROM mm7_submissions WHERE mmsc = $1 AND message_id = $2)"
                    " OR EXISTS (SELECT 1 FROM outbox WHERE kind = 1 AND channel = 'mms' AND state = 1)", 2, pm,
                    &q) == STORE_OK && PQntuples(q) > 0)
            rc = STORE_RETRY;
        PQclear(q);
    }
    /* the outbox row's final states are never changed (outbox.c) */
    struct store_outbox_moved moved = { 0 };
    if (rc == STORE_OK && outcome == STORE_MM7_DELIVERED) {
        rc = store_outbox_mark_delivered(s, id, &moved);
    } else if (rc == STORE_OK && outcome == STORE_MM7_FAILED) {
        char *why = xasprintf("MM7 %s", mm_status ? mm_status : "");
        rc = store_outbox_mark_failed(s, id, why, &moved);
        free(why);
    }
    rc = st_tx_finish(s, rc);
    if (rc == STORE_OK && outbox_id_out)
        *outbox_id_out = id;
    if (rc == STORE_OK && moved_out)
        *moved_out = moved.moved;
    return rc;
}
