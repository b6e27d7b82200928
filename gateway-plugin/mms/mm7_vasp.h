/*
 * mm7_vasp — what vaultmms does with a request an MMSC posted (issue 9,
 * "Upload"): the rules, on the store; HTTP is vaultmms.c's.
 *
 * DeliverReq (an MMS a phone sent to the short code):
 *   - the sender's phone must be bound: an unbound phone's MMS is answered
 *     1000, stored nowhere, and the registration hint goes to the phone by
 *     SMS (a sender that is no phone number — an e-mail address — is
 *     answered 1000 and nothing is written);
 *   - the MMS and every part, in order, with their names and Content-IDs,
 *     are stored with the space rules (store_mms_add: the space grows by
 *     itself); the phone gets "Saved as M4 ..." through the outbox; when the
 *     space cannot grow, nothing of the MMS is written, the phone is told
 *     by SMS and the MMSC gets a Fault 4007 (service denied);
 *   - all of it — the MMS, the SMS, and the (MMSC, TransactionID) record
 *     (store_mm7_seen_*) — commits in one transaction before the answer is
 *     built, so a DeliverReq sent again (no answer came, or not 1000) is
 *     answered as the first time and takes effect once. A TransactionID an
 *     MMSC used again for other content (another digest) is stored as a
 *     new MMS, with a warning.
 * DeliveryReportReq: the outbox row of that MessageID is marked delivered
 * or failed (store_mm7_report); an unknown MessageID is Fault 2005.
 * ReadReplyReq: answered 1000. Anything else: Fault 4003.
 * A request that cannot be read is a Fault with the status of its
 * mm7_result; a store that fails is Fault 4006 (unavailable: the MMSC tries
 * again) with nothing half-stored.
 */
#ifndef SMSVAULT_MM7_VASP_H
#define SMSVAULT_MM7_VASP_H

#include <stddef.h>

#include "mm7_conf.h"
#include "mm7_mime.h"

struct store;

struct mm7_vasp {
    struct mm7_limits lim;
    /* Test hook (SMSVAULT_TEST_DIE_AFTER_COMMIT in vaultmms.c): called after
     * each commit that stored or decided something, before the answer. */
    void (*after_commit)(void *ctx);
    void *hook_ctx;
};

/* The HTTP answer: status and a text/xml body. */
struct mm7_answer {
    int http_status;
    char *body;
    size_t len;
    int status;            /* the MM7 status in it */
    char what[24];         /* the operation answered, for the access log */
    /* for the metrics, "" otherwise: a DeliverReq committed, what became of
     * the MMS ("stored", "again", "unbound", "no-space"); a
     * DeliveryReportReq, what it said of an MMS we sent ("delivered",
     * "failed", "pending"; "again": a final one already recorded;
     * "unknown": no submission of that MessageID) */
    char outcome[12];
};
#define MM7_ANSWER_CONTENT_TYPE "text/xml; charset=\"utf-8\""
void mm7_answer_cleanup(struct mm7_answer *a);

/* Handle one request body from mmsc (authenticated already) on s, which must
 * not be inside a transaction. Always fills out. */
void mm7_vasp_handle(const struct mm7_vasp *v, const struct mmsc_config *mmsc, struct store *s,
                     const char *content_type, const void *body, size_t len, struct mm7_answer *out);

/* A Fault for a request refused before it was read (authentication, body
 * over its cap): http_status as given, MM7 status in the body. */
void mm7_vasp_refuse(const struct mmsc_config *mmsc, int http_status, int status, const char *detail,
                     struct mm7_answer *out);

#endif
